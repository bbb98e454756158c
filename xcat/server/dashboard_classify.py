"""``/classify`` on the dashboard: XRBID's visual-inspection step for a team.

``/classify`` is the queue of X-ray sources (filters by host, flag and class);
``/classify/<catalog>/<key>`` shows one source with its properties, its counterparts
within 2 sigma in every recorded cross-match run, and its classification history.
Recording a class (POST to the same address) needs a token of ``tokens`` (token ->
person): the event is a ``visual`` classification with that person as its author.
Without tokens the pages are read-only.
"""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from xcat import resources
from xcat.api import Store
from xcat.errors import XcatError
from xcat.science.classification import classify
from xcat.server.dashboard_base import NotFoundError, guarded, read_store, render, table

#: Sources per page of the queue.
PER_PAGE = 100
QUEUE_SQL = """
WITH flags AS (
    SELECT catalog, source_key, string_agg(rule, ', ' ORDER BY rule) AS flags
    FROM source_flags WHERE state = 'true' GROUP BY ALL
)
SELECT x.catalog, x.source_key, x.name, sh.host, x.ra, x.dec, x.flux, x.hr1, x.var_prob,
       coalesce(c.class, 'unclassified') AS class, c.author AS decided_by, f.flags
FROM xray_sources AS x
LEFT JOIN source_hosts AS sh ON sh.catalog = x.catalog AND sh.source_key = x.source_key
                            AND sh.is_primary
LEFT JOIN classification_current AS c ON c.catalog = x.catalog AND c.source_key = x.source_key
LEFT JOIN flags AS f ON f.catalog = x.catalog AND f.source_key = x.source_key
WHERE ($host IS NULL OR sh.host = $host)
  AND ($class IS NULL OR coalesce(c.class, 'unclassified') = $class)
  AND ($flag IS NULL OR EXISTS (
        SELECT 1 FROM source_flags AS s
        WHERE s.catalog = x.catalog AND s.source_key = x.source_key
          AND s.rule = $flag AND s.state = 'true'))
ORDER BY sh.host NULLS LAST, x.name
"""
SOURCE_SQL = "SELECT * FROM xray_sources WHERE catalog = $catalog AND source_key = $key"
HISTORY_SQL = """
SELECT event_id, created_at, author, method, class, best_counterpart, donor_class, rule,
       note
FROM classification_events WHERE catalog = $catalog AND source_key = $key
ORDER BY event_id
"""
#: Counterparts within 2 sigma (or within the run's radius when it matched by radius).
COUNTERPARTS_SQL = """
SELECT r.name AS run, r.right_catalog, p.right_key, p.sep_arcsec, p.norm_sep, p.rank,
       p.probability, p.p_chance
FROM xmatch_pairs AS p JOIN xmatch_runs AS r USING (run_id)
WHERE r.left_catalog = $catalog AND p.left_key = $key
  AND coalesce(p.norm_sep <= 2, p.sep_arcsec <= p.match_radius_arcsec)
ORDER BY r.created DESC, p.rank, p.sep_arcsec
"""
CHOICES_SQL = """
SELECT (SELECT list(rule ORDER BY rule) FROM flag_rules) AS rules,
       (SELECT list(class ORDER BY vocabulary DESC, class) FROM classification_classes)
           AS classes
"""


def routes(root: Path, tokens: dict[str, str] | None = None) -> list[BaseRoute]:
    """``/classify`` and ``/classify/<catalog>/<key>`` over the store at ``root``."""
    tokens = dict(tokens or {})

    def queue(request: Request) -> Response:
        return _queue(root, dict(request.query_params), writable=bool(tokens))

    def source(request: Request) -> Response:
        return _source(root, request.path_params["catalog"], request.path_params["key"],
                       writable=bool(tokens))

    async def record(request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        return await run_in_threadpool(
            _record, root, tokens, request.path_params["catalog"],
            request.path_params["key"], form)

    return [Route("/classify", guarded(queue), name="dashboard_classify"),
            Route("/classify/{catalog}/{key:path}", guarded(source),
                  name="dashboard_classify_source"),
            Route("/classify/{catalog}/{key:path}", record, methods=["POST"],
                  name="dashboard_classify_record")]


def person_for(tokens: dict[str, str], token: str) -> str | None:
    """The person whose token ``token`` is (compared in constant time), or None."""
    found = None
    for known, person in tokens.items():
        if hmac.compare_digest(known.encode(), token.encode()):
            found = person
    return found


def source_url(catalog: str, key: str) -> str:
    """The dashboard address of one source."""
    return f"/classify/{quote(catalog, safe='')}/{quote(key, safe='')}"


def _choices(store: Any) -> tuple[list[str], list[str], list[str]]:
    hosts = store.sql("SELECT host FROM hosts_adopted ORDER BY host")["host"].tolist()
    row = store.sql(CHOICES_SQL).iloc[0]
    return hosts, list(row["rules"] if row["rules"] is not None else []), \
        list(row["classes"] if row["classes"] is not None else [])


def _queue(root: Path, query: dict[str, str], *, writable: bool) -> Response:
    chosen = {k: (query.get(k) or "").strip() or None for k in ("host", "flag", "class")}
    with read_store(root) as store:
        hosts, rules, classes = _choices(store)
        params = dict(chosen)
        if chosen["host"]:
            found = store.sql(resources.read_sql("reports/host.sql"), {"host": chosen["host"]})
            if found.empty:
                raise XcatError(f"no host '{chosen['host']}' (add it with 'xcat host add')")
            params["host"] = str(found["host"].iloc[0])
        rows = store.sql(QUEUE_SQL, params)
    n_pages = max(1, -(-len(rows) // PER_PAGE))
    try:
        page = min(max(1, int(query.get("page", "1"))), n_pages)
    except ValueError:
        page = 1
    shown = rows.iloc[(page - 1) * PER_PAGE: page * PER_PAGE]
    state = {k: v for k, v in chosen.items() if v}
    items = [{**{k: _text(v) for k, v in r.items()},
              "url": source_url(str(r["catalog"]), str(r["source_key"]))}
             for r in shown.to_dict("records")]
    return render("classify.html", title="xcat: classify", items=items, n_rows=len(rows),
                  page=page, n_pages=n_pages, chosen=chosen, hosts=hosts, rules=rules,
                  classes=["unclassified", *classes], writable=writable,
                  prev="?" + urlencode({**state, "page": page - 1}) if page > 1 else None,
                  next="?" + urlencode({**state, "page": page + 1})
                  if page < n_pages else None)


def _text(v: Any, key: str = "") -> str:
    """A cell as text: positions to 8 decimals (1.4 mas at most), other floats to 5
    significant digits, missing values empty.
    """
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float):
        return f"{v:.8f}" if key in ("ra", "dec") else f"{v:.5g}"
    return str(v)


def _source(root: Path, catalog: str, key: str, *, writable: bool, status: int = 200,
            message: str | None = None) -> Response:
    where = {"catalog": catalog, "key": key}
    with read_store(root) as store:
        row = store.sql(SOURCE_SQL, where)
        if row.empty:
            raise NotFoundError(f"no X-ray source '{key}' in catalog '{catalog}'")
        props = row.iloc[0].drop(["catalog", "kind", "source_key", "_healpix_29"],
                                 errors="ignore")
        props = [{"property": k, "value": _text(v, k)} for k, v in props.items()
                 if _text(v) != ""]
        current = store.sql("SELECT * FROM classification_current "
                            "WHERE catalog = $catalog AND source_key = $key", where)
        _, _, classes = _choices(store)
        return render(
            "classify_source.html", status, title=f"xcat: {row['name'].iloc[0]}",
            name=str(row["name"].iloc[0]), catalog=catalog, key=key,
            url=source_url(catalog, key), properties=table(props, "properties"),
            current=None if current.empty else _text(current["class"].iloc[0]),
            counterparts=table(store.sql(COUNTERPARTS_SQL, where), "counterparts"),
            history=table(store.sql(HISTORY_SQL, where), "history"),
            classes=classes, writable=writable, message=message)


def _record(root: Path, tokens: dict[str, str], catalog: str, key: str,
            form: dict[str, str]) -> Response:
    """Record one visual classification by the token's person; back to the source."""
    writable = bool(tokens)
    try:
        person = person_for(tokens, form.get("token", "")) if tokens else None
        if person is None:
            return _source(root, catalog, key, writable=writable, status=403, message=(
                "a valid token is needed to record a class" if tokens else
                "this dashboard is read-only (xcat serve --token-file lets people record)"))
        cls = form.get("class", "").strip()
        if not cls:
            return _source(root, catalog, key, writable=writable, status=400,
                           message="choose a class to record")
        with read_store(root) as store:  # a 404 for an unknown source before writing
            if store.sql(SOURCE_SQL, {"catalog": catalog, "key": key}).empty:
                raise NotFoundError(f"no X-ray source '{key}' in catalog '{catalog}'")
        with Store.open(root) as store:  # the write lock only for this one transaction
            classify(store, key, cls=cls, catalog=catalog, author=person,
                     note=form.get("note", "").strip() or None, method="visual")
    except XcatError as exc:
        return render("error.html", 404 if isinstance(exc, NotFoundError) else 400,
                      title="Error", message=str(exc))
    return RedirectResponse(source_url(catalog, key), status_code=303)
