-- One product's registry row by name
SELECT name, kind, n_rows, source, source_detail, sha256, created, link_catalog, link_rule,
       link_key, link_radius_arcsec, n_linked, n_unlinked, wide_view
FROM products WHERE name = $name
