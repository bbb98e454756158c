-- How many sources each rule flags true / false / unknown
SELECT rule, catalog, count_if(state = 'true') AS n_true, count_if(state = 'false') AS n_false,
       count_if(state = 'unknown') AS n_unknown
FROM source_flags
GROUP BY ALL
ORDER BY rule, catalog
