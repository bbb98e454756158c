-- Remove one run
DELETE FROM xmatch_runs WHERE run_id = $run_id
