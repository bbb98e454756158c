-- Register one column's metadata
INSERT INTO catalog_columns (catalog, position, name, type, unit, ucd, description,
                             source_column, source_unit)
VALUES ($catalog, $position, $name, $type, $unit, $ucd, $description, $source_column,
        $source_unit)
