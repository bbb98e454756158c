"""Science views over ``xray_sources``: hosts and distances, luminosities, flags,
footprints and the classification in force.

The SQL is one file per view in ``queries/views/`` and the column documentation (with
units) in ``queries/views/science_views.toml``. :func:`refresh` is called at the end of
:func:`xcat.xray_views.refresh`, so the views are rebuilt after ``xray_sources`` (DuckDB
binds a view when it is created) whenever a catalog is installed or the store is opened
for the first time.

Examples
--------
>>> from xcat import Store
>>> store = Store.open("xcat-store")                             # doctest: +SKIP
>>> store.sql("SELECT name, host, log_lx FROM luminosities WHERE host = 'M101'")
... # doctest: +SKIP
"""

from __future__ import annotations

import tomllib
from typing import Any

from xcat import paths

#: Views in creation order (each may use the ones before it).
VIEWS = ("hosts_adopted", "source_hosts", "luminosities", "flag_inputs", "source_flags",
         "snr_candidates", "source_footprints", "classification_current")


def refresh(con: Any) -> list[str]:
    """(Re)create the science views and their column documentation.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection of a store whose migrations are applied and whose
        ``xray_sources`` view exists.

    Returns
    -------
    list of str
        The views created, in order.

    Examples
    --------
    >>> refresh(store.con)                                         # doctest: +SKIP
    ['hosts_adopted', 'source_hosts', 'luminosities', ...]
    """
    for view in VIEWS:
        con.execute(paths.read_sql(f"views/{view}.sql"))
    document(con)
    return list(VIEWS)


def column_docs() -> dict[str, dict[str, list[str]]]:
    """Column documentation of every science view: ``{view: {column: [unit, text]}}``."""
    return tomllib.loads((paths.queries_dir() / "views" / "science_views.toml").read_text())


def document(con: Any) -> None:
    """Load the column documentation of the science views into ``view_columns``."""
    for view, cols in column_docs().items():
        con.execute(paths.read_sql("store/delete_view_columns.sql"), {"view": view})
        for i, (name, (unit, desc)) in enumerate(cols.items()):
            con.execute(paths.read_sql("store/insert_view_column.sql"),
                        {"view": view, "position": i, "name": name,
                         "unit": unit or None, "description": desc})
