-- Record the versions and sizes of the two catalogs of a run
UPDATE xmatch_runs
SET left_version = $left_version, right_version = $right_version,
    left_created = $left_created, right_created = $right_created,
    n_left = $n_left, n_right = $n_right
WHERE run_id = $run_id
