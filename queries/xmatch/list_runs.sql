-- Cross-match runs, newest first
SELECT run_id, name, left_catalog, right_catalog, method, n_pairs, n_left, n_right,
       created, parameters
FROM xmatch_runs
ORDER BY created DESC, run_id DESC
