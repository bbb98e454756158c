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

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from xcat.catalog.runs import XmatchRun, record_run
from xcat.errors import XcatError
from xcat.sky import scoring as sc
from xcat.sky.pairs import pair_order, rank_by_left
from xcat.sky.units import parse_quantity
from xcat.store import sqlbuild
from xcat.store.db import Database
from xcat.store.sql import run_arrow
from xcat.xmatch.density import Density, default_annulus, density_from, pair_density, parse_density
from xcat.xmatch.engine import MAX_PAIRS, Candidates, RightSide, UnitScheduler, candidates, collect
from xcat.xmatch.sides import Side, values
from xcat.xmatch.stored import Left, RightStats, inspect_right, open_right, read_left

#: Options that say how to run a match, not what it computes (not recorded with the run).
RUNTIME_OPTIONS = ("threads", "max_pairs", "scheduler")


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
    threads: int | None = None
    max_pairs: int | None = None
    scheduler: UnitScheduler | None = None  # where the units run (None: a thread pool)

    def measures_density(self) -> bool:
        """Whether the run measures the field density in an annulus around each source."""
        return bool(self.density or self.lr) and self.given_density() is None \
            and self.density_from is None

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
        if self.threads is not None and not self.threads >= 1:
            raise XcatError(f"--threads {self.threads} must be at least 1")
        if self.max_pairs is not None and not self.max_pairs >= 1:
            raise XcatError(f"--max-pairs {self.max_pairs} must be at least 1")
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


def _require(values: np.ndarray, left: Left, catalog: str, what: str, fix: str) -> None:
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        raise XcatError(f"catalog '{catalog}' row '{left.first_key(bad)}': no usable "
                        f"{what} ({int(bad.sum())} of {len(values)} rows); {fix}")


def _error_fix(option: str) -> str:
    return (f"give {option} COL (1-sigma, arcsec), or {option} 0arcsec to take its "
            "positions as exact")


def search_radius(opt: XmatchOptions, left: Left, stats: RightStats, frame_sigma: float,
                  names: tuple[str, str]) -> float:
    """The largest radius any pair is tested against (arcsec); refuses rows without the
    error or radius the mode needs.
    """
    if opt.radius is not None:
        return float(opt.radius)
    if opt.radius_column is not None:
        _require(left.radius, left, names[0], f"radius column {opt.radius_column}",
                 "give a column with a radius for every row, or --radius")
        return float(left.radius.max()) if len(left) else 0.0
    sig_l = left.rows.sigma  # the same rule on both sides: no error is never silently zero
    _require(sig_l, left, names[0], "1-sigma positional error", _error_fix("--left-err"))
    if stats.n_bad:
        where = f" row '{stats.first_bad}'" if stats.first_bad is not None else ""
        raise XcatError(f"catalog '{names[1]}'{where}: no usable 1-sigma positional error "
                        f"({stats.n_bad} of {stats.n_rows} rows); {_error_fix('--right-err')}")
    comb_max = float(np.hypot(np.max(sig_l, initial=0), stats.max_sigma))
    if opt.ellipse:
        a = np.nan_to_num(left.ellipse_a, nan=0.0) * sc.SIGMA_PER_R95
        comb_max = max(comb_max, float(np.sqrt(np.max(a, initial=0) ** 2 + frame_sigma**2
                                               + stats.max_sigma**2)))
    return opt.sigma * comb_max


@dataclass
class Geometry:
    """Per-pair normalised separation, radius, error-ellipse sigmas and the mode's test."""

    norm: np.ndarray
    radius: np.ndarray
    s_maj: np.ndarray
    s_min: np.ndarray
    keep: np.ndarray


def geometry(opt: XmatchOptions, left: Left, c: Candidates, frame_sigma: float) -> Geometry:
    """The pair columns that depend on the mode, for candidates ``c``."""
    li, sep = c.left, c.sep * 3600
    sig_c = np.hypot(left.rows.sigma[li], c.right_sigma)  # NaN where a side has no error
    s_maj, s_min = sig_c, sig_c
    with np.errstate(divide="ignore", invalid="ignore"):
        norm = np.where(sig_c > 0, sep / sig_c, np.nan)
    if opt.ellipse:
        a, b = sc.ellipse_sigmas(left.ellipse_a[li], left.ellipse_b[li],
                                 np.hypot(frame_sigma, c.right_sigma))
        has = np.isfinite(a) & np.isfinite(b) & np.isfinite(left.ellipse_pa[li])
        en = sc.ellipse_normalised(sep, c.pa, a, b, left.ellipse_pa[li])
        norm = np.where(has, en, norm)
        s_maj, s_min = np.where(has, a, sig_c), np.where(has, b, sig_c)
    if opt.radius is not None:
        radius = np.full(len(sep), float(opt.radius))
    elif opt.radius_column is not None:
        radius = left.radius[li]
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
    return Geometry(norm, radius, s_maj, s_min, keep)


def key_ids(keys: pa.Array) -> np.ndarray:
    """An integer per distinct key (integer keys are their own ids; text keys are
    numbered by first appearance). Ties in rank go by these ids.
    """
    if pa.types.is_integer(keys.type):
        return keys.to_numpy(zero_copy_only=False).astype(np.int64)
    return pc.dictionary_encode(keys).indices.to_numpy(zero_copy_only=False).astype(np.int64)


def match_sides(left: Left, right: RightSide, stats: RightStats, opt: XmatchOptions, *,
                names: tuple[str, str] = ("left", "right"), frame_sigma: float = 0.0,
                density: Density | None = None) -> tuple[pa.Table, dict[str, Any]]:
    """Match the two sides partition by partition and score every pair.
    ``density``: a field density to use instead of the annulus.
    """
    opt.validate()
    search = search_radius(opt, left, stats, frame_sigma, names)
    if opt.lr and stats.n_bad + int(np.sum(~(np.isfinite(left.rows.sigma)
                                             & (left.rows.sigma >= 0)))):
        raise XcatError("--lr needs positional errors on both sides: use --sigma, or give "
                        "--left-err/--right-err COL (or 0arcsec for exact positions)")

    def keep(c: Candidates) -> Candidates:
        return c.select(geometry(opt, left, c, frame_sigma).keep)

    c = collect(candidates(left.rows, left.h29, right, search / 3600, keep=keep,
                           threads=opt.threads, max_pairs=opt.max_pairs or MAX_PAIRS,
                           scheduler=opt.scheduler))
    g = geometry(opt, left, c, frame_sigma)
    li, sep, pa_deg, norm, radius = c.left, c.sep * 3600, c.pa, g.norm, g.radius
    rj = key_ids(c.right_key)
    by_left = pair_order(li, sep, rj)  # left rows, nearest first: the stored order
    rank, n_cand = rank_by_left(li, sep, rj, by_left)
    rrank, _ = rank_by_left(rj, sep, li)
    mutual = (rank == 1) & (rrank == 1)
    params: dict[str, Any] = {f.name: getattr(opt, f.name) for f in fields(opt)
                              if getattr(opt, f.name) is not None
                              and f.name not in RUNTIME_OPTIONS}
    params["radius_arcsec"] = search  # the largest radius any pair was tested against
    # the area of each pair's match region: pi k^2 a b for an ellipse, pi r^2 otherwise
    area = (np.pi * opt.sigma**2 * g.s_maj * g.s_min if opt.sigma is not None
            else np.pi * radius**2)
    cols: dict[str, Any] = {}
    if opt.density or opt.lr or density is not None:
        rho = pair_density(left, right, stats, opt, density, li, params, search, names,
                            frame_sigma)
        if rho is None:  # refused: the columns are there, empty
            rho = np.full(len(li), np.nan)
        cols.update(rho_arcsec2=rho, p_chance=sc.chance_probability(sep, rho),
                    n_exp=rho * area, p_any_unrelated=-np.expm1(-rho * area))
    if opt.lr:
        rho = cols["rho_arcsec2"]
        lr = sc.likelihood_ratio(norm, g.s_maj, g.s_min, rho)
        p_i, p_any = sc.association_probabilities(li, lr, opt.completeness, len(left))
        cols.update(lr=lr, probability=p_i, p_any=p_any)
    sel = np.ones(len(li), bool)
    if opt.nearest:
        sel = rank == 1
    elif opt.best:
        sel = mutual
    pick = by_left[sel[by_left]]
    out = {
        "left_key": left.keys(li[pick]),
        "right_key": pc.cast(c.right_key.take(pa.array(pick)), pa.string()),
        "sep_arcsec": sep[pick], "norm_sep": norm[pick], "pa_deg": pa_deg[pick],
        "match_radius_arcsec": radius[pick], "rank": rank[pick],
        "n_candidates": n_cand[pick], "mutual_best": mutual[pick],
    }
    out.update({k: v[pick] for k, v in cols.items()})
    # NaN (no error on a side, no density) is stored as NULL
    return pa.table({k: (v.combine_chunks() if isinstance(v, pa.ChunkedArray) else
                         pa.array(v, from_pandas=True) if isinstance(v, np.ndarray) else v)
                     for k, v in out.items()}), params


def _catalog_positions(store: Database, catalog: str) -> tuple[np.ndarray, np.ndarray]:
    import sqlalchemy as sa

    info = store.catalog(catalog)
    query = sqlbuild.render(sa.select(
        sa.cast(sqlbuild.column(info["ra_column"]), sa.Double()).label("ra"),
        sa.cast(sqlbuild.column(info["dec_column"]), sa.Double()).label("dec"))
        .select_from(sa.table(catalog)))
    t = run_arrow(store.con, query)
    return values(t, "ra"), values(t, "dec")


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
        # the astrometric-frame error (1-sigma, arcsec) in force for the left catalog
        frame = float(store.con.execute(
            "SELECT coalesce(arg_max(sigma_ast_arcsec, set_at), 0.0) FROM astrometric_frames "
            "WHERE catalog = $catalog", {"catalog": left}).fetchall()[0][0])
        lt = read_left(store, Side(left, options.left_err, options.radius_column, "--left-err"))
        plan = inspect_right(store, Side(right, options.right_err, None, "--right-err"))
        needed = search_radius(options, lt, plan.stats, frame, (left, right))
        if options.measures_density():
            needed = max(needed, (options.annulus or default_annulus(needed))[1])
        rt = open_right(store, plan, needed)
        density = None
        if options.density_from is not None:
            ra, dec = _catalog_positions(store, options.density_from)
            density = density_from(options.density_from, options.density_area, ra, dec)
    pairs, params = match_sides(lt, rt, plan.stats, options, names=(left, right),
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
            "n_left": len(lt), "n_right": plan.stats.n_rows})
        run_id = record_run(store, run)
    return XmatchResult(run_id, name, pairs, params)
