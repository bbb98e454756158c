"""Classification state: an append-only log of decisions (``classification_events``)
and the classification in force (view ``classification_current``).

Human decisions (``visual``, ``import``) win over machine ones (``rule``, ``catalog``);
within each group the latest wins, so a rule proposal never overwrites a human. Events
are only ever appended: a new decision records the event it supersedes.

A human event changes only the fields it gives: the class, best counterpart, donor class
and note it leaves blank are carried from the person's previous decision for that source
(each event row holds the full record, so the history keeps every value). Short user IDs
(XRBID's ``CXO001``, ``M101X001``) are aliases of a source (``source_aliases``), accepted
wherever a source name is.

Examples
--------
>>> from xcat.science.classification import classify, history, import_classifications
>>> classify(store, "2CXO J140312.5+541853", cls="AGN", best_counterpart="3",
...          note="bright point source behind the disc")              # doctest: +SKIP
>>> import_classifications(store, "notes.csv")                      # doctest: +SKIP
>>> history(store, "2CXO J140312.5+541853")                          # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xcat.errors import XcatError
from xcat.io.delimited import read_text_frame
from xcat.science.aliases import find, lookup, resolve_source, store_aliases
from xcat.store.db import Database, writes
from xcat.store.sql import transaction

HUMAN = ("visual", "import")
METHODS = ("visual", "rule", "catalog", "import")
#: Donor-mass classes (LMXB <~ 3 Msun, HMXB >~ 8 Msun, IMXB between), case-insensitive.
#: Nothing else is guessed: "high" could be a mass or a state, so it is an error.
DONOR = {"lmxb": "LMXB", "imxb": "IMXB", "hmxb": "HMXB"}
#: Fields a human event may give alone; blank ones are carried from the previous decision.
FIELDS = ("class", "best_counterpart", "donor_class", "note")
NOTES_COLUMNS = ("CSC ID", "ID", "Class", "Best Star", "Mass", "Notes")
MUWCLASS_AUTHOR = "MUWCLASS (Yang et al. 2022, arXiv:2206.13656)"
EVENT_COLUMNS = ("event_id", "catalog", "source_key", "class", "best_counterpart",
                 "donor_class", "probability", "method", "rule", "author", "created_at",
                 "note", "supersedes", "origin")


def default_author() -> str:
    """``$XCAT_AUTHOR``, else the login name."""
    return os.environ.get("XCAT_AUTHOR") or getpass.getuser()


def vocabulary(store: Database) -> pd.DataFrame:
    """The controlled classes (XRBID after Long+14, plus the MUWCLASS labels)."""
    return store.con.execute("SELECT class, vocabulary, description FROM classification_classes "
                             "ORDER BY vocabulary DESC, class").df()


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == ""


#: The person's latest decision per source (the record a partial human event completes).
LATEST_HUMAN = """
SELECT source_key, arg_max(class, event_id) AS class,
       arg_max(best_counterpart, event_id) AS best_counterpart,
       arg_max(donor_class, event_id) AS donor_class, arg_max(note, event_id) AS note
FROM classification_events
WHERE catalog = $catalog AND method IN ('visual', 'import')
GROUP BY source_key
"""


@writes
def record_events(store: Database, events: pd.DataFrame, *, where: str = "",
                  aliases: list[tuple[str, str | None]] | None = None,
                  alias_origin: str = "manual") -> list[int]:
    """Validate and append events (columns as ``classification_events`` without ids).

    Every row is checked first (catalog and source exist, class in the vocabulary,
    donor class, method); nothing is written unless all pass. A human event's blank
    fields are carried from the person's previous decision (:func:`complete`). Returns
    the new ids. ``aliases`` (alias, source key) of the events' catalog are stored in
    the same transaction.
    """
    con = store.con
    rows = complete(store, events, where=where)
    if not rows:
        if aliases:
            with transaction(con):
                store_aliases(con, str(events["catalog"].iloc[0]), aliases, alias_origin)
        return []
    current: dict[tuple[str, str], tuple[int, bool]] = {}
    for cat in {r["catalog"] for r in rows}:
        for k, eid, human in con.execute(
                "SELECT source_key, event_id, human_decision FROM classification_current "
                "WHERE catalog = $catalog", {"catalog": cat}).fetchall():
            current[(cat, k)] = (eid, human)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with transaction(con):
        ids = [r[0] for r in con.execute(
            "SELECT nextval('classification_event_ids') AS id FROM range($n)",
            {"n": len(rows)}).fetchall()]
        for eid, row in zip(ids, rows, strict=True):
            human = row["method"] in HUMAN
            prev = current.get((row["catalog"], row["source_key"]))
            row["event_id"], row["created_at"], row["supersedes"] = eid, now, None
            if prev is None or human or not prev[1]:
                row["supersedes"] = prev[0] if prev else None
                current[(row["catalog"], row["source_key"])] = (eid, human)
        df = pd.DataFrame(rows).reindex(columns=list(EVENT_COLUMNS))
        df["probability"] = pd.to_numeric(df["probability"], errors="coerce").astype(float)
        df["supersedes"] = df["supersedes"].astype("Int64")
        df["created_at"] = pd.to_datetime(df["created_at"])
        for c in ("best_counterpart", "donor_class", "rule", "note", "origin"):
            df[c] = df[c].astype(object).where(df[c].notna(), None)
        if aliases:
            store_aliases(con, rows[0]["catalog"], aliases, alias_origin)
        con.register("_xcat_new_events", df)
        try:
            # the log is append-only
            con.execute("INSERT INTO classification_events BY NAME SELECT * FROM _xcat_new_events")
        finally:
            con.unregister("_xcat_new_events")
    return ids


def complete(store: Database, events: pd.DataFrame, *,
             where: str = "") -> list[dict[str, Any]]:
    """Validated events with source keys resolved (names and aliases), vocabulary
    normalised, and each human event completed from the person's previous decision
    (fields it leaves blank keep their value; events of one batch apply in order).
    """
    con = store.con
    classes = {c.lower(): c for c in vocabulary(store)["class"]}
    keys: dict[str, dict[str, str]] = {}
    state: dict[str, dict[str, dict[str, Any]]] = {}
    rows = []
    for i, ev in enumerate(events.to_dict("records")):
        at = f"{where}row {i + 1}: " if where else ""
        cat = ev["catalog"]
        if cat not in keys:
            keys[cat] = lookup(con, cat)
            if not keys[cat]:
                raise XcatError(f"{at}no X-ray catalog '{cat}' in the store")
            state[cat] = {r["source_key"]: r for r in
                          store.sql(LATEST_HUMAN, {"catalog": cat}).to_dict("records")}
        key = find(con, keys[cat], ev["source_key"])
        if key is None:
            raise XcatError(f"{at}source '{ev['source_key']}' is not in catalog {cat}")
        if ev["method"] not in METHODS:
            raise XcatError(f"{at}method '{ev['method']}' is not one of {', '.join(METHODS)}")
        human = ev["method"] in HUMAN
        cls = None
        if not _blank(ev.get("class")):
            cls = classes.get(str(ev["class"]).strip().lower())
            if cls is None:
                raise XcatError(f"{at}class '{ev['class']}' is not in the vocabulary "
                                f"(allowed: {', '.join(sorted(classes.values()))})")
        elif not human:
            raise XcatError(f"{at}a {ev['method']} event needs a class")
        _check_probability(ev.get("probability"), at)
        donor = None
        if not _blank(ev.get("donor_class")):
            donor = DONOR.get(str(ev["donor_class"]).strip().lower())
            if donor is None:
                raise XcatError(f"{at}donor mass class '{ev['donor_class']}' is not in the "
                                f"vocabulary (allowed: LMXB, IMXB, HMXB)")
        row = {**ev, "source_key": key, "class": cls, "donor_class": donor,
               **{c: (None if _blank(ev.get(c)) else str(ev[c]).strip())
                  for c in ("best_counterpart", "note", "rule", "origin")}}
        if human:
            prev = state[cat].get(key, {})
            given = [f for f in FIELDS if row[f] is not None]
            if not given:
                raise XcatError(f"{at}give a class, best counterpart, donor class or note "
                                f"for {ev['source_key']}")
            for f in FIELDS:
                if row[f] is None and not _blank(prev.get(f)):
                    row[f] = prev[f]
            state[cat][key] = {f: row[f] for f in FIELDS}
        rows.append(row)
    return rows


def _check_probability(value: object, at: str) -> None:
    """A class probability is a number in [0, 1] (or blank)."""
    if _blank(value):
        return
    try:
        p = float(str(value))
    except ValueError:
        raise XcatError(f"{at}probability '{value}' is not a number") from None
    if not 0.0 <= p <= 1.0:  # NaN fails too
        raise XcatError(f"{at}probability {value} is outside [0, 1]")


def classify(store: Database, source: str, *, cls: str | None = None, catalog: str = "csc",
             best_counterpart: str | int | None = None, donor_class: str | None = None,
             note: str | None = None, author: str | None = None,
             method: str = "visual") -> int:
    """Record one classification decision; return its event id.

    A human decision changes only the fields given: ``classify(s, src, cls="LMXB")``
    after ``best_counterpart=3, donor_class="HMXB"`` keeps the counterpart and mass.

    Parameters
    ----------
    store : Store
        An open store.
    source : str
        Source key, name or short alias (CXO001) in ``catalog``.
    cls : str, optional
        A class of the vocabulary (AGN, XRB, (SNR), Star, Cluster, ...); case-insensitive.
        Omitted: the class in force is kept (a human decision may give only a
        counterpart, donor class or note).
    best_counterpart : str or int, optional
        Id of the best counterpart (XRBID "Best Star").
    donor_class : str, optional
        LMXB, IMXB or HMXB (case-insensitive; anything else is an error).
    catalog : str
        Catalog of the source (default ``csc``).
    note : str, optional
        Free text.
    author : str, optional
        Who decides (default ``$XCAT_AUTHOR`` or the login name).
    method : {"visual", "import", "catalog", "rule"}
        How the decision was made.

    Examples
    --------
    >>> classify(store, "2CXO J140312.5+541853", cls="AGN", best_counterpart=3)
    ... # doctest: +SKIP
    """
    ev = {"catalog": catalog, "source_key": source, "class": cls,
          "best_counterpart": None if best_counterpart is None else str(best_counterpart),
          "donor_class": donor_class, "probability": None, "method": method, "rule": None,
          "author": author or default_author(), "note": note, "origin": None}
    return record_events(store, pd.DataFrame([ev]))[0]


def import_classifications(store: Database, file: str | Path, *, catalog: str = "csc",
                           author: str | None = None) -> dict[str, int]:
    """Import an XRBID notes file (method ``import``) or a MUWCLASS class table
    (method ``catalog``), detected from the columns.

    XRBID notes: columns ``CSC ID, ID, Class, Best Star, Mass, Notes``. A row with a
    blank Class but a Best Star, Mass or Notes changes only those fields; an ``ID`` that
    is not a plain row number (``CXO001``, ``M101X001``) is stored as the source's alias.
    MUWCLASS: ``name, Class, Class_prob`` (the probability is kept; rows without a class
    are skipped). Empty rows are skipped (counted in ``skipped``), and so are rows
    repeating the source's latest event of the same group (human or machine), so
    re-importing a file adds nothing. All rows are checked before anything is written.

    Examples
    --------
    >>> import_classifications(store, "NGC3532_class.csv", catalog="csc_ngc3532")
    ... # doctest: +SKIP
    {'imported': 373, 'skipped': 0}
    """
    path = Path(file)
    aliases: list[tuple[str, str]] = []
    if not path.exists():
        raise XcatError(f"{path}: no such file")
    try:
        df = read_text_frame(path, skipinitialspace=True)  # a short (cut) row is an error
    except ValueError as exc:
        raise XcatError(f"{path}: cannot read CSV ({str(exc).splitlines()[0]})") from exc
    if df.empty:
        raise XcatError(f"{path}: the file holds no rows")
    n_all = len(df)
    df.columns = [c.strip() for c in df.columns]
    if {"name", "Class", "Class_prob"} <= set(df.columns):
        df = df[df["Class"].str.strip() != ""]  # unclassified rows
        events = pd.DataFrame({
            "catalog": catalog, "source_key": df["name"], "class": df["Class"],
            "best_counterpart": None, "donor_class": None, "probability": df["Class_prob"],
            "method": "catalog", "rule": None, "author": author or MUWCLASS_AUTHOR,
            "note": "MUWCLASS Class_prob=" + df["Class_prob"], "origin": path.name})
    elif {"CSC ID", "Class"} <= set(df.columns):
        given = [c for c in ("Class", "Best Star", "Mass", "Notes") if c in df.columns]
        df = df[(df[given].apply(lambda c: c.str.strip()) != "").any(axis=1)]  # partial rows
        if "Method" in df.columns:  # our own export: only human decisions are re-imported
            df = df[df["Method"].str.strip().isin(["", *HUMAN])]
        get = lambda c: df[c] if c in df.columns else None  # noqa: E731
        events = pd.DataFrame({
            "catalog": catalog, "source_key": df["CSC ID"], "class": df["Class"],
            "best_counterpart": get("Best Star"), "donor_class": get("Mass"),
            "probability": None, "method": "import", "rule": None,
            "author": author or default_author(), "note": get("Notes"), "origin": path.name})
        if "ID" in df.columns:  # short user IDs (CXO001); plain row numbers are not IDs
            ids = df["ID"].str.strip()
            user = ids.ne("") & ~ids.str.fullmatch(r"\d+")
            aliases = list(zip(ids[user], df.loc[user, "CSC ID"], strict=True))
    else:
        raise XcatError(f"{path}: neither an XRBID notes file (columns "
                        f"{', '.join(NOTES_COLUMNS)}) nor a MUWCLASS table (name, Class, "
                        f"Class_prob)")
    given = events["probability"].notna() & (events["probability"].astype(str).str.strip() != "")
    bad = given & ~pd.to_numeric(events["probability"], errors="coerce").between(0, 1)
    if bad.any():
        row = bad[bad].index[0]  # the file's data row (unclassified rows were dropped)
        raise XcatError(f"{path}: column Class_prob, row {row + 1}: "
                        f"'{events['probability'][row]}' is not a probability in [0, 1]")
    events = events.reset_index(drop=True)
    rows = pd.DataFrame(complete(store, events, where=f"{path.name}: "))  # checks every row
    events = _drop_repeats(store, rows, catalog) if len(rows) else events
    table = lookup(store.con, catalog)
    pairs = [(a, find(store.con, table, k)) for a, k in aliases]
    ids = record_events(store, events, where=f"{path.name}: ", aliases=pairs,
                        alias_origin=path.name)
    return {"imported": len(ids), "skipped": n_all - len(ids)}


#: The latest event per source and group (human: visual/import; machine: rule/catalog), to
#: skip re-imported rows that repeat it.
LATEST_EVENTS_BY_GROUP = """
SELECT source_key, arg_max(class, event_id) AS class,
       arg_max(coalesce(best_counterpart, ''), event_id) AS best_counterpart,
       arg_max(coalesce(donor_class, ''), event_id) AS donor_class,
       arg_max(coalesce(note, ''), event_id) AS note,
       method IN ('visual', 'import') AS human
FROM classification_events
WHERE catalog = $catalog
GROUP BY source_key, method IN ('visual', 'import')
"""


def _drop_repeats(store: Database, events: pd.DataFrame, catalog: str) -> pd.DataFrame:
    """Drop events identical (class, counterpart, donor, note) to the latest event of
    the same group (human or machine) for that source.
    """
    cur = store.sql(LATEST_EVENTS_BY_GROUP, {"catalog": catalog})
    if cur.empty:
        return events
    key = {(r["source_key"], str(r["class"]).lower(), r["best_counterpart"], r["donor_class"],
            r["note"], r["human"]) for r in cur.to_dict("records")}

    def same(ev: dict) -> bool:
        donor = "" if _blank(ev["donor_class"]) else DONOR.get(
            str(ev["donor_class"]).strip().lower(), str(ev["donor_class"]))
        return (str(ev["source_key"]).strip(), str(ev["class"]).strip().lower(),
                "" if _blank(ev["best_counterpart"]) else str(ev["best_counterpart"]).strip(),
                donor, "" if _blank(ev["note"]) else str(ev["note"]).strip(),
                ev["method"] in HUMAN) in key

    return events[[not same(ev) for ev in events.to_dict("records")]]


#: The classifications in force of one catalog, in the XRBID notes layout.
EXPORT = """
SELECT c.source_key AS "CSC ID", row_number() OVER (ORDER BY c.source_key) AS "ID",
       CASE WHEN c.class_by_person OR NOT c.human_decision THEN c.class END AS "Class",
       c.best_counterpart AS "Best Star", c.donor_class AS "Mass",
       c.note AS "Notes", c.method AS "Method", c.author AS "Author",
       c.decided_at AS "Decided"
FROM classification_current AS c
WHERE c.catalog = $catalog
ORDER BY c.source_key
"""


def export_classifications(store: Database, catalog: str = "csc") -> pd.DataFrame:
    """The classifications in force in the XRBID notes layout (plus method, author, time).

    Examples
    --------
    >>> export_classifications(store).to_csv("notes.csv", index=False)   # doctest: +SKIP
    """
    return store.sql(EXPORT, {"catalog": catalog})


#: Every classification event of one source, oldest first, with the one in force marked.
HISTORY = """
SELECT e.event_id, e.created_at, e.class, e.method, e.author, e.best_counterpart,
       e.donor_class, e.probability, e.rule, e.note, e.supersedes, e.origin,
       e.event_id = c.event_id AS in_force
FROM classification_events AS e
LEFT JOIN classification_current AS c USING (catalog, source_key)
WHERE e.catalog = $catalog AND e.source_key = $source_key
ORDER BY e.event_id
"""


def history(store: Database, source: str, catalog: str = "csc") -> pd.DataFrame:
    """Every event of one source, oldest first, with the one in force marked.

    Examples
    --------
    >>> history(store, "2CXO J140312.5+541853")                          # doctest: +SKIP
    """
    key = resolve_source(store, source, catalog)
    return store.sql(HISTORY, {"catalog": catalog, "source_key": key})
