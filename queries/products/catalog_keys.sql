-- Template: the key values of a catalog, for key links (key and catalog are quoted identifiers)
SELECT DISTINCT trim(CAST({key} AS VARCHAR)) AS source_key FROM {catalog}
WHERE {key} IS NOT NULL
