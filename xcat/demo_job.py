"""The quickstart's main job: load the simulated field, run a cone search and SQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from xcat import paths
from xcat.demo import CENTER, make_demo_field
from xcat.formats import write_rows
from xcat.store import Store

DEMO_QUERY = paths.queries_dir() / "demo" / "demo_summary.sql"


def run_demo(store_path: str | None) -> Iterator[str]:
    """Yield printable blocks: what was loaded, a cone search and an SQL summary."""
    with Store.open(store_path, create=True) as store:
        src = make_demo_field(store.path / "inputs" / "xcat_demo_field_SIMULATED.vot")
        yield "== SIMULATED demo field (seeded; real CSC column names and units, not real data)"
        yield from store.ingest_csc(src, name="demo_csc")
        yield f"\n== cone search: demo_csc within 1 arcmin of RA={CENTER[0]}, Dec={CENTER[1]} " \
              "(the field straddles RA = 0/360)"
        t = store.cone("demo_csc", *CENTER, "1arcmin",
                       columns=["name", "ra", "dec", "flux_aper_b", "hard_hs"], output="astropy")
        yield write_rows(t, "table", max_rows=15)
        query = DEMO_QUERY.read_text()
        body = " ".join(line for line in query.splitlines() if not line.startswith("--"))
        yield "\n== SQL: " + " ".join(body.split())
        yield write_rows(store.sql(query, {"fmin": 1e-15}, output="astropy"), "table")


def demo_input(store: Path) -> Path:
    """Where the demo writes its simulated input file."""
    return store / "inputs" / "xcat_demo_field_SIMULATED.vot"
