-- The classification in force for a list of sources (catalog, source_key)
SELECT source_key, event_id, human_decision
FROM classification_current
WHERE catalog = $catalog
