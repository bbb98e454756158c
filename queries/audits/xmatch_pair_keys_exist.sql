-- xmatch_pair_keys_exist: both keys of every pair are rows of the run's catalogs (rows returned = orphan pairs)
-- Reads the CTEs left_rows(source_key) and right_rows(source_key): the key of every row of
-- the run's left and right catalogs as text, built by xcat/store/verify.py.
SELECT p.left_key, p.right_key
FROM xmatch_pairs p
WHERE p.run_id = $run_id
  AND (p.left_key NOT IN (SELECT source_key FROM left_rows)
       OR p.right_key NOT IN (SELECT source_key FROM right_rows))
