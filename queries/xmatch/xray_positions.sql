-- Positions and positional errors of one X-ray catalog from xray_sources, for the
-- cross-match engine: 1-sigma error (frame error included) and the CSC 95% ellipse.
-- {radius} is a quoted xray_sources column holding a per-source radius (arcsec) or NULL.
SELECT source_key              AS key,
       ra,
       dec,
       pos_err_1sigma          AS sigma,
       CAST({radius} AS DOUBLE) AS radius,
       CASE WHEN ellipse_conf = 0.95 THEN ellipse_a END AS ellipse_a,
       CASE WHEN ellipse_conf = 0.95 THEN ellipse_b END AS ellipse_b,
       ellipse_pa
FROM xray_sources
WHERE catalog = $catalog
