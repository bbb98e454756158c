-- Every classification event of one source, oldest first, with the one in force marked
SELECT e.event_id, e.created_at, e.class, e.method, e.author, e.best_counterpart,
       e.donor_class, e.probability, e.rule, e.note, e.supersedes, e.origin,
       e.event_id = c.event_id AS in_force
FROM classification_events AS e
LEFT JOIN classification_current AS c USING (catalog, source_key)
WHERE e.catalog = $catalog AND e.source_key = $source_key
ORDER BY e.event_id
