-- One registry row by name
SELECT name, kind, n_rows, source, source_detail, sha256, created, ra_column, dec_column,
       key_columns, parent, n_partitions, path
FROM catalogs WHERE name = $name
