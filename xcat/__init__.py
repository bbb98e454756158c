"""xcat: an X-ray source catalog database and query layer.

HEALPix-indexed HATS catalogs on Parquet, a DuckDB file for the registry and
SQL, and X-ray-aware ingest (CSC, generic tables) with canonical units.

Examples
--------
>>> import xcat
>>> store = xcat.Store.open("xcat-store", create=True)               # doctest: +SKIP
>>> store.ingest_csc("cscresults_M101.vot")                          # doctest: +SKIP
>>> store.cone("csc", 210.80, 54.35, "1arcmin")                      # doctest: +SKIP

"""

from xcat.errors import XcatError
from xcat.store import Store

__version__ = "0.1.0"
__all__ = ["Store", "XcatError", "__version__"]
