"""``xcat ingest product|srcflux|spectral-fit|snr|rates|classification|xrbid``: read a
product file, shape it for its kind (``ingest/products/<kind>.toml``), link its rows to
sources, store it (see :mod:`xcat.jobs.products.install`).

Kinds and what they do to the table:

- ``generic``, ``snr``, ``rates``, ``classification``, ``xrbid``: kept as they are (one
  stored row per input row).
- ``srcflux``: CIAO srcflux ``<root>_<band>.flux`` rows as written, plus ``band``,
  ``emin_kev``/``emax_kev`` (from ``band`` or the file name) and ``conf`` (srcflux's
  ``conf``, default 0.9); linked by position (``RA``/``DEC``) by default.
- ``spectral_fit``: long form, one row per (source, model, parameter); see
  :mod:`xcat.jobs.products.spectral_fits`; a ``<name>_wide`` view gives one row per source.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from xcat.catalog.cone import radius_degrees
from xcat.catalog.values import check_probabilities, check_units
from xcat.errors import XcatError
from xcat.io.coords import find_position_columns, to_degrees
from xcat.io.readers import read_table
from xcat.io.table import InputTable, sha256_of
from xcat.jobs.base import Install, Job
from xcat.jobs.products.install import install_product, product_name, provenance_detail
from xcat.jobs.products.kinds import ProductKind, product_kind
from xcat.jobs.products.link import link_by_key, link_by_position, no_link
from xcat.jobs.products.model import LinkResult, ProductBuild
from xcat.jobs.products.spectral_fits import to_long
from xcat.store.db import Database


@dataclass(frozen=True, kw_only=True)
class ProductJob(Job):
    """Read, shape, link and store one product file.

    Parameters
    ----------
    file : Path
        The product table (CSV/``.frame``/FITS/VOTable/ECSV/Parquet).
    kind : str
        A product kind of ``ingest/products/`` (generic, srcflux, spectral_fit, ...).
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
    models : tuple of str, or a comma-separated str
        ``spectral_fit``: only these models.
    fmt : str, optional
        Input format when the file name does not tell.

    Examples
    --------
    >>> from xcat.jobs.runner import run
    >>> job = ProductJob(file=Path("M101_csc_bestrads.frame"), kind="xrbid", key="CSC ID")
    >>> run("xcat-store", job)                                    # doctest: +SKIP
    ['m101_csc_bestrads: loaded 555 rows (xrbid) from M101_csc_bestrads.frame',
     "  link: key 'CSC ID' = csc.name: 555 linked, 0 unlinked"]

    """

    file: Path
    kind: str
    name: str | None = None
    key: str | None = None
    catalog: str = "csc"
    radius: str | None = None
    ra: str | None = None
    dec: str | None = None
    no_link: bool = False
    source_column: str | None = None
    band: str | None = None
    conf: float | None = None
    models: tuple[str, ...] = ()
    fmt: str | None = None

    def __post_init__(self) -> None:
        spec = product_kind(self.kind)
        object.__setattr__(self, "file", Path(self.file))
        models = self.models or ()
        if isinstance(models, str):  # "bbody,powerlaw" from the command line
            models = [m.strip() for m in models.split(",")]
        object.__setattr__(self, "models", tuple(models))
        given = [o for o, v in (("--key", self.key), ("--radius", self.radius),
                                ("--no-link", self.no_link)) if v]
        if spec.default_radius and not given:
            object.__setattr__(self, "radius", spec.default_radius)
            given = ["--radius"]
        if len(given) != 1:
            raise XcatError("link the rows with one of --key COLUMN, --radius R (nearest "
                            "source within R) or --no-link"
                            + (f" (got {', '.join(given)})" if given else ""))
        if self.name is not None:
            product_name(self.file, self.name)

    def prepare(self) -> ProductInstall:
        """Read and shape the file (no store touched); linking needs the store."""
        file = Path(os.path.abspath(self.file))  # noqa: PTH100 (".." folded, links kept)
        name = product_name(file, self.name)
        inp = read_table(file, self.fmt)
        build, positions = _shape(inp, product_kind(self.kind), name, key=self.key, ra=self.ra,
                                  dec=self.dec, source_column=self.source_column,
                                  band=self.band, conf=self.conf, models=self.models,
                                  need_positions=self.radius is not None)
        return ProductInstall(self, file, build, positions)


class ProductInstall(Install):
    """A shaped product: linked to its catalog's sources and stored once the store is open."""

    def __init__(self, job: ProductJob, file: Path, build: ProductBuild, positions):
        self.job, self.file, self.build, self.positions = job, file, build, positions

    @property
    def create_store(self) -> bool:
        """Only an unlinked product may create the store (a link needs its catalog)."""
        return self.job.no_link

    def install(self, store: Database, *, replace: bool = False,
                progress: bool = False) -> list[str]:
        """Link the rows, then store the product and its registry row atomically."""
        job, file = self.job, self.file
        options = {"kind": job.kind, "key": job.key,
                   "catalog": None if job.no_link else job.catalog, "radius": job.radius,
                   "ra": job.ra, "dec": job.dec, "source_column": job.source_column,
                   "band": job.band, "conf": job.conf, "models": list(job.models),
                   "format": job.fmt}
        link = _link(store, self.build, self.positions, key=job.key, catalog=job.catalog,
                     radius=job.radius, source=str(file))
        cat_sha = None if job.no_link else store.catalog(job.catalog)["sha256"]
        return install_product(store, self.build, link, source=str(file),
                               detail=provenance_detail(options, cat_sha),
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


def _shape(inp: InputTable, spec: ProductKind, name: str, *, key, ra, dec, source_column,
           band, conf, models, need_positions: bool) -> tuple[ProductBuild, tuple | None]:
    kind = spec.kind
    check_probabilities(inp, spec.probabilities)
    check_units(inp, strict=False)  # kept as written, with a note (products have no --map)
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
        build = ProductBuild(name, kind, long, {}, dict(spec.descriptions),
                             [r + 1 for r in rows], values, notes)
        positions = _positions(inp, ra, dec) if need_positions else None
        if positions is not None:
            idx = np.asarray(rows, dtype=int)
            positions = (positions[0][idx], positions[1][idx])
        return build, positions
    if kind == "srcflux":
        table, units, notes = _srcflux(inp, spec, table, units, band, conf, notes)
    build = ProductBuild(name, kind, table, units, descriptions, None, [], notes)
    return build, (_positions(inp, ra, dec) if need_positions else None)


def _srcflux(inp: InputTable, spec: ProductKind, table: pa.Table, units: dict,
             band: str | None, conf: float | None, notes: list[str]):
    band = band or _band_from_name(Path(inp.source).name)
    if band is None:
        raise XcatError(f"{inp.source}: cannot tell the srcflux band from the file name "
                        "(<root>_<band>.flux); give --band broad|soft|medium|hard|...")
    emin, emax = _band_range(band, spec.bands)
    n = table.num_rows
    for c in table.column_names:
        base = re.sub(r"_aper\d*$", "", re.sub(r"_(lo|hi)$", "", c.lower()))
        if c not in units and base in spec.units:
            units[c] = spec.units[base]
            notes.append(f"unit of {c} assumed {spec.units[base]} (srcflux convention)")
    conf = spec.default_conf if conf is None else float(conf)
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


def _band_range(band: str, bands: dict[str, tuple[float, float]]
                ) -> tuple[float | None, float | None]:
    if band.lower() in bands:
        return bands[band.lower()]
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

