"""Upper limits in outputs: which column flags a value as an upper limit, and which number
is the limit.

A value column ``X`` is an upper limit in a row when its flag column says so: ``X_upper_limit``,
or for luminosities and fluxes the view's ``lx_upper_limit`` / ``flux_upper_limit`` (or a
sample's plain ``upper_limit``). Raw CSC columns carry no flag: there ``value = lolim = 0``
marks an upper limit and ``hilim`` is the 68% limit (CSC convention, DOMAIN.md §2).

The limit is the value itself when it is non-zero (``lx``/``log_lx`` of the luminosities view
hold the limit), else the interval's upper end (``flux = 0``, ``flux_hi`` = the limit).

Examples
--------
>>> flag_column("log_lx", ["log_lx", "lx_upper_limit"])
'lx_upper_limit'
>>> flag_column("flux_conf", ["flux", "flux_conf", "flux_upper_limit"]) is None
True
>>> limit_value(0.0, 0.0, 2.5e-15)
2.5e-15
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

#: The confidence CSC quotes its limits at (``_hilim`` of fluxes, hardness ratios, fits).
CSC_CONFIDENCE = 0.68
#: Flag columns that may stand for a family of value columns.
FAMILY_FLAGS = {"lx": "lx_upper_limit", "flux": "flux_upper_limit"}


def flag_column(name: str, names: list[str]) -> str | None:
    """The column flagging ``name`` as an upper limit, or None."""
    if name.endswith("upper_limit"):
        return None
    if f"{name}_upper_limit" in names:
        return f"{name}_upper_limit"
    base = name.removeprefix("log_")
    if base in FAMILY_FLAGS:  # lx, log_lx, flux, log_flux: never flux_conf, flux_origin...
        for flag in (FAMILY_FLAGS[base], "upper_limit"):
            if flag in names:
                return flag
    return None


def is_true(v: Any) -> bool:
    """A flag cell as a bool (masked/None/NaN are False)."""
    if v is None or v is np.ma.masked:
        return False
    if isinstance(v, float) and math.isnan(v):
        return False
    if isinstance(v, str):
        return v.strip().lower() in ("true", "t", "1", "yes")
    return bool(v)


def limit_value(value: Any, lower: Any = None, upper: Any = None) -> float | None:
    """The number a flagged upper limit stands for (see the module docstring)."""
    if _finite(value) and float(value) != 0:
        return float(value)
    return float(upper) if _finite(upper) else (float(value) if _finite(value) else None)


def csc_style_limit(value: Any, lower: Any, upper: Any) -> bool:
    """True for CSC's unflagged limit: value = lolim = 0 with a positive hilim."""
    return (_finite(value) and _finite(lower) and _finite(upper) and float(value) == 0
            and float(lower) == 0 and float(upper) > 0)


def confidence_text(conf: float | None) -> str:
    """``"68% confidence"`` for 0.68; the catalogs' own when unknown.

    >>> confidence_text(0.68)
    '68% confidence'
    """
    if conf is None or not _finite(conf):
        return "the confidence each catalog quotes (xray_sources.flux_conf)"
    return f"{100 * float(conf):.3g}% confidence"


def _finite(v: Any) -> bool:
    try:
        return v is not None and math.isfinite(float(v))
    except (TypeError, ValueError):
        return False
