-- best_counterparts: for every cross-match run, the nearest (rank 1) counterpart of each
-- left source, with the run's name and catalogs, the pair's scores and the chance terms:
-- n_exp (expected unrelated right sources in the match region) and p_any_unrelated
-- (probability that at least one is there). These are NULL when the run's density was
-- refused (a truncated counterpart list without --density/--density-from).
-- depends: xmatch_pairs
CREATE OR REPLACE VIEW best_counterparts AS
SELECT r.name AS run, r.left_catalog, r.right_catalog, p.left_key, p.right_key,
       p.sep_arcsec, p.norm_sep, p.pa_deg, p.match_radius_arcsec, p.n_candidates,
       p.mutual_best, p.rho_arcsec2, p.p_chance, p.n_exp, p.p_any_unrelated, p.lr,
       p.probability, p.p_any, r.density_method
FROM xmatch_pairs AS p
JOIN xmatch_runs AS r USING (run_id)
WHERE p.rank = 1
