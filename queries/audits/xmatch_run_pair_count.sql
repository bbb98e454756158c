-- xmatch_run_pair_count: the run's n_pairs equals the pairs recorded for it (rows returned = mismatch)
SELECT r.n_pairs, count(p.run_id) AS recorded
FROM xmatch_runs r LEFT JOIN xmatch_pairs p USING (run_id)
WHERE r.run_id = $run_id
GROUP BY r.n_pairs
HAVING r.n_pairs <> count(p.run_id)
