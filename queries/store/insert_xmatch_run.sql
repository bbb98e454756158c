-- Record a cross-match run; returns its run_id
INSERT INTO xmatch_runs (name, left_catalog, right_catalog, method, parameters, created,
                         xcat_version, n_pairs)
VALUES ($name, $left_catalog, $right_catalog, $method, $parameters, $created, $xcat_version,
        $n_pairs)
RETURNING run_id
