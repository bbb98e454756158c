-- registry_row_count: the registry's row count equals the rows on disk
SELECT $name AS catalog, $n_rows AS registry_rows, count(*) AS disk_rows
FROM {catalog}
HAVING count(*) <> $n_rows
