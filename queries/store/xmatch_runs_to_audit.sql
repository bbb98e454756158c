-- Every cross-match run with the key columns of its two catalogs (NULL when a catalog is gone)
SELECT r.run_id, r.name, r.left_catalog, r.right_catalog,
       l.key_columns AS left_key, c.key_columns AS right_key
FROM xmatch_runs r
LEFT JOIN catalogs l ON l.name = r.left_catalog
LEFT JOIN catalogs c ON c.name = r.right_catalog
ORDER BY r.run_id
