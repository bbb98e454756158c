-- xmatch_pair_keys_exist: both keys of every pair are rows of the run's catalogs (rows returned = orphan pairs)
SELECT p.left_key, p.right_key
FROM xmatch_pairs p
WHERE p.run_id = $run_id
  AND (p.left_key NOT IN (SELECT CAST({left_key} AS VARCHAR) FROM {left_catalog})
       OR p.right_key NOT IN (SELECT CAST({right_key} AS VARCHAR) FROM {right_catalog}))
