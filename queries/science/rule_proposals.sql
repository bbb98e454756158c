-- Sources a flag rule flags (state true) and that rule has not yet proposed its class for
-- as that source's latest proposal from the rule
WITH last_rule AS (
    SELECT catalog, source_key, rule, arg_max(class, event_id) AS class
    FROM classification_events
    WHERE method = 'rule'
    GROUP BY catalog, source_key, rule
)
SELECT f.rule, f.catalog, f.source_key, f.proposes, f.evidence, f.criteria, f.reference
FROM source_flags AS f
LEFT JOIN last_rule AS l USING (catalog, source_key, rule)
WHERE f.state = 'true' AND f.proposes IS NOT NULL
  AND ($rule IS NULL OR f.rule = $rule)
  AND (l.class IS NULL OR l.class <> f.proposes)
ORDER BY f.rule, f.catalog, f.source_key
