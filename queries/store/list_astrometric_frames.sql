-- Astrometric-frame errors, newest first (the newest per catalog is in force)
SELECT catalog, sigma_ast_arcsec, reference, note, set_at,
       row_number() OVER (PARTITION BY catalog ORDER BY set_at DESC) = 1 AS in_force
FROM astrometric_frames ORDER BY catalog, set_at DESC
