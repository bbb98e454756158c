-- Sources of a host by current class (with how many were decided by a person)
SELECT coalesce(c.class, 'unclassified') AS class, count(*) AS n_sources,
       count(*) FILTER (WHERE c.human_decision) AS decided_by_a_person
FROM source_hosts AS sh
LEFT JOIN classification_current AS c USING (catalog, source_key)
WHERE sh.is_primary AND sh.host = $host_name
GROUP BY ALL ORDER BY n_sources DESC, class
