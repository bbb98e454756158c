-- Register a computed product
INSERT INTO products (name, kind, n_rows, source, source_detail, sha256, created, xcat_version,
                      schema_version, link_catalog, link_rule, link_key, link_radius_arcsec,
                      n_linked, n_unlinked, wide_view)
VALUES ($name, $kind, $n_rows, $source, $source_detail, $sha256, $created, $xcat_version,
        $schema_version, $link_catalog, $link_rule, $link_key, $link_radius_arcsec,
        $n_linked, $n_unlinked, $wide_view)
