-- source_flags: every enabled flag rule evaluated on every source it applies to (kind and
-- luminosity band match). A condition on a missing value is unknown; on an upper limit it
-- is true only when the limit already satisfies "<=" / "<", false only when it already
-- fails ">=" / ">". The rule is true when all conditions are true, false when any is
-- false, unknown otherwise (three-valued AND). Columns in the sibling .toml.
-- depends: flag_inputs
CREATE OR REPLACE VIEW source_flags AS
WITH fi AS MATERIALIZED (
    SELECT * FROM flag_inputs
), sources AS (
    SELECT DISTINCT catalog, kind, source_key, name, band FROM fi
), targets AS (
    SELECT r.rule, r.proposes, r.reference, s.catalog, s.kind, s.source_key, s.name, s.band
    FROM flag_rules AS r
    JOIN sources AS s ON (r.kind IS NULL OR s.kind = r.kind)
                     AND (r.band IS NULL OR s.band = r.band)
    WHERE r.enabled
), checks AS (
    SELECT t.*, c.position, c.column_name, c.op, c.threshold, v.value,
           coalesce(v.is_upper_limit, FALSE) AS is_upper_limit,
           CASE c.op WHEN '<=' THEN v.value <= c.threshold WHEN '<' THEN v.value < c.threshold
                     WHEN '>=' THEN v.value >= c.threshold WHEN '>' THEN v.value > c.threshold
                     WHEN '=' THEN v.value = c.threshold END AS cmp
    FROM targets AS t
    JOIN flag_rule_conditions AS c ON c.rule = t.rule
    LEFT JOIN fi AS v
        ON v.catalog = t.catalog AND v.source_key = t.source_key AND v.column_name = c.column_name
), judged AS (
    SELECT *,
           CASE WHEN value IS NULL THEN NULL
                WHEN NOT is_upper_limit THEN cmp
                WHEN op IN ('<=', '<') THEN CASE WHEN cmp THEN TRUE END
                WHEN op IN ('>=', '>') THEN CASE WHEN NOT cmp THEN FALSE END
           END AS ok
    FROM checks
)
SELECT
    rule,
    catalog,
    kind,
    source_key,
    name,
    band,
    CASE WHEN bool_or(ok IS FALSE) THEN FALSE
         WHEN count_if(ok IS NULL) > 0 THEN NULL
         ELSE TRUE END AS flagged,
    CASE WHEN bool_or(ok IS FALSE) THEN 'false'
         WHEN count_if(ok IS NULL) > 0 THEN 'unknown'
         ELSE 'true' END AS state,
    map(list(column_name ORDER BY position), list(value ORDER BY position)) AS values_seen,
    string_agg(column_name || ' ' || op || ' ' || CAST(threshold AS VARCHAR), ' AND '
               ORDER BY position) AS criteria,
    string_agg(column_name || ' = ' || coalesce(CAST(value AS VARCHAR), 'NULL')
               || CASE WHEN is_upper_limit THEN ' (upper limit)' ELSE '' END, ', '
               ORDER BY position) AS evidence,
    any_value(proposes) AS proposes,
    any_value(reference) AS reference
FROM judged
GROUP BY rule, catalog, kind, source_key, name, band
