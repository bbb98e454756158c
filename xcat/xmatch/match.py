"""Cross-match two catalogs of a store: read positions and errors, find every pair with
:mod:`xcat.xmatch`, score it with :mod:`xcat.xmatch_scoring`, record it as a run.

Modes: a fixed ``radius``; or ``sigma=k``: each pair's radius is k times the quadrature sum
of the two 1-sigma errors (X-ray catalogs: ``xray_sources.pos_err_1sigma``; others: a
column named with ``left_err``/``right_err``), optionally tested in the CSC error ellipse
(``ellipse=True``); or ``radius_column``: a per-source radius column of the left catalog
(e.g. ``pos_err_r95``, XRBID's "2-sigma" radius). ``nearest`` keeps each left source's
nearest candidate, ``best`` only mutual nearest pairs.

Examples
--------
>>> from xcat.xmatch.match import XmatchOptions, xmatch
>>> res = xmatch(store, "csc", "hst_f555w", XmatchOptions(sigma=2.0), name="csc_x_hst")
... # doctest: +SKIP
>>> res.pairs.num_rows                                              # doctest: +SKIP
875

"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from xcat.catalog.runs import XmatchRun, record_run
from xcat.errors import XcatError
from xcat.sky import scoring as sc
from xcat.sky.pairs import pairs_within, rank_by_left
from xcat.sky.units import parse_quantity
from xcat.store import sqlbuild
from xcat.store.db import Database
from xcat.store.sql import run_arrow
from xcat.xmatch import log
from xcat.xmatch.density import Density, Truncation, density_from, parse_density, truncation_message
from xcat.xmatch.sides import Side, read_side
from xcat.xmatch.sides import values as _np


@dataclass
class XmatchOptions:
    """Parameters of a cross-match run (all recorded with the run).

    Radii are in arcsec. Exactly one of ``radius``, ``sigma`` or ``radius_column``.
    """

    radius: float | None = None
    sigma: float | None = None
    radius_column: str | None = None
    ellipse: bool = False
    nearest: bool = False
    best: bool = False
    left_err: str | None = None
    right_err: str | None = None
    annulus: tuple[float, float] | None = None
    density: bool | str | float = True
    density_from: str | None = None
    density_area: str | None = None
    lr: bool = False
    completeness: float = 0.9

    def given_density(self) -> float | None:
        """The field density given as a value (arcsec⁻²), else None.

        ``density``: True (measure it in the annulus; refused on a truncated list),
        ``"annulus"`` (measure it there, the list is known to be complete), a value
        (``0.67`` arcsec⁻² or ``"0.67/arcsec2"``), or False (no densities).
        """
        if isinstance(self.density, bool) or self.density == "annulus":
            return None
        return parse_density(self.density)

    def validate(self) -> None:
        """Raise ``XcatError`` on contradictory or out-of-range options."""
        modes = [x is not None for x in (self.radius, self.sigma, self.radius_column)]
        if sum(modes) != 1:
            raise XcatError("give exactly one of --radius, --sigma or --radius-column")
        if self.radius is not None and not self.radius > 0:
            raise XcatError(f"radius {self.radius} arcsec must be > 0")
        if self.sigma is not None and not self.sigma > 0:
            raise XcatError(f"--sigma {self.sigma} must be > 0")
        if self.ellipse and self.sigma is None:
            raise XcatError("--ellipse needs --sigma (the ellipse is scaled to k sigma)")
        if self.nearest and self.best:
            raise XcatError("give --nearest or --best, not both")
        if not 0 < self.completeness < 1:
            raise XcatError(f"completeness {self.completeness} must be between 0 and 1")
        if self.annulus is not None and not 0 <= self.annulus[0] < self.annulus[1]:
            raise XcatError(f"annulus {self.annulus} arcsec must have 0 <= inner < outer")
        given = self.given_density()
        if (self.density_from is None) != (self.density_area is None):
            raise XcatError("--density-from CATALOG and --area REGION go together")
        if self.density_from is not None and (given is not None or self.density is False
                                              or self.density == "annulus"):
            raise XcatError("give one density: --density VALUE, --density annulus, "
                            "--density-from CATALOG --area REGION or --no-density")


@dataclass
class XmatchResult:
    """A finished cross-match: the run id (None when not recorded) and its pairs."""

    run_id: int | None
    name: str | None
    pairs: pa.Table
    parameters: dict[str, Any]


def arcsec(value: str | float | Any) -> float:
    """An angle in arcsec from ``"3arcsec"``, ``"0.5arcmin"``, a Quantity, or arcsec.

    Examples
    --------
    >>> arcsec("0.5arcmin"), arcsec(2)
    (30.0, 2.0)

    """
    from astropy import units as u


    if isinstance(value, int | float):
        return float(value)
    q = parse_quantity(value) if isinstance(value, str) else value
    try:
        return float(q.to_value(u.arcsec))
    except (u.UnitConversionError, AttributeError) as exc:
        raise XcatError(f"'{value}' is not an angle (give e.g. 3arcsec)") from exc


def parse_annulus(text: str | None) -> tuple[float, float] | None:
    """``"10arcsec,60arcsec"`` -> (10.0, 60.0) arcsec; None stays None.

    Examples
    --------
    >>> parse_annulus("10arcsec,1arcmin")
    (10.0, 60.0)

    """
    if text is None:
        return None
    parts = [p for p in text.split(",") if p.strip()]
    if len(parts) != 2:
        raise XcatError(f"annulus '{text}': give INNER,OUTER with units (10arcsec,60arcsec)")
    return arcsec(parts[0]), arcsec(parts[1])


def _require(values: np.ndarray, keys: pa.Array, catalog: str, what: str, fix: str) -> None:
    bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if len(bad):
        raise XcatError(f"catalog '{catalog}' row '{keys[int(bad[0])].as_py()}': no usable "
                        f"{what} ({len(bad)} of {len(values)} rows); {fix}")


def _error_fix(option: str) -> str:
    return (f"give {option} COL (1-sigma, arcsec), or {option} 0arcsec to take its "
            "positions as exact")


def default_annulus(max_radius: float) -> tuple[float, float]:
    """Density annulus (arcsec) used when none is given: max(10", 2R) to max(60", 10R)."""
    return max(10.0, 2 * max_radius), max(60.0, 10 * max_radius)


def match_arrays(left: pa.Table, right: pa.Table, opt: XmatchOptions, *,
                 left_name: str = "left", right_name: str = "right",
                 frame_sigma: float = 0.0, density: Density | None = None
                 ) -> tuple[pa.Table, dict[str, Any]]:
    """Match two position tables (as :func:`xcat.xmatch.sides.read_side` returns) and
    score every pair. ``density``: a field density to use instead of the annulus.
    """
    opt.validate()
    ra1, dec1, ra2, dec2 = _np(left, "ra"), _np(left, "dec"), _np(right, "ra"), _np(right, "dec")
    sig_l, sig_r = _np(left, "sigma"), _np(right, "sigma")
    if opt.radius is not None:
        search = float(opt.radius)
    elif opt.radius_column is not None:
        rad_l = _np(left, "radius")
        _require(rad_l, left.column("key"), left_name, f"radius column {opt.radius_column}",
                 "give a column with a radius for every row, or --radius")
        search = float(rad_l.max()) if len(rad_l) else 0.0
    else:  # the same rule on both sides: no error is never silently zero
        _require(sig_l, left.column("key"), left_name, "1-sigma positional error",
                 _error_fix("--left-err"))
        _require(sig_r, right.column("key"), right_name, "1-sigma positional error",
                 _error_fix("--right-err"))
        comb_max = float(np.sqrt(np.max(sig_l, initial=0) ** 2 + np.max(sig_r, initial=0) ** 2))
        if opt.ellipse:
            a = np.nan_to_num(_np(left, "ellipse_a"), nan=0.0) * sc.SIGMA_PER_R95
            comb_max = max(comb_max, float(np.sqrt(np.max(a, initial=0) ** 2 + frame_sigma**2
                                                   + np.max(sig_r, initial=0) ** 2)))
        search = opt.sigma * comb_max
    if opt.lr and not (np.all(np.isfinite(sig_l) & (sig_l >= 0))
                       and np.all(np.isfinite(sig_r) & (sig_r >= 0))):
        raise XcatError("--lr needs positional errors on both sides: use --sigma, or give "
                        "--left-err/--right-err COL (or 0arcsec for exact positions)")
    # left row, nearest first: the stored order
    li, rj, sep, pa_deg = pairs_within(ra1, dec1, ra2, dec2, search / 3600, with_pa=True)
    sep = sep * 3600
    sig_c = np.hypot(sig_l[li], sig_r[rj])  # NaN where either side has no error
    s_maj, s_min = sig_c, sig_c
    with np.errstate(divide="ignore", invalid="ignore"):
        norm = np.where(sig_c > 0, sep / sig_c, np.nan)
    if opt.ellipse:
        a, b = sc.ellipse_sigmas(_np(left, "ellipse_a")[li], _np(left, "ellipse_b")[li],
                                 np.hypot(frame_sigma, sig_r[rj]))
        has = np.isfinite(a) & np.isfinite(b) & np.isfinite(_np(left, "ellipse_pa")[li])
        en = sc.ellipse_normalised(sep, pa_deg, a, b, _np(left, "ellipse_pa")[li])
        norm = np.where(has, en, norm)
        s_maj, s_min = np.where(has, a, sig_c), np.where(has, b, sig_c)
    if opt.radius is not None:
        radius = np.full(len(sep), float(opt.radius))
    elif opt.radius_column is not None:
        radius = _np(left, "radius")[li]
    else:
        radius = opt.sigma * sig_c
        if opt.ellipse:  # the radius along the pair's direction
            with np.errstate(divide="ignore", invalid="ignore"):
                radius = np.where(norm > 0, opt.sigma * sep / norm, radius)
    if opt.ellipse:
        keep = norm <= opt.sigma
    elif opt.radius is None:  # per-pair radius: k sigma or the left's radius column
        keep = sep <= radius
    else:
        keep = np.ones(len(sep), bool)
    li, rj, sep, pa_deg, norm, radius = (x[keep] for x in (li, rj, sep, pa_deg, norm, radius))
    s_maj, s_min = s_maj[keep], s_min[keep]
    rank, n_cand = rank_by_left(li, sep, rj)
    rrank, _ = rank_by_left(rj, sep, li)
    mutual = (rank == 1) & (rrank == 1)
    params: dict[str, Any] = {k: v for k, v in asdict(opt).items() if v is not None}
    params["radius_arcsec"] = search  # the largest radius any pair was tested against
    # the area of each pair's match region: pi k^2 a b for an ellipse, pi r^2 otherwise
    area = (np.pi * opt.sigma**2 * s_maj * s_min if opt.sigma is not None
            else np.pi * radius**2)
    cols: dict[str, Any] = {}
    if opt.density or opt.lr or density is not None:
        rho = _pair_density(left, right, opt, density, li, params, search,
                            (left_name, right_name), (ra1, dec1, ra2, dec2, sig_l, sig_r))
        if rho is None:  # refused: the columns are there, empty
            rho = np.full(len(li), np.nan)
        cols.update(rho_arcsec2=rho, p_chance=sc.chance_probability(sep, rho),
                    n_exp=rho * area, p_any_unrelated=-np.expm1(-rho * area))
    if opt.lr:
        rho = cols["rho_arcsec2"]
        lr = sc.likelihood_ratio(norm, s_maj, s_min, rho)
        p_i, p_any = sc.association_probabilities(li, lr, opt.completeness, len(ra1))
        cols.update(lr=lr, probability=p_i, p_any=p_any)
    sel = np.ones(len(li), bool)
    if opt.nearest:
        sel = rank == 1
    elif opt.best:
        sel = mutual
    out = {
        "left_key": pc.take(left.column("key"), pa.array(li[sel])),
        "right_key": pc.take(right.column("key"), pa.array(rj[sel])),
        "sep_arcsec": sep[sel], "norm_sep": norm[sel], "pa_deg": pa_deg[sel],
        "match_radius_arcsec": radius[sel], "rank": rank[sel], "n_candidates": n_cand[sel],
        "mutual_best": mutual[sel],
    }
    out.update({k: v[sel] for k, v in cols.items()})
    # NaN (no error on a side, no density) is stored as NULL
    return pa.table({k: (v.combine_chunks() if isinstance(v, pa.ChunkedArray) else
                         pa.array(v, from_pandas=True) if isinstance(v, np.ndarray) else v)
                     for k, v in out.items()}), params


def source_areas(opt: XmatchOptions, left: pa.Table, sig_l: np.ndarray, sig_r: np.ndarray,
                 frame_sigma: float = 0.0) -> np.ndarray:
    """Area (arcsec²) of each left source's match region, with the right catalog's median
    error: π r² (radius modes, circles of k σ) or π k² a b (error ellipses).
    """
    if opt.radius is not None:
        return np.full(left.num_rows, np.pi * float(opt.radius) ** 2)
    if opt.radius_column is not None:
        return np.pi * _np(left, "radius") ** 2
    med_r = float(np.median(sig_r)) if len(sig_r) else 0.0
    s = np.hypot(sig_l, med_r)
    area = np.pi * (opt.sigma * s) ** 2
    if opt.ellipse:
        a, b = sc.ellipse_sigmas(_np(left, "ellipse_a"), _np(left, "ellipse_b"),
                                 np.full(left.num_rows, np.hypot(frame_sigma, med_r)))
        area = np.where(np.isfinite(a * b), np.pi * opt.sigma**2 * a * b, area)
    return area


def _pair_density(left: pa.Table, right: pa.Table, opt: XmatchOptions,
                  density: Density | None, li: np.ndarray, params: dict[str, Any],
                  search: float, names: tuple[str, str], arrays: tuple[np.ndarray, ...]
                  ) -> np.ndarray | None:
    """ρ of each pair (arcsec⁻²), or None when an annulus density is refused (recorded in
    ``params['density']``; with ``--lr`` the refusal is an error).
    """
    ra1, dec1, ra2, dec2, sig_l, sig_r = arrays
    given = opt.given_density()
    if density is None and given is not None:
        density = Density("given", given)
    if density is not None:
        params["density"] = density.record()
        return np.full(len(li), float(density.value))
    ann = opt.annulus or default_annulus(search)
    params["annulus_arcsec"] = list(ann)
    rho_left, _ = sc.local_density(ra1, dec1, ra2, dec2, *ann)
    found = Truncation(len(li), float(np.nansum(
        rho_left * source_areas(opt, left, sig_l, np.nan_to_num(sig_r, nan=0.0)))),
        len(np.unique(li)))
    params["density"] = {"method": "annulus", "n_in_match_regions": found.n_found,
                         "n_expected_from_annulus": round(found.n_expected, 3)}
    if found.truncated and opt.density != "annulus":
        message = truncation_message(names[1], names[0], found)
        if opt.lr:
            raise XcatError(message)
        params["density"]["method"] = "refused: truncated list"
        log.warning("p_chance left empty: %s", message)
        return None
    return rho_left[li]


def _catalog_positions(store: Database, catalog: str) -> tuple[np.ndarray, np.ndarray]:
    import sqlalchemy as sa

    info = store.catalog(catalog)
    query = sqlbuild.render(sa.select(
        sa.cast(sqlbuild.column(info["ra_column"]), sa.Double()).label("ra"),
        sa.cast(sqlbuild.column(info["dec_column"]), sa.Double()).label("dec"))
        .select_from(sa.table(catalog)))
    t = run_arrow(store.con, query)
    return _np(t, "ra"), _np(t, "dec")


def xmatch(store: Database, left: str, right: str, options: XmatchOptions, *,
           name: str | None = None, record: bool = True) -> XmatchResult:
    """Cross-match catalog ``left`` against ``right``; record the run as ``name``.

    Parameters
    ----------
    store : Database
        An open store.
    left, right : str
        Catalog names; pairs are per left source.
    options : XmatchOptions
        Radius mode, filters, density (annulus, given, or from a catalog in a region),
        likelihood ratio.
    name : str, optional
        Run name (default ``<left>_x_<right>``); a run of the same name is replaced.
    record : bool
        Store the run in ``xmatch_runs`` / ``xmatch_pairs``.

    Returns
    -------
    XmatchResult
        Run id, pairs (Arrow) and the recorded parameters.

    Examples
    --------
    >>> xmatch(store, "csc", "hst_f555w", XmatchOptions(radius=1.0)).pairs.num_rows
    ... # doctest: +SKIP
    973

    """
    options.validate()
    with store.reading():  # one consistent state of both catalogs; no lock while matching
        linfo, rinfo = store.catalog(left), store.catalog(right)
        lt = read_side(store, Side(left, options.left_err, options.radius_column, "--left-err"))
        rt = read_side(store, Side(right, options.right_err, None, "--right-err"))
        # the astrometric-frame error (1-sigma, arcsec) in force for the left catalog
        frame = float(store.con.execute(
            "SELECT coalesce(arg_max(sigma_ast_arcsec, set_at), 0.0) FROM astrometric_frames "
            "WHERE catalog = $catalog", {"catalog": left}).fetchall()[0][0])
        density = None
        if options.density_from is not None:
            ra, dec = _catalog_positions(store, options.density_from)
            density = density_from(options.density_from, options.density_area, ra, dec)
    pairs, params = match_arrays(lt, rt, options, left_name=left, right_name=right,
                                 frame_sigma=frame, density=density)
    method = ("radius" if options.radius is not None else
              "radius_column" if options.radius_column else
              "sigma_ellipse" if options.ellipse else "sigma")
    method += "_nearest" if options.nearest else "_best" if options.best else "_all"
    name = name or f"{left}_x_{right}"
    run_id = None
    if record:
        run = XmatchRun(name, left, right, method, pairs, params, versions={
            "left_version": linfo["sha256"], "right_version": rinfo["sha256"],
            "left_created": linfo["created"], "right_created": rinfo["created"],
            "n_left": lt.num_rows, "n_right": rt.num_rows})
        run_id = record_run(store, run)
    return XmatchResult(run_id, name, pairs, params)
