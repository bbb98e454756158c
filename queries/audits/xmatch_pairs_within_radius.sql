-- xmatch_pairs_within_radius: every pair's separation is >= 0 and within its run's radius_arcsec (rows returned = offending pairs)
SELECT p.left_key, p.right_key, p.sep_arcsec
FROM xmatch_pairs p JOIN xmatch_runs r USING (run_id)
WHERE p.run_id = $run_id
  AND (p.sep_arcsec IS NULL OR p.sep_arcsec < 0
       OR p.sep_arcsec > CAST(r.parameters->>'radius_arcsec' AS DOUBLE))
