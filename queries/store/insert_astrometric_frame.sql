-- Record a catalog's astrometric-frame error (the newest row per catalog is used)
INSERT INTO astrometric_frames (catalog, sigma_ast_arcsec, reference, note, set_at)
VALUES ($catalog, $sigma, $reference, $note, $set_at)
