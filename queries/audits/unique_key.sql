-- unique_key: every source key appears once (rows returned = offending keys)
SELECT {key_list}, count(*) AS n_rows
FROM {catalog}
GROUP BY ALL
HAVING count(*) > 1
