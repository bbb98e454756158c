-- Record the pairs of a run from the Arrow table registered as xcat_new_pairs (all columns;
-- xcat/xmatch_runs.py fills the ones a method does not compute with NULL)
INSERT INTO xmatch_pairs (run_id, left_key, right_key, sep_arcsec, rank, n_candidates,
                          probability, flags, norm_sep, pa_deg, match_radius_arcsec,
                          rho_arcsec2, p_chance, lr, p_any, mutual_best)
SELECT $run_id, left_key, right_key, sep_arcsec, rank, n_candidates,
       probability, flags, norm_sep, pa_deg, match_radius_arcsec,
       rho_arcsec2, p_chance, lr, p_any, mutual_best
FROM xcat_new_pairs
