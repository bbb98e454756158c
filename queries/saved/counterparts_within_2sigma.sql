-- title: Counterparts within each source's 2-sigma radius
-- description: Every pair of a cross-match run (made with --sigma 2 or --radius-column pos_err_r95), with both positions, the separation, the normalised separation and the chance-coincidence probability, nearest first per X-ray source.
-- param run: Name of the cross-match run (xcat xmatch-runs lists them)
SELECT r.name AS run, p.left_key AS xray_source, p.right_key AS counterpart, p.rank,
       p.n_candidates, p.sep_arcsec, p.match_radius_arcsec, p.norm_sep, p.pa_deg,
       p.p_chance, p.probability, p.mutual_best
FROM xmatch_pairs AS p
JOIN xmatch_runs AS r USING (run_id)
WHERE r.name = $run
ORDER BY p.left_key, p.rank
