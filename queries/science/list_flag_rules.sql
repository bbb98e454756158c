-- Flag rules with their conditions as text
SELECT r.rule, r.kind, r.band, r.proposes, r.enabled,
       string_agg(c.column_name || ' ' || c.op || ' ' || CAST(c.threshold AS VARCHAR), ' AND '
                  ORDER BY c.position) AS criteria,
       r.reference, r.description
FROM flag_rules AS r
LEFT JOIN flag_rule_conditions AS c USING (rule)
GROUP BY ALL
ORDER BY r.rule
