-- The registry as users see it (xcat catalogs): HATS catalogs, then computed products
-- (kind "product:<kind>", parent = the catalog their rows link to, no partitions)
SELECT name, kind, n_rows AS rows, source, source_detail, sha256, created,
       xcat_version, schema_version, parent, n_partitions
FROM catalogs
UNION ALL
SELECT name, 'product:' || kind AS kind, n_rows AS rows, source,
       link_rule || ' (' || n_linked || ' linked, ' || n_unlinked || ' unlinked); '
           || source_detail AS source_detail,
       sha256, created, xcat_version, schema_version, link_catalog AS parent,
       0 AS n_partitions
FROM products
ORDER BY name
