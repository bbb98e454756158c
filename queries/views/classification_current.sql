-- classification_current: the classification in force for every source that has one,
-- from the append-only classification_events log. Human decisions (methods visual and
-- import) win over machine ones (rule, catalog); within each group the latest event wins,
-- so a rule proposal never overwrites a human. pending_* show a newer machine proposal
-- that differs from a human decision. A person's record without a class (only a best
-- counterpart, donor class or note so far) shows the machine class, if any, and
-- class_by_person is false. Columns in the sibling .toml.
-- depends: (tables only)
CREATE OR REPLACE VIEW classification_current AS
WITH ranked AS (
    SELECT e.*,
           e.method IN ('visual', 'import') AS human_decision,
           row_number() OVER (PARTITION BY catalog, source_key
                              ORDER BY (e.method IN ('visual', 'import')) DESC, event_id DESC)
               AS rn,
           count(*) OVER (PARTITION BY catalog, source_key) AS n_events
    FROM classification_events AS e
), machine AS (
    SELECT catalog, source_key, max(event_id) AS m_id, arg_max(class, event_id) AS m_class
    FROM classification_events
    WHERE method IN ('rule', 'catalog')
    GROUP BY catalog, source_key
)
SELECT
    r.catalog,
    r.source_key,
    coalesce(r.class, CASE WHEN r.human_decision THEN m.m_class END) AS class,
    r.human_decision AND r.class IS NOT NULL AS class_by_person,
    r.best_counterpart,
    r.donor_class,
    r.probability,
    r.method,
    r.rule,
    r.author,
    r.created_at AS decided_at,
    r.note,
    r.event_id,
    r.human_decision,
    r.n_events,
    CASE WHEN r.human_decision AND m.m_id > r.event_id AND m.m_class <> r.class
         THEN m.m_class END AS pending_class,
    CASE WHEN r.human_decision AND m.m_id > r.event_id AND m.m_class <> r.class
         THEN m.m_id END AS pending_event_id
FROM ranked AS r
LEFT JOIN machine AS m USING (catalog, source_key)
WHERE r.rn = 1
