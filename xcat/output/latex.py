r"""AASTeX 6.3 ``deluxetable*`` output (``\startlongtable``): units in the header, an escaped
caption, sexagesimal positions, numbers rounded by their errors (two significant figures
of the error, the value to the same decimal), upper limits as ``$<x$`` with their
confidence, booleans as marks explained in the table comments.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from xcat.output import limits

ERROR_SUFFIXES = (("_lo", "_hi"), ("_lolim", "_hilim"), ("_err", None), ("_error", None))


def round_by_error(value: float, lower: float | None, upper: float | None) -> str:
    r"""``$v^{+u}_{-l}$`` (or ``$v \pm e$``) with the error at two significant figures.

    ``lower``/``upper`` are the interval ends (not the error sizes); pass ``upper=None`` with
    ``lower`` holding a symmetric error.

    Examples
    --------
    >>> round_by_error(4.5469e-15, 4.1740e-15, 4.9198e-15)
    '$4.55^{+0.37}_{-0.37}\\times10^{-15}$'
    >>> round_by_error(-0.5359, 0.0768, None)
    '$-0.536 \\pm 0.077$'
    """
    if value is None or not np.isfinite(value):
        return "\\nodata"
    if upper is None:
        err_lo = err_hi = abs(lower) if lower is not None and np.isfinite(lower) else None
    else:
        err_lo = value - lower if lower is not None and np.isfinite(lower) else None
        err_hi = upper - value if upper is not None and np.isfinite(upper) else None
    errs = [e for e in (err_lo, err_hi) if e is not None and e > 0]
    scale = 0
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        scale = math.floor(math.log10(abs(value)))
    v = value / 10**scale
    if not errs:
        text = f"{v:.3g}"
        return f"${text}\\times10^{{{scale}}}$" if scale else f"${text}$"
    smallest = min(errs) / 10**scale
    decimals = max(0, 1 - math.floor(math.log10(smallest)))
    lo, hi = (None if e is None else e / 10**scale for e in (err_lo, err_hi))
    if upper is None and lo is not None:
        body = f"{v:.{decimals}f} \\pm {lo:.{decimals}f}"
    else:
        body = (f"{v:.{decimals}f}^{{+{(hi or 0):.{decimals}f}}}"
                f"_{{-{(lo or 0):.{decimals}f}}}")
    return f"${body}\\times10^{{{scale}}}$" if scale else f"${body}$"


def error_partners(names: list[str]) -> dict[str, tuple[str, str | None]]:
    """Map each value column to its interval/error columns by naming convention
    (``x_lo``/``x_hi``, ``x_lolim``/``x_hilim``, ``x_err``; CSC's band-suffixed
    ``flux_aper_b`` with ``flux_aper_lolim_b``/``flux_aper_hilim_b``).

    >>> error_partners(["flux_aper_b", "flux_aper_lolim_b", "flux_aper_hilim_b"])
    {'flux_aper_b': ('flux_aper_lolim_b', 'flux_aper_hilim_b')}
    """
    out: dict[str, tuple[str, str | None]] = {}
    for n in names:
        stem, _, band = n.rpartition("_")
        for lo_suf, hi_suf in ERROR_SUFFIXES:
            lo = n + lo_suf
            hi = n + hi_suf if hi_suf else None
            if lo in names and (hi is None or hi in names):
                out[n] = (lo, hi)
                break
            if hi_suf and stem and len(band) == 1 and f"{stem}{lo_suf}_{band}" in names \
                    and f"{stem}{hi_suf}_{band}" in names:
                out[n] = (f"{stem}{lo_suf}_{band}", f"{stem}{hi_suf}_{band}")
                break
    return out


def to_deluxetable(table: Any, caption: str, label: str = "tab:xcat", *,
                   limit_conf: float | None = None) -> str:
    r"""Render an astropy Table as an AASTeX 6.3 ``deluxetable*`` after ``\startlongtable``
    (so tables longer than a page break across pages instead of losing rows).

    Positions (``ra``/``dec`` in degrees) are sexagesimal (RA to 0.001 s, Dec to 0.01"),
    values with interval columns are rounded by their errors, upper limits print as
    ``$<x$`` with their confidence in the table comments, booleans as ``\checkmark``
    (documented in the comments), and every text is escaped for LaTeX.
    ``limit_conf`` is the confidence of the upper limits (default: ``table.meta``'s
    ``limit_conf``, else CSC's 68% when the table has CSC-style limits).
    """
    names = list(table.colnames)
    partners = error_partners(names)
    flags = {n: f for n in names if (f := limits.flag_column(n, names))}
    hidden = {c for pair in partners.values() for c in pair if c}
    hidden |= {f for n, f in flags.items() if n not in hidden}  # shown as "<" instead
    shown = [n for n in names if n not in hidden]
    kinds = {n: _kind(table[n]) for n in shown}
    heads, units = [], []
    for n in shown:
        heads.append("\\colhead{" + escape(n) + "}")
        units.append("\\colhead{" + _unit_head(table[n], kinds[n]) + "}")
    body, n_limits, n_flagged = [], 0, 0
    for row in table:
        cells = []
        for n in shown:
            cell, was_limit = _cell(row, n, partners.get(n), flags.get(n), kinds[n])
            n_limits += was_limit
            n_flagged += was_limit and n in flags
            cells.append(cell)
        body.append(" & ".join(cells) + " \\\\")
    conf = limit_conf if limit_conf is not None else (table.meta or {}).get("limit_conf")
    if conf is None and n_limits and not n_flagged:  # only CSC's own value = lolim = 0
        conf = limits.CSC_CONFIDENCE
    notes = ["Generated by xcat from its store."]
    if any(k == "ra" for k in kinds.values()):
        notes.append("Positions are ICRS; right ascension in hours, minutes and seconds, "
                     "declination in degrees, arcminutes and arcseconds.")
    if n_limits:
        notes.append(f"Values marked $<$ are upper limits ({n_limits} in this table) at "
                     f"{escape(limits.confidence_text(conf))}.")
    bools = [n for n in shown if kinds[n] == "bool"]
    if bools:
        notes.append("In column(s) " + ", ".join(escape(b) for b in bools) +
                     ", $\\checkmark$ marks true and a blank false.")
    lines = ["\\startlongtable",
             "\\begin{deluxetable*}{" + "".join("l" if kinds[n] == "text" else "r"
                                              for n in shown) + "}",
             f"\\tablecaption{{{escape(caption)}\\label{{{label}}}}}",
             "\\tablehead{" + " & ".join(heads) + " \\\\",
             "  " + " & ".join(units) + "}",
             "\\startdata", *body, "\\enddata",
             "\\tablecomments{" + " ".join(notes) + "}",
             "\\end{deluxetable*}", ""]
    return "\n".join(lines)


def escape(text: Any) -> str:
    r"""Text made safe for LaTeX (outside math): ``_ & % # $ { } ~ ^ \ < > |``.

    >>> escape("log_lx <= 37.5 & 50%")
    'log\\_lx $\\leq$ 37.5 \\& 50\\%'
    """
    s = str(text)
    for a, b in (("<=", "\x00le"), (">=", "\x00ge")):
        s = s.replace(a, b)
    out = []
    for ch in s:
        out.append(_ESCAPES.get(ch, ch))
    return ("".join(out).replace("\x00le", "$\\leq$").replace("\x00ge", "$\\geq$"))


_ESCAPES = {"\\": "\\textbackslash{}", "_": "\\_", "&": "\\&", "%": "\\%", "#": "\\#",
            "$": "\\$", "{": "\\{", "}": "\\}", "~": "\\textasciitilde{}",
            "^": "\\textasciicircum{}", "<": "$<$", ">": "$>$", "|": "$|$"}


def _kind(col: Any) -> str:
    """Kind of a column: ra / dec (sexagesimal), bool, number or text."""
    ucd = (col.meta or {}).get("ucd") or ""
    unit = str(col.unit) if col.unit is not None else ""
    if unit == "deg" and (col.name == "ra" or ucd.startswith("pos.eq.ra")):
        return "ra"
    if unit == "deg" and (col.name == "dec" or ucd.startswith("pos.eq.dec")):
        return "dec"
    if col.dtype.kind == "b":
        return "bool"
    return "number" if col.dtype.kind in "iuf" else "text"


def _unit_head(col: Any, kind: str) -> str:
    if kind == "ra":
        return "(h:m:s)"
    if kind == "dec":
        return "(d:m:s)"
    unit = col.unit
    if unit is None or not str(unit):
        return ""
    return "(" + unit.to_string("latex_inline") + ")"  # keeps its $...$: math mode


def _cell(row: Any, n: str, partner: tuple[str, str | None] | None, flag: str | None,
          kind: str) -> tuple[str, bool]:
    """The cell text of column ``n`` and whether it is an upper limit."""
    v = row[n]
    if v is np.ma.masked or v is None:
        return "\\nodata", False
    if kind == "bool":
        return ("$\\checkmark$" if limits.is_true(v) else ""), False
    if kind in ("ra", "dec"):
        return (_sexagesimal(float(v), kind) if np.isfinite(v) else "\\nodata"), False
    if kind == "text":
        return escape(v), False
    lo = hi = None
    if partner:
        lo = _num(row[partner[0]])
        hi = _num(row[partner[1]]) if partner[1] else None
    flagged = limits.is_true(row[flag]) if flag else False
    if flagged or (partner and partner[1] and limits.csc_style_limit(v, lo, hi)):
        lim = limits.limit_value(v, lo, hi)
        return (f"$<{_plain(lim)[1:-1]}$" if lim is not None else "\\nodata"), True
    if not np.isfinite(v):
        return "\\nodata", False
    if partner and isinstance(v, float | np.floating):
        return round_by_error(float(v), lo, hi if partner[1] else None), False
    if isinstance(v, float | np.floating):
        return _plain(float(v)), False
    return str(v), False


def _num(v: Any) -> float | None:
    return None if v is np.ma.masked or v is None else float(v)


def _plain(v: float) -> str:
    r"""A number without an error, 4 significant figures, as math.

    >>> _plain(3.7e-15), _plain(38.3621)
    ('$3.700\\times10^{-15}$', '$38.36$')
    """
    scale = math.floor(math.log10(abs(v))) if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e5) \
        else 0
    text = f"{v / 10**scale:.4g}" if not scale else f"{v / 10**scale:.3f}"
    return f"${text}\\times10^{{{scale}}}$" if scale else f"${text}$"


def _sexagesimal(deg: float, kind: str) -> str:
    """``14:03:12.535`` for RA, ``+54:20:56.23`` for Dec (rounded, never 60 s)."""
    if kind == "ra":
        total = round((deg % 360) / 15 * 3600, 3)
        h, rest = divmod(total, 3600)
        m, s = divmod(rest, 60)
        return f"{int(h) % 24:02d}:{int(m):02d}:{s:06.3f}"
    sign = "-" if deg < 0 else "+"
    total = round(abs(deg) * 3600, 2)
    d, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{sign}{int(d):02d}:{int(m):02d}:{s:05.2f}"
