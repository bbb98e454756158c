"""The dashboard of ``xcat serve``: HTML pages over a read-only store.

- ``/``: the store at a glance (catalogs, hosts, recent runs, classifications, flags);
- ``/hosts/<name>``: the live ``xcat report`` of a host (tables, the four standard
  figures as PNG routes, exports in every format);
- ``/samples/<name>``: a saved sample with its parameters as a form, results paged and
  sorted, downloads in every format (:mod:`.dashboard_samples`);
- ``/query``: one read-only SELECT with its results and timing (:mod:`.dashboard_query`);
- ``/classify``: the visual-inspection queue; recording a class needs a token
  (:mod:`.dashboard_classify`).

Every request opens the store read-only (:func:`.dashboard_base.read_store`); values
are bound in SQL and every page is autoescaped Jinja2.

Examples
--------
>>> from starlette.applications import Starlette
>>> app = Starlette(routes=routes(Path("xcat-store")))          # doctest: +SKIP
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from xcat import resources
from xcat.errors import XcatError
from xcat.output import FORMATS, plots
from xcat.output.figures import make_figure
from xcat.output.report import REPORT_SAMPLES, build_report
from xcat.output.samples import list_samples, run_sample
from xcat.output.select import limit_confidence
from xcat.server import dashboard_classify, dashboard_query, dashboard_samples
from xcat.server.dashboard_base import NotFoundError, guarded, read_store, render, table

#: Newest cross-match runs shown on the overview.
RECENT_RUNS = 10
HOSTS_SQL = """
SELECT h.host, h.aliases, h.ra, h.dec, h.distance_mpc, h.distance_method,
       count(sh.source_key) AS n_sources
FROM hosts_adopted AS h
LEFT JOIN source_hosts AS sh ON sh.host = h.host AND sh.is_primary
GROUP BY ALL ORDER BY h.host
"""
RUNS_SQL = """
SELECT run_id, name, left_catalog, right_catalog, method, n_pairs, created
FROM xmatch_runs ORDER BY created DESC, run_id DESC LIMIT $n
"""
BY_CLASS_SQL = """
SELECT coalesce(class, 'no class yet') AS class, count(*) AS n_sources,
       count(*) FILTER (WHERE class_by_person) AS decided_by_a_person
FROM classification_current GROUP BY ALL ORDER BY n_sources DESC, class
"""
BY_PERSON_SQL = """
SELECT author AS person, count(*) AS n_events,
       count(DISTINCT (catalog, source_key)) AS n_sources, max(created_at) AS latest
FROM classification_events WHERE method IN ('visual', 'import')
GROUP BY ALL ORDER BY n_events DESC, person
"""
FLAGS_SQL = """
SELECT rule, any_value(proposes) AS proposes,
       count(*) FILTER (WHERE state = 'true') AS n_flagged,
       count(*) FILTER (WHERE state = 'false') AS n_not_flagged,
       count(*) FILTER (WHERE state = 'unknown') AS n_unknown
FROM source_flags GROUP BY rule ORDER BY rule
"""
#: matplotlib's pyplot is not thread-safe; requests run in a thread pool.
FIGURE_LOCK = threading.Lock()
#: The four standard figures of ``xcat report``, with their captions.
CAPTIONS = {
    "hr-lx": "Hardness ratio against log Lx; shaded: the SNR rule; arrows: upper limits",
    "hr-hr": "Hardness ratios, coloured by the intra- (left) and inter-observation (right) "
             "variability probability",
    "xlf": "Cumulative luminosity function; arrows: upper limits",
    "sky": "Sources around the centre of the host",
}
#: Export formats offered for the host's samples (every format of the table writer).
EXPORTS = [f for f in FORMATS if f != "table"]


def routes(store_root: Path, tokens: dict[str, str] | None = None) -> list[BaseRoute]:
    """The dashboard's routes over the store at ``store_root``.

    ``tokens`` (token -> person) is for the classification queue; without it the
    dashboard is read-only.
    """
    root = Path(store_root)

    def overview(request: Request) -> Response:
        return _overview(root)

    def host(request: Request) -> Response:
        return _host(root, request.path_params["name"])

    def figure(request: Request) -> Response:
        return _figure(root, request.path_params["name"], request.path_params["figure"])

    def report(request: Request) -> Response:
        return _report(root, request.path_params["name"])

    return [
        Route("/", guarded(overview), name="dashboard"),
        Route("/hosts/{name}", guarded(host), name="dashboard_host"),
        Route("/hosts/{name}/figures/{figure}.png", guarded(figure), name="dashboard_figure"),
        Route("/hosts/{name}/report.html", guarded(report), name="dashboard_report"),
        *dashboard_samples.routes(root),
        *dashboard_query.routes(root),
        *dashboard_classify.routes(root, tokens),
    ]


def _optional(store: Any, sql: str, params: dict[str, Any] | None = None) -> Any:
    """Rows of a query on views that a store without X-ray catalogs lacks (empty then)."""
    try:
        return store.sql(sql, params)
    except XcatError:
        return None


def _overview(root: Path) -> Response:
    with read_store(root) as store:
        cats = store.catalogs()
        cats = cats[[c for c in ("name", "kind", "rows", "parent", "source", "created",
                                 "xcat_version") if c in cats.columns]]
        hosts = _optional(store, HOSTS_SQL)
        sections = {
            "runs": table(store.sql(RUNS_SQL, {"n": RECENT_RUNS}), "runs-table"),
            "by_class": table(store.sql(BY_CLASS_SQL), "class-table"),
            "by_person": table(store.sql(BY_PERSON_SQL), "person-table"),
        }
        flags = _optional(store, FLAGS_SQL)
        samples = list_samples(store.path)
        return render(
            "index.html", title="xcat store", store=str(store.path),
            catalogs=table(cats, "catalog-table"), n_catalogs=len(cats),
            hosts=[] if hosts is None else [
                {"name": h, "url": "/hosts/" + quote(str(h), safe="")}
                for h in hosts["host"]],
            hosts_table=table(hosts if hosts is not None else [], "host-table"),
            flags=table(flags if flags is not None else [], "flag-table"),
            samples=[{"name": s.name, "title": s.title,
                      "url": "/samples/" + quote(s.name, safe="")} for s in samples],
            **sections)


def _host_row(store: Any, name: str) -> Any:
    rows = _optional(store, resources.read_sql("reports/host.sql"), {"host": name})
    if rows is None or rows.empty:
        raise NotFoundError(f"no host '{name}' (add it with 'xcat host add')")
    return rows.iloc[0]


def _host(root: Path, name: str) -> Response:
    with read_store(root) as store:
        h = _host_row(store, name)
        host = str(h["host"])
        url = "/hosts/" + quote(host, safe="")
        conf = limit_confidence(store)
        samples = []
        for s, heading in REPORT_SAMPLES.items():
            found = run_sample(store, s, {"host": host}, output="astropy")
            if conf is not None:
                found.meta["limit_conf"] = conf
            base = "/samples/" + quote(s, safe="")
            query = "?host=" + quote(host, safe="")
            samples.append({
                "name": s, "heading": heading, "n": len(found), "url": base + query,
                "table": table(found, f"sample-{s}"),
                "exports": [{"fmt": f, "url": f"{base}/download.{f}{query}"}
                            for f in EXPORTS]})
        counts = store.sql(resources.read_sql("reports/class_counts.sql"),
                           {"host_name": host})
        return render(
            "host.html", title=f"xcat: {host}", host=host, url=url,
            distance=_distance(h), class_counts=table(counts, "class-table"),
            figures=[{"name": f, "url": f"{url}/figures/{f}.png", "caption": text}
                     for f, text in CAPTIONS.items()],
            samples=samples)


def _distance(h: Any) -> str:
    """The adopted distance as the report words it."""
    def given(key: str) -> Any:
        v = h.get(key)
        return None if v is None or (isinstance(v, float) and v != v) else v

    if given("distance_mpc") is None:
        return "unknown"
    return (f"{h['distance_mpc']:.3g} Mpc ({given('distance_method') or 'method unknown'}; "
            f"{given('distance_ref') or 'no reference'})")


def _figure(root: Path, name: str, figure: str) -> Response:
    if figure not in plots.FIGURES:
        raise NotFoundError(f"unknown figure '{figure}' (choose from {', '.join(plots.FIGURES)})")
    with read_store(root) as store, tempfile.TemporaryDirectory() as tmp:
        host = str(_host_row(store, name)["host"])
        out = Path(tmp) / f"{figure}.png"
        with FIGURE_LOCK:
            make_figure(store, figure, out, host=host)
        return Response(out.read_bytes(), media_type="image/png")


def _report(root: Path, name: str) -> Response:
    with read_store(root) as store, tempfile.TemporaryDirectory() as tmp:
        host = str(_host_row(store, name)["host"])
        out = Path(tmp) / "report.html"
        with FIGURE_LOCK:
            build_report(store, host, out)
        return Response(out.read_bytes(), media_type="text/html; charset=utf-8")
