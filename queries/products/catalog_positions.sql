-- Template: key and position of every catalog row, for positional links
-- (key, ra, dec and catalog are quoted identifiers)
SELECT trim(CAST({key} AS VARCHAR)) AS source_key, {ra} AS ra, {dec} AS dec FROM {catalog}
WHERE {ra} IS NOT NULL AND {dec} IS NOT NULL
