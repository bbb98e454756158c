-- Fragment of stg_xray__<csc catalog>: the best Kim et al. radii of each source
LEFT JOIN (SELECT source_key AS kim_key, r68 AS kim_r68, r95 AS kim_r95, rule AS kim_rule
           FROM {view} WHERE is_best) AS pe ON pe.kim_key = c.{key}
