-- Record the pairs of a run from the Arrow table registered as xcat_new_pairs
INSERT INTO xmatch_pairs (run_id, left_key, right_key, sep_arcsec, rank, n_candidates)
SELECT $run_id, left_key, right_key, sep_arcsec, rank, n_candidates
FROM xcat_new_pairs
