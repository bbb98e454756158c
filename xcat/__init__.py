"""xcat: an X-ray source catalog database and query layer.

HEALPix-indexed HATS catalogs on Parquet, a DuckDB file for the registry and
SQL, and X-ray-aware ingest (CSC, 2RXS, eRASS1, counterparts, products) with
canonical units. The public face is :class:`xcat.Store` (in :mod:`xcat.api`);
it is loaded on first use so that ``import xcat`` and ``xcat --version`` stay fast.

Examples
--------
>>> import xcat
>>> store = xcat.Store.open("xcat-store", create=True)               # doctest: +SKIP
>>> store.ingest_csc("cscresults_M101.vot")                          # doctest: +SKIP
>>> store.cone("csc", 210.80, 54.35, "1arcmin")                      # doctest: +SKIP

"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from xcat.errors import XcatError
from xcat.version import __version__

if TYPE_CHECKING:
    from xcat.api import Store

__all__ = ["Store", "XcatError", "__version__"]


def __getattr__(name: str) -> Any:
    """``xcat.Store`` imports :mod:`xcat.api` (and the library under it) on first use."""
    if name == "Store":
        from xcat.api import Store  # the documented lazy load of the public handle

        return Store
    raise AttributeError(f"module 'xcat' has no attribute {name!r}")
