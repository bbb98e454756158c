"""The quickstart's main job: load the simulated field (:class:`DemoJob`), run a cone
search and SQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xcat import resources
from xcat.catalog.cone import cone_search
from xcat.jobs.demo_field import CENTER, make_demo_field
from xcat.jobs.file import FileJob
from xcat.jobs.runner import CatalogInstall, run
from xcat.store.db import Database

DEMO_QUERY = resources.queries_dir() / "reports" / "demo_summary.sql"


@dataclass(frozen=True, kw_only=True)
class DemoJob(FileJob):
    """Write the SIMULATED demo field (seeded) to ``file``, then load it as a CSC export."""

    kind: str = "csc"
    name: str | None = "demo_csc"

    def prepare(self) -> CatalogInstall:
        """Write the field, then read and check it like any CSC file."""
        make_demo_field(self.file)
        return super().prepare()


def run_demo(store_path: str | None) -> Iterator[str | Any]:
    """Yield what to show: lines of text, and result tables (astropy) to render."""
    with Database.open(store_path, create=True) as store:
        yield "== SIMULATED demo field (seeded; real CSC column names and units, not real data)"
        yield from run(store, DemoJob(file=demo_input(store.path)))
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
