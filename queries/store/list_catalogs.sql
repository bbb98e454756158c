-- The registry as users see it (xcat catalogs)
SELECT name, kind, n_rows AS rows, source, source_detail, sha256, created,
       xcat_version, schema_version, parent, n_partitions
FROM catalogs
ORDER BY name
