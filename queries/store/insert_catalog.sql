-- Register a catalog
INSERT INTO catalogs (name, kind, n_rows, source, source_detail, sha256, created, xcat_version,
                      schema_version, ra_column, dec_column, key_columns, parent,
                      n_partitions, path)
VALUES ($name, $kind, $n_rows, $source, $source_detail, $sha256, $created, $xcat_version,
        $schema_version, $ra_column, $dec_column, $key_columns, $parent, $n_partitions, $path)
