-- title: Classification history of one source
-- description: Every classification event of one X-ray source, oldest first, with the one in force marked; the source is given by its key, its name or a short alias (CXO001, M101X001).
-- param source: Source key, name or short alias (e.g. 2CXO J140412.7+541425 or CXO001)
WITH src AS (
    SELECT catalog, source_key FROM xray_sources
    WHERE trim(source_key) = trim($source) OR trim(name) = trim($source)
    UNION
    SELECT catalog, source_key FROM source_aliases WHERE alias_key = alias_key($source)
)
SELECT e.catalog, trim(e.source_key) AS source, e.event_id, e.created_at, e.class,
       e.best_counterpart, e.donor_class, e.method, e.author, e.note,
       e.event_id = c.event_id AS in_force
FROM classification_events AS e
JOIN src USING (catalog, source_key)
LEFT JOIN classification_current AS c USING (catalog, source_key)
ORDER BY e.event_id
