-- The products registry as users see it (xcat products)
SELECT name, kind, n_rows AS rows, link_catalog, link_rule, n_linked, n_unlinked, source,
       sha256, created, wide_view
FROM products
ORDER BY name
