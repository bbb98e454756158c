-- The astrometric-frame error (1-sigma, arcsec) in force for one catalog (0 when none)
SELECT coalesce(arg_max(sigma_ast_arcsec, set_at), 0.0) AS sigma_ast
FROM astrometric_frames
WHERE catalog = $catalog
