-- The run ids recorded under one run name (a re-run replaces them)
SELECT run_id FROM xmatch_runs WHERE name = $name
