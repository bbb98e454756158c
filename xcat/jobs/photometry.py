"""HST photometry lists: an ID, positions (RA/Dec, or pixel X/Y with a FITS WCS header)
and magnitudes per filter. The sources become catalog ``<name>`` (every input column,
plus ``ra``/``dec`` when computed from pixels); the magnitudes become the child catalog
``<name>_photometry``, long-form (id, filter, mag, mag_err, ra, dec), keyed by
(id, filter), so any set of filters works.

Filter columns are found by HST filter names (F435W, F555W, F814W, F160W ...): a
numeric column whose name holds the filter is its magnitude, one that also says
``err``/``e_``/``sig`` is its error; ``--filters "F555W=m555:e555"`` names them instead.

Examples
--------
>>> from xcat.jobs.runner import run
>>> job = PhotometryJob(file=Path("daophot.csv"), key="ID", x="X", y="Y",
...                     wcs=Path("f555w_drc.fits"))
>>> run("xcat-store", job)                                        # doctest: +SKIP
['daophot: loaded 1271 rows ...', 'daophot_photometry: loaded 2542 rows ...']

"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from xcat.catalog.build import CatalogBuild, check_unique
from xcat.catalog.prepare import prepare
from xcat.errors import XcatError
from xcat.io.readers import read_table
from xcat.io.table import ColumnMeta, InputTable, sha256_of
from xcat.jobs.base import Job, Provenance, options_detail
from xcat.jobs.file import name_from_file
from xcat.jobs.runner import CatalogInstall
from xcat.store.kinds import load_definition

FILTER_RE = re.compile(r"(?i)(?<![A-Za-z0-9])(F\d{3,4}(?:W2|LP|W|M|N|X))(?![A-Za-z0-9])")
ERR_WORDS = {"e", "err", "error", "sig", "sigma", "unc", "d", "dmag"}


@dataclass(frozen=True, kw_only=True)
class PhotometryJob(Job):
    """Load an HST photometry list: sources to ``name``, magnitudes to ``name_photometry``.

    Positions are ``ra``/``dec`` columns, or pixel columns ``x``/``y`` with the FITS WCS
    in ``wcs`` (``origin`` 1: FITS/DS9/DAOPhot, 0: numpy); ``filters``
    (``"F555W=m555:e555,..."``) names the magnitude columns when their names do not.
    """

    file: Path
    key: str
    name: str | None = None
    ra: str | None = None
    dec: str | None = None
    x: str | None = None
    y: str | None = None
    wcs: Path | None = None
    origin: int = 1
    filters: str | None = None
    fmt: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "file", Path(self.file))
        if self.x or self.y or self.wcs:
            if not (self.x and self.y and self.wcs) or self.ra or self.dec:
                raise XcatError("pixel positions need --x, --y and --wcs (and no --ra/--dec)")
            if self.origin not in (0, 1):
                raise XcatError(f"--origin {self.origin}: use 1 (FITS/DS9) or 0 (numpy)")
            object.__setattr__(self, "wcs", Path(self.wcs))

    def prepare(self) -> CatalogInstall:
        """Read and check the list without touching any store."""
        file = Path(os.path.abspath(self.file))  # noqa: PTH100 (".." folded, links kept)
        inp = read_table(file, self.fmt)
        name = self.name or name_from_file(file)
        key, ra, dec, x, y, wcs = self.key, self.ra, self.dec, self.x, self.y, self.wcs
        if key not in inp.table.column_names:
            raise XcatError(f"{inp.source}: no ID column '{key}'")
        detail = {"kind": "hst", "key": key, "format": self.fmt, "filters": self.filters}
        if x and y and wcs:
            sky_ra, sky_dec, wcs_text = pixels_to_sky(inp, x, y, wcs, self.origin)
            for col, values in (("ra", sky_ra), ("dec", sky_dec)):
                if col in inp.table.column_names:
                    raise XcatError(f"{inp.source}: has a column '{col}' already; rename it "
                                    "with a table edit or give --ra/--dec instead of pixels")
                inp.table = inp.table.append_column(col, pa.array(values, pa.float64()))
                inp.meta[col] = ColumnMeta(unit="deg", ucd=f"pos.eq.{col};meta.main",
                                           description=f"From {x}/{y} with the WCS of "
                                           f"{wcs.name} (origin {self.origin})",
                                           source_column=f"{x},{y}")
            ra, dec = "ra", "dec"
            detail.update(x=x, y=y, origin=self.origin, wcs_sha256=_sha_text(wcs_text))
        mags = find_filters(inp, self.filters, skip={key})
        check_unique(inp.table, [key], inp.source)
        builds = prepare(inp, load_definition("hst"), name=name, ra=ra, dec=dec, key=key)
        main = builds[0]
        long = _long_form(main, key, mags)
        meta = {"filter": ColumnMeta(description="HST filter"),
                "mag": ColumnMeta(unit="mag", description="Magnitude, as given"),
                "mag_err": ColumnMeta(unit="mag", description="Magnitude error, as given"),
                main.ra: ColumnMeta(unit="deg", description="Source position"),
                main.dec: ColumnMeta(unit="deg", description="Source position")}
        child = CatalogBuild(f"{name}_photometry", "hst_photometry", long, meta, main.ra,
                             main.dec, [key, "filter"], parent=name,
                             notes=[f"filters: {', '.join(mags)}"])
        prov = Provenance(str(file), options_detail(detail), sha256_of(file))
        return CatalogInstall([([main, child], prov)])


def pixels_to_sky(inp: InputTable, x: str, y: str, wcs_file: Path,
                  origin: int = 1) -> tuple[np.ndarray, np.ndarray, str]:
    """RA/Dec (deg) of pixel columns through the FITS WCS in ``wcs_file``.

    ``wcs_file`` is a FITS file (the first HDU with a celestial WCS) or a text header
    (``Header.fromtextfile``). ``origin`` 1 is the FITS/DS9/DAOPhot convention.
    """
    from astropy.wcs import WCS

    if origin not in (0, 1):
        raise XcatError(f"--origin {origin}: use 1 (FITS/DS9) or 0 (numpy)")
    for c in (x, y):
        if c not in inp.table.column_names:
            raise XcatError(f"{inp.source}: no pixel column '{c}'")
    header = _read_header(wcs_file)
    try:
        w = WCS(header)
    except Exception as exc:
        raise XcatError(f"{wcs_file}: not a usable FITS WCS ({exc})") from exc
    if not w.has_celestial:
        raise XcatError(f"{wcs_file}: the header has no celestial WCS (CTYPE RA---/DEC--)")
    xs = np.asarray(inp.table.column(x).to_numpy(zero_copy_only=False), dtype=float)
    ys = np.asarray(inp.table.column(y).to_numpy(zero_copy_only=False), dtype=float)
    bad = ~(np.isfinite(xs) & np.isfinite(ys))
    if bad.any():
        raise XcatError(f"{inp.source}: row {int(np.flatnonzero(bad)[0]) + 1} has no pixel "
                        f"position in '{x}'/'{y}'")
    sky = w.celestial.all_pix2world(xs, ys, origin)
    return np.mod(sky[0], 360.0), sky[1], header.tostring()


def find_filters(inp: InputTable, spec: str | None,
                 skip: set[str]) -> dict[str, tuple[str, str | None]]:
    """Filter → (magnitude column, error column or None)."""
    cols = inp.table.column_names
    if spec:
        out = {}
        for item in filter(None, (s.strip() for s in spec.split(","))):
            m = re.fullmatch(r"([^=]+)=([^:]+)(?::(.+))?", item)
            if not m:
                raise XcatError(f"--filters entry '{item}' is not FILTER=MAG[:ERR]")
            for c in filter(None, (m[2], m[3])):
                if c not in cols:
                    raise XcatError(f"{inp.source}: no column '{c}' (--filters {m[1]})")
            out[m[1].strip()] = (m[2], m[3])
        return out
    found: dict[str, dict[str, list[str]]] = {}
    for c in cols:
        t = inp.table.column(c).type
        if c in skip or not (pa.types.is_floating(t) or pa.types.is_integer(t)):
            continue
        m = FILTER_RE.search(c)
        if not m or re.search(r"(?i)\bid\b|_id$|^id_", c):
            continue
        rest = FILTER_RE.sub("", c)
        word = rest.strip(" _").lower()
        role = "err" if word in ERR_WORDS or "err" in word else "mag"
        found.setdefault(m[1].upper(), {"mag": [], "err": []})[role].append(c)
    out = {}
    for f, roles in sorted(found.items()):
        if len(roles["mag"]) != 1 or len(roles["err"]) > 1:
            raise XcatError(f"{inp.source}: cannot tell the {f} magnitude column "
                            f"({', '.join(roles['mag'] + roles['err']) or 'none'}); "
                            'name it with --filters "F555W=MAG:ERR"')
        out[f] = (roles["mag"][0], roles["err"][0] if roles["err"] else None)
    if not out:
        raise XcatError(f"{inp.source}: no magnitude columns named after HST filters "
                        '(F555W ...); name them with --filters "F555W=MAG:ERR"')
    return out


def _long_form(main, key: str, mags: dict[str, tuple[str, str | None]]) -> pa.Table:
    t = main.table
    parts = []
    for f, (mag, err) in mags.items():
        mag_col = t.column(mag).cast(pa.float64())
        valid = pc.and_(mag_col.is_valid(), pc.invert(pc.is_nan(mag_col.fill_null(0.0))))
        n = t.num_rows
        part = pa.table({key: t.column(key), "filter": pa.array([f] * n),
                         "mag": mag_col,
                         "mag_err": (t.column(err).cast(pa.float64()) if err
                                     else pa.nulls(n, pa.float64())),
                         main.ra: t.column(main.ra), main.dec: t.column(main.dec)})
        parts.append(part.filter(valid))
    return pa.concat_tables(parts)


def _read_header(path: Path):
    from astropy.io import fits

    if not path.exists():
        raise XcatError(f"{path}: no such WCS file")
    if path.is_dir():
        raise XcatError(f"{path}: is a directory, not a FITS file or header text")
    with warnings.catch_warnings(record=True):  # astropy's verify warnings: never printed
        warnings.simplefilter("always")
        try:
            with fits.open(path) as hdul:
                for hdu in hdul:
                    if "CTYPE1" in hdu.header:
                        return hdu.header.copy()
                return hdul[0].header.copy()
        except OSError:
            pass
        try:
            return fits.Header.fromtextfile(str(path))
        except Exception as exc:
            raise XcatError(f"{path}: not a FITS file or FITS header text "
                            f"({str(exc).strip() or type(exc).__name__})") from exc


def _sha_text(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()
