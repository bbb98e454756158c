"""The quickstart's main job: load the simulated field, run a cone search and SQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from xcat import resources
from xcat.catalog.cone import cone_search
from xcat.jobs.demo_field import CENTER, make_demo_field
from xcat.jobs.runner import ingest_file
from xcat.store.db import Database

DEMO_QUERY = resources.queries_dir() / "demo" / "demo_summary.sql"


def run_demo(store_path: str | None) -> Iterator[str | Any]:
    """Yield what to show: lines of text, and result tables (astropy) to render."""
    with Database.open(store_path, create=True) as store:
        src = make_demo_field(store.path / "inputs" / "xcat_demo_field_SIMULATED.vot")
        yield "== SIMULATED demo field (seeded; real CSC column names and units, not real data)"
        yield from ingest_file(store, src, kind="csc", name="demo_csc")
        yield f"\n== cone search: demo_csc within 1 arcmin of RA={CENTER[0]}, Dec={CENTER[1]} " \
              "(the field straddles RA = 0/360)"
        near = cone_search(store, "demo_csc", *CENTER, 1 / 60,
                           columns=["name", "ra", "dec", "flux_aper_b", "hard_hs"])
        yield store.convert(near, "astropy")
        query = DEMO_QUERY.read_text()
        body = " ".join(line for line in query.splitlines() if not line.startswith("--"))
        yield "\n== SQL: " + " ".join(body.split())
        yield store.sql(query, {"fmin": 1e-15}, output="astropy")


def demo_input(store: Path) -> Path:
    """Where the demo writes its simulated input file."""
    return store / "inputs" / "xcat_demo_field_SIMULATED.vot"
