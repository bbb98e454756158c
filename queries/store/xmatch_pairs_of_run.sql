-- The pairs of the current run of one name, nearest first per left key
SELECT p.left_key, p.right_key, p.sep_arcsec, p.rank, p.n_candidates
FROM xmatch_pairs p JOIN xmatch_runs r USING (run_id)
WHERE r.name = $name
ORDER BY p.left_key, p.rank
