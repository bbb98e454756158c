-- Forget a catalog's column metadata
DELETE FROM catalog_columns WHERE catalog = $name
