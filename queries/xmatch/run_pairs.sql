-- Every stored column of the pairs of the current run of one name, nearest first per left key
SELECT p.left_key, p.right_key, p.sep_arcsec, p.norm_sep, p.pa_deg, p.match_radius_arcsec,
       p.rank, p.n_candidates, p.mutual_best, p.rho_arcsec2, p.p_chance, p.lr,
       p.probability, p.p_any, p.flags
FROM xmatch_pairs p JOIN xmatch_runs r USING (run_id)
WHERE r.name = $name
ORDER BY p.left_key, p.rank, p.right_key
