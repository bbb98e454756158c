-- Remove the pairs of one run
DELETE FROM xmatch_pairs WHERE run_id = $run_id
