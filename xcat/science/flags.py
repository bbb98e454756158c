"""Flag rules (table ``flag_rules`` + ``flag_rule_conditions``) evaluated by the
``source_flags`` view, and turning flags into rule-made classification proposals.

The default rule ``snr_hr_lx`` is the supernova-remnant candidate cut of Hunt et al.
(2021) on the most likely values: CSC ``hard_hs`` (``hr1``) <= -0.75 and log Lx
(0.5-7 keV) <= 37.5, both inclusive. ``snr_hr_lx_conservative`` asks the same of the
interval upper bounds (``hr1_hi`` <= -0.75, ``log_lx_hi`` <= 37.5): confidently soft and
faint. A condition on an upper limit is judged from the limit (limit <= threshold: true;
above: unknown). Columns, thresholds, band and kind are rows, so rules change in SQL
(the description shown follows the thresholds)::

    UPDATE flag_rule_conditions SET threshold = 37.0
    WHERE rule = 'snr_hr_lx' AND column_name = 'log_lx';

Examples
--------
>>> from xcat.science.flags import apply_rules, flag_rules
>>> flag_rules(store)                                                 # doctest: +SKIP
>>> apply_rules(store)                # (SNR) proposals for flagged sources  # doctest: +SKIP
{'snr_hr_lx': 102}
"""

from __future__ import annotations

import pandas as pd

from xcat.errors import XcatError
from xcat.science.classification import record_events
from xcat.store.db import Database

RULE_AUTHOR = "xcat flags apply"

#: Flag rules with their conditions as text.
LIST_RULES = """
SELECT r.rule, r.kind, r.band, r.proposes, r.enabled,
       string_agg(c.column_name || ' ' || c.op || ' ' || CAST(c.threshold AS VARCHAR), ' AND '
                  ORDER BY c.position) AS criteria,
       r.reference,
       r.description || ' (' || string_agg(c.column_name || ' ' || c.op || ' '
                                           || CAST(c.threshold AS VARCHAR), ' and '
                                           ORDER BY c.position) || ')' AS description
FROM flag_rules AS r
LEFT JOIN flag_rule_conditions AS c USING (rule)
GROUP BY r.rule, r.kind, r.band, r.proposes, r.enabled, r.reference, r.description
ORDER BY r.rule
"""

#: How many sources each rule flags true / false / unknown.
SUMMARY = """
SELECT rule, catalog, count_if(state = 'true') AS n_true, count_if(state = 'false') AS n_false,
       count_if(state = 'unknown') AS n_unknown
FROM source_flags
GROUP BY ALL
ORDER BY rule, catalog
"""

#: Sources a flag rule flags (state true) and that rule has not yet proposed its class for
#: as that source's latest proposal from the rule ($rule NULL: every rule).
PROPOSALS = """
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
"""


def flag_rules(store: Database) -> pd.DataFrame:
    """Every flag rule with its conditions as text, kind, band, class proposed, reference."""
    return store.sql(LIST_RULES)


def flag_summary(store: Database) -> pd.DataFrame:
    """Number of sources each rule flags true, false and unknown, per catalog."""
    return store.sql(SUMMARY)


def apply_rules(store: Database, rule: str | None = None) -> dict[str, int]:
    """Record a rule-method classification event for every source a rule flags.

    Only rules with a ``proposes`` class make proposals. A source already carrying
    the same proposal from the same rule gets none (re-running adds nothing). The
    events never displace a human decision (see ``classification_current``).

    Parameters
    ----------
    store : Store
        An open store.
    rule : str, optional
        Apply only this rule (default: every enabled rule).

    Returns
    -------
    dict
        Number of new proposals per rule.

    Examples
    --------
    >>> apply_rules(store, "snr_hr_lx")                                # doctest: +SKIP
    {'snr_hr_lx': 102}
    """
    rules = flag_rules(store)
    if rule is not None and rule not in set(rules["rule"]):
        raise XcatError(f"no flag rule '{rule}' (rules: {', '.join(rules['rule'])})")
    todo = store.sql(PROPOSALS, {"rule": rule})
    counts = dict.fromkeys(rules["rule"] if rule is None else [rule], 0)
    if todo.empty:
        return counts
    events = pd.DataFrame({
        "catalog": todo["catalog"], "source_key": todo["source_key"],
        "class": todo["proposes"], "best_counterpart": None, "donor_class": None,
        "probability": None, "method": "rule", "rule": todo["rule"], "author": RULE_AUTHOR,
        "note": todo["criteria"] + ": " + todo["evidence"] + " (" + todo["reference"] + ")",
        "origin": None})
    record_events(store, events)
    for r, n in todo["rule"].value_counts().items():
        counts[r] = int(n)
    return counts
