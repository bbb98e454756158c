-- The latest event per source and group (human: visual/import; machine: rule/catalog), to
-- skip re-imported rows that repeat it
SELECT source_key, arg_max(class, event_id) AS class,
       arg_max(coalesce(best_counterpart, ''), event_id) AS best_counterpart,
       arg_max(coalesce(donor_class, ''), event_id) AS donor_class,
       arg_max(coalesce(note, ''), event_id) AS note,
       method IN ('visual', 'import') AS human
FROM classification_events
WHERE catalog = $catalog
GROUP BY source_key, method IN ('visual', 'import')
