"""Spectral-fit result tables (one row per source, wide) → long form
(source, model, parameter, value, lower, upper, error_ok, flags, statistic, fit_statistic).

The column naming is that of the HEASARC ROSAT/PyXSPEC tutorial's saved results:

- ``<model>_<par>`` (``bbody_kT``, ``powerlaw_PhoIndex``, ``powerlaw_norm``) is a value;
  ``<model>_<par>_err-`` and ``_err+`` are the distances to the lower and upper
  confidence bounds (value − lower, upper − value); ``<model>_<par>_good_err`` is the
  boolean from XSPEC's error string (``FFFFFFFFF`` = no problem).
- ``<model>_<lo>-<hi>keV_flux`` is a model energy flux; there ``_flux_err-`` and
  ``_flux_err+`` are the *bounds* XSPEC's ``calcFlux ... err`` returns (not distances).
- ``_lo``/``_hi`` (or ``_lower``/``_upper``) suffixes are accepted as absolute bounds.
- A column named like ``cstat``, ``chi2``, ``statistic`` or ``<model>_cstat`` is the
  fit statistic of the row (per model when prefixed).

Examples
--------
>>> import pyarrow as pa
>>> t = pa.table({"src": ["A"], "bbody_kT": [0.15], "bbody_kT_err-": [0.02],
...               "bbody_kT_err+": [0.03], "bbody_kT_good_err": [True]})
>>> long, values = to_long(t, "src")
>>> long.column("lower").to_pylist(), values
([0.13], ['bbody_kT'])

"""

from __future__ import annotations

import re

import pyarrow as pa

from xcat.errors import XcatError

FLUX_RE = re.compile(r"^(?P<model>[A-Za-z][A-Za-z0-9]*)_(?P<lo>[\d.]+)-(?P<hi>[\d.]+)keV_flux$")
STAT_NAMES = ("cstat", "chi2", "chisq", "statistic", "fit_statistic", "wstat", "pgstat")
ERR_SUFFIXES = {"_err-": "minus", "_err+": "plus", "_lo": "lo", "_lower": "lo", "_hi": "hi",
                "_upper": "hi", "_good_err": "good", "_flag": "flag", "_err_flag": "flag"}


def to_long(table: pa.Table, key: str, models: tuple[str, ...] = ()
            ) -> tuple[pa.Table, list[str]]:
    """Long-form rows of a wide fit table, and the ``model_parameter`` names found.

    ``key`` is the column naming the source; each output row carries its input row
    number in ``_input_row`` (0-based) so links and messages can refer back to it.
    ``models`` restricts the parameters to those models (default: every numeric
    column named ``<model>_<...>``).
    """
    cols = table.column_names
    if key not in cols:
        raise XcatError(f"no source column '{key}' in the fit table (columns: "
                        f"{', '.join(cols[:10])})")
    aux = {}
    for c in cols:
        for suffix, role in ERR_SUFFIXES.items():
            if c.endswith(suffix) and c[: -len(suffix)] in cols:
                aux[c] = (c[: -len(suffix)], role)
    stats = {c: _stat_model(c) for c in cols if _stat_model(c) is not None}
    values = [c for c in cols if c != key and c not in aux and c not in stats
              and "_" in c and _is_number(table.column(c).type)
              and (not models or _split(c)[0] in models)]
    if not values:
        raise XcatError("no fitted parameters found: expected columns named <model>_<par> "
                        "(e.g. bbody_kT, powerlaw_PhoIndex) or <model>_<lo>-<hi>keV_flux")
    roles: dict[str, dict[str, str]] = {v: {} for v in values}
    for c, (base, role) in aux.items():
        if base in roles:
            roles[base][role] = c
    data = {c: table.column(c).to_pylist() for c in cols}
    out: dict[str, list] = {k: [] for k in ("_input_row", "source", "model", "parameter",
                                            "value", "lower", "upper", "error_ok",
                                            "statistic", "fit_statistic", "unit_hint")}
    for i, src in enumerate(data[key]):
        for v in values:
            val = data[v][i]
            if val is None:
                continue
            model, par, is_flux = _split(v)
            r = roles[v]
            lo, hi = _bounds(val, r, data, i, is_flux)
            stat_col = next((s for s, m in stats.items() if m == model), None) or next(
                (s for s, m in stats.items() if m == ""), None)
            good = data[r["good"]][i] if "good" in r else None
            out["_input_row"].append(i)
            out["source"].append(None if src is None else str(src).strip())
            out["model"].append(model)
            out["parameter"].append(par)
            out["value"].append(float(val))
            out["lower"].append(lo)
            out["upper"].append(hi)
            out["error_ok"].append(None if good is None else _truth(good, v, i))
            out["statistic"].append(stat_col)
            out["fit_statistic"].append(None if stat_col is None or data[stat_col][i] is None
                                        else float(data[stat_col][i]))
            out["unit_hint"].append("erg / (s cm2)" if is_flux else None)
    long = pa.table(out)
    names = sorted({f"{m}_{p}" for m, p in zip(out["model"], out["parameter"], strict=True)})
    return long, names


def _split(col: str) -> tuple[str, str, bool]:
    m = FLUX_RE.match(col)
    if m:
        return m["model"], f"flux_{m['lo']}-{m['hi']}keV", True
    model, _, par = col.partition("_")
    return model, par, False


def _bounds(val: float, r: dict[str, str], data: dict, i: int,
            is_flux: bool) -> tuple[float | None, float | None]:
    def get(role: str) -> float | None:
        c = r.get(role)
        return None if c is None or data[c][i] is None else float(data[c][i])

    lo, hi = get("lo"), get("hi")
    minus, plus = get("minus"), get("plus")
    if is_flux:  # calcFlux "err": the columns hold the bounds themselves
        return lo if lo is not None else minus, hi if hi is not None else plus
    if lo is None and minus is not None:
        lo = float(val) - minus
    if hi is None and plus is not None:
        hi = float(val) + plus
    return lo, hi


def _stat_model(col: str) -> str | None:
    low = col.lower()
    if low in STAT_NAMES:
        return ""
    model, _, rest = col.partition("_")
    return model if rest.lower() in STAT_NAMES else None


def _truth(v: object, col: str, i: int) -> bool:
    if isinstance(v, bool):
        return v
    text = str(v).strip().lower()
    if text in ("true", "t", "1", "yes"):
        return True
    if text in ("false", "f", "0", "no"):
        return False
    raise XcatError(f"column '{col}_good_err', row {i + 1}: '{v}' is not a boolean")


def _is_number(t: pa.DataType) -> bool:
    return pa.types.is_integer(t) or pa.types.is_floating(t)
