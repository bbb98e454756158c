"""``xcat ingest product|srcflux|spectral-fit|snr|rates|classification|xrbid``: read a
product file, shape it for its kind, link its rows to sources, store it (see
:mod:`xcat.products`).

Kinds and what they do to the table:

- ``generic``, ``snr``, ``rates``, ``classification``, ``xrbid``: kept as they are (one
  stored row per input row).
- ``srcflux``: CIAO srcflux ``<root>_<band>.flux`` rows as written, plus ``band``,
  ``emin_kev``/``emax_kev`` (from ``--band`` or the file name) and ``conf`` (srcflux's
  ``conf``, default 0.9); linked by position (``RA``/``DEC``) by default.
- ``spectral_fit``: long form, one row per (source, model, parameter); see
  :mod:`xcat.spectral_fits`; a ``<name>_wide`` view gives one row per source.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa

from xcat.catalog.cone import radius_degrees
from xcat.errors import XcatError
from xcat.io.coords import find_position_columns, to_degrees
from xcat.io.readers import read_table
from xcat.io.table import InputTable, sha256_of
from xcat.jobs.products.install import (
    install_product,
    product_name,
    provenance_detail,
)
from xcat.jobs.products.link import link_by_key, link_by_position, no_link
from xcat.jobs.products.model import LinkResult, ProductBuild
from xcat.jobs.products.spectral_fits import to_long
from xcat.store.db import Database

KINDS = ("generic", "srcflux", "spectral_fit", "snr", "rates", "classification", "xrbid")
# CIAO srcflux/CSC band names -> (emin, emax) keV
BANDS = {"broad": (0.5, 7.0), "soft": (0.5, 1.2), "medium": (1.2, 2.0), "hard": (2.0, 7.0),
         "ultrasoft": (0.2, 0.5), "wide": (0.1, 10.0), "csc": (0.5, 7.0)}
SRCFLUX_UNITS = {"net_rate": "ct / s", "net_counts": "ct", "net_photflux": "photon / (s cm2)",
                 "net_flux": "erg / (s cm2)", "net_mflux": "erg / (s cm2)",
                 "net_umflux": "erg / (s cm2)", "net_lum": "erg / s"}


def ingest_product(store_path: str | Path | None, file: Path, *, kind: str,
                   name: str | None = None, key: str | None = None, catalog: str = "csc",
                   radius: str | None = None, ra: str | None = None, dec: str | None = None,
                   no_link: bool = False, source_column: str | None = None,
                   band: str | None = None, conf: float | None = None,
                   models: tuple[str, ...] = (), fmt: str | None = None,
                   replace: bool = False) -> list[str]:
    """Read, shape, link and store one product file; return the lines to show.

    Parameters
    ----------
    store_path : path or None
        The store (``None``: ``$XCAT_STORE`` or ``./xcat-store``).
    file : Path
        The product table (CSV/``.frame``/FITS/VOTable/ECSV/Parquet).
    kind : str
        One of :data:`KINDS`.
    name : str, optional
        Product (table) name; default from the file name.
    key : str, optional
        Column holding the source key (e.g. ``"CSC ID"``), checked against ``catalog``.
    catalog : str
        Catalog whose sources the rows link to (default ``csc``).
    radius : str, optional
        Link by position instead: the nearest source within this radius (``1arcsec``).
    ra, dec : str, optional
        Position columns for ``radius`` links (found by name when omitted).
    no_link : bool
        Store the rows without linking them (rule recorded as such).
    source_column : str, optional
        ``spectral_fit``: the column naming the source (default ``key``).
    band, conf : optional
        ``srcflux``: the band (default from the file name) and confidence (0.9).
    models : tuple of str
        ``spectral_fit``: only these models.
    fmt : str, optional
        Input format when the file name does not tell.
    replace : bool
        Replace a product of this name loaded from another file.

    Examples
    --------
    >>> ingest_product("xcat-store", Path("M101_csc_bestrads.frame"), kind="xrbid",
    ...                key="CSC ID", catalog="csc")                   # doctest: +SKIP
    ['m101_csc_bestrads: loaded 555 rows (xrbid) from M101_csc_bestrads.frame',
     "  link: key 'CSC ID' = csc.name: 555 linked, 0 unlinked"]

    """
    if kind not in KINDS:
        raise XcatError(f"unknown product kind '{kind}' (known: {', '.join(KINDS)})")
    given = [o for o, v in (("--key", key), ("--radius", radius), ("--no-link", no_link)) if v]
    if kind == "srcflux" and not given:
        radius = radius or "1arcsec"
        given = ["--radius"]
    if len(given) != 1:
        raise XcatError("link the rows with one of --key COLUMN, --radius R (nearest source "
                        "within R) or --no-link" + (f" (got {', '.join(given)})" if given else ""))
    file = file.absolute()
    name = product_name(file, name)
    inp = read_table(file, fmt)
    build, positions = _shape(inp, kind, name, key=key, ra=ra, dec=dec,
                              source_column=source_column, band=band, conf=conf,
                              models=models, need_positions=radius is not None)
    options = {"kind": kind, "key": key, "catalog": None if no_link else catalog,
               "radius": radius, "ra": ra, "dec": dec, "source_column": source_column,
               "band": band, "conf": conf, "models": list(models), "format": fmt}
    with Database.open(store_path, create=no_link) as store:
        link = _link(store, build, positions, key=key, catalog=catalog, radius=radius,
                     source=str(file))
        cat_sha = None if no_link else store.catalog(catalog)["sha256"]
        detail = provenance_detail(options, cat_sha)
        return install_product(store, build, link, source=str(file), detail=detail,
                               sha256=sha256_of(file), replace=replace)


def _link(store, build: ProductBuild, positions, *, key, catalog, radius,
          source) -> LinkResult:

    n_in = build.table.num_rows
    if key:
        link_key = "source" if build.kind == "spectral_fit" else key
        return link_by_key(store, build.table, link_key, catalog, source)
    if radius:

        ra, dec = positions
        return link_by_position(store, ra, dec, catalog, radius_degrees(radius) * 3600.0)
    return no_link(n_in)


def _shape(inp: InputTable, kind: str, name: str, *, key, ra, dec, source_column, band,
           conf, models, need_positions: bool) -> tuple[ProductBuild, tuple | None]:
    table = inp.table
    units = {c: m.unit for c, m in inp.meta.items() if m.unit}
    descriptions = {c: m.description for c, m in inp.meta.items() if m.description}
    notes = list(inp.notes)
    if kind == "spectral_fit":

        src = source_column or key or _first_string_column(table, inp.source)
        long, values = to_long(table, src, models)
        rows = long.column("_input_row").to_pylist()
        hint = long.column("unit_hint").to_pylist()
        long = long.drop(["_input_row", "unit_hint"])
        notes.append(f"{len(values)} model parameters from {table.num_rows} fitted sources "
                     f"(source column '{src}')" + ("; flux units assumed erg/s/cm2"
                                                   if any(hint) else ""))
        build = ProductBuild(name, kind, long, {}, _FIT_DESCRIPTIONS, [r + 1 for r in rows],
                             values, notes)
        positions = _positions(inp, ra, dec) if need_positions else None
        if positions is not None:
            idx = np.asarray(rows, dtype=int)
            positions = (positions[0][idx], positions[1][idx])
        return build, positions
    if kind == "srcflux":
        table, units, notes = _srcflux(inp, table, units, band, conf, notes)
    build = ProductBuild(name, kind, table, units, descriptions, None, [], notes)
    return build, (_positions(inp, ra, dec) if need_positions else None)


def _srcflux(inp: InputTable, table: pa.Table, units: dict, band: str | None,
             conf: float | None, notes: list[str]):
    band = band or _band_from_name(Path(inp.source).name)
    if band is None:
        raise XcatError(f"{inp.source}: cannot tell the srcflux band from the file name "
                        "(<root>_<band>.flux); give --band broad|soft|medium|hard|...")
    emin, emax = _band_range(band)
    n = table.num_rows
    for c in table.column_names:
        base = re.sub(r"_aper\d*$", "", re.sub(r"_(lo|hi)$", "", c.lower()))
        if c not in units and base in SRCFLUX_UNITS:
            units[c] = SRCFLUX_UNITS[base]
            notes.append(f"unit of {c} assumed {SRCFLUX_UNITS[base]} (srcflux convention)")
    conf = 0.9 if conf is None else float(conf)
    if not 0 < conf < 1:
        raise XcatError(f"--conf {conf} must be between 0 and 1")
    table = (table.append_column("band", pa.array([band] * n))
             .append_column("emin_kev", pa.array([emin] * n, pa.float64()))
             .append_column("emax_kev", pa.array([emax] * n, pa.float64()))
             .append_column("conf", pa.array([conf] * n, pa.float64())))
    units.update(emin_kev="keV", emax_kev="keV")
    return table, units, notes


def _band_from_name(filename: str) -> str | None:
    m = re.search(r"_([A-Za-z]+|[\d.]+:[\d.]+(?::[\d.]+)?)\.flux", filename)
    return m[1] if m else None


def _band_range(band: str) -> tuple[float | None, float | None]:
    if band.lower() in BANDS:
        return BANDS[band.lower()]
    m = re.fullmatch(r"([\d.]+):([\d.]+)(?::[\d.]+)?", band)
    if m:
        return float(m[1]), float(m[2])
    raise XcatError(f"--band {band}: use broad, soft, medium, hard, ultrasoft, wide or "
                    "EMIN:EMAX[:EFF] in keV")


def _positions(inp: InputTable, ra: str | None, dec: str | None):

    ra_col, dec_col = find_position_columns(inp, ra, dec)
    out = []
    for col, is_ra in ((ra_col, True), (dec_col, False)):
        arr = inp.table.column(col).combine_chunks()
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):

            arr = to_degrees(inp, col, is_ra)
        values = np.asarray(arr.to_numpy(zero_copy_only=False), dtype=float)
        bad = np.isfinite(values) & ((values < -90) | (values > 90)) if not is_ra else \
            np.isfinite(values) & ((values < 0) | (values > 360))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise XcatError(f"{inp.source}: column '{col}', row {i + 1}: {values[i]} is not a "
                            f"valid {'RA' if is_ra else 'Dec'} in degrees")
        out.append(values)
    return out[0], out[1]


def _first_string_column(table: pa.Table, source: str) -> str:
    for f in table.schema:
        if pa.types.is_string(f.type) or pa.types.is_large_string(f.type):
            return f.name
    raise XcatError(f"{source}: no source-name column; give --source-column COLUMN")


_FIT_DESCRIPTIONS = {
    "source": "Source name as given in the fit table",
    "model": "Model (component) name, e.g. bbody, powerlaw",
    "parameter": "Parameter name (kT, PhoIndex, norm) or flux_<lo>-<hi>keV",
    "value": "Best-fit value",
    "lower": "Lower confidence bound (value - err-); fluxes: calcFlux lower bound",
    "upper": "Upper confidence bound (value + err+); fluxes: calcFlux upper bound",
    "error_ok": "XSPEC error string was FFFFFFFFF (the <model>_<par>_good_err column)",
    "statistic": "Name of the fit-statistic column (cstat, chi2, ...)",
    "fit_statistic": "Fit statistic of the source's fit",
}
