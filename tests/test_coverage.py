"""Sky coverage from sensitivity maps (issue 16 part 1): ingest, the deepest-wins overlap,
the median resampling, Ω(>F) against analytic answers, HEALPix maps, bad input.

Every map here is SYNTHETIC (tests/coverage_maps.py), built with astropy's TAN WCS or
healpy; Ω(>F) of each is known in closed form:

- a radial map, limit f0 (1 + (r/r0)²) out to r_max: Ω(>F) = 2π(1 − cos θ(F)), a cap;
- two overlapping constant squares: Ω is the deep square's area below the shallow
  limit and the union's area above it;
- a HEALPix map at order 10 ingested at order 12: every store pixel lies in one map
  pixel, so Ω is a count of map pixels times their area, exactly.

The grid is HEALPix order 14 (12.9" pixels) unless said. A boundary pixel counts with
its covered fraction, sampled at 4^d sub-pixel centres, so each boundary pixel's area is
off by a fraction of a sub-pixel and the errors add as a random walk: well under
0.3 pixel areas × sqrt(number of boundary pixels), the bound the tolerances below take
3× of (stated at each assert); a straight map edge is placed to half a sub-pixel.

Real data: the M101 CSCview export (csc_m101_xrbid/cscresults_M101.vot, 555 sources)
for the command-line and figure tests.
"""

from __future__ import annotations

import healpy as hp
import numpy as np
import pytest
from astropy.io import fits

from tests.cli_helpers import copied_store, fails, run
from tests.coverage_maps import (
    ARCMIN2_PER_DEG2,
    radial_map,
    radial_omega_deg2,
    tan_wcs,
    write_map,
)
from xcat.science import coverage as cov

M101 = (210.802368, 54.349023)
RADIAL = {"f0": 2e-16, "r0_arcmin": 1.0, "r_max_arcmin": 3.0}
PIX14_ARCMIN2 = hp.nside2pixarea(2**14, degrees=True) * ARCMIN2_PER_DEG2  # 0.0461


def boundary_tolerance_arcmin2(perimeter_arcmin: float) -> float:
    """3 x 0.3 pixel areas x sqrt(boundary pixels) (module docstring)."""
    n_edge = perimeter_arcmin / np.sqrt(PIX14_ARCMIN2)
    return 3 * 0.3 * PIX14_ARCMIN2 * np.sqrt(n_edge)


def edge_tolerance_arcmin2(perimeter_arcmin: float, depth: int = 3) -> float:
    """A straight map edge is placed to half a sub-pixel (order 14 + depth)."""
    sub = np.sqrt(PIX14_ARCMIN2) / 2**depth
    return perimeter_arcmin * sub / 2


@pytest.fixture
def empty(tmp_path):
    root = tmp_path / "store"
    run(root, "init")
    return root


@pytest.fixture(scope="module")
def radial_store(tmp_path_factory):
    """A store holding only the radial map (read by several tests, changed by none)."""
    tmp = tmp_path_factory.mktemp("radial")
    root = tmp / "store"
    run(root, "init")
    path = radial_map(tmp / "radial.fits", 150.0, 30.0, **RADIAL)
    out = run(root, "coverage", "add", str(path), "--band", "b")
    assert "order 14" in out and "radial.fits" in out
    return root


def curve(root, *args: str) -> dict[float, float]:
    """Ω(>F) from ``xcat coverage --format csv``: {flux: area_deg2}."""
    text = run(root, "coverage", "--format", "csv", *args)
    rows = [line.split(",") for line in text.strip().splitlines()
            if not line.startswith("xcat:")]
    head = rows[0]
    f, a = head.index("flux_limit"), head.index("area_deg2")
    return {float(r[f]): float(r[a]) for r in rows[1:]}


def test_radial_map_omega_is_the_analytic_cap(radial_store):
    omega = curve(radial_store, "--band", "b", "--points", "12")
    flux = np.array(sorted(omega))
    got = np.array([omega[f] for f in flux]) * ARCMIN2_PER_DEG2
    exact = radial_omega_deg2(flux, **RADIAL) * ARCMIN2_PER_DEG2
    radius = np.sqrt(exact / np.pi)
    tol = np.array([boundary_tolerance_arcmin2(2 * np.pi * r) for r in radius]) + 1e-9
    assert np.all(np.abs(got - exact) <= tol), list(zip(flux, got, exact, tol, strict=True))
    # the whole map: pi r_max^2 = 28.27 arcmin2, within 0.5 arcmin2 (3 sigma of the edge)
    assert abs(got[-1] - np.pi * 9) < boundary_tolerance_arcmin2(2 * np.pi * 3)
    # monotone, and the first point is the deepest pixel's own area
    assert np.all(np.diff(got) >= 0) and got[0] <= 2 * PIX14_ARCMIN2


def test_overlapping_maps_deepest_wins(empty, tmp_path):
    ra0, dec0 = 40.0, -20.0
    a = write_map(tmp_path / "a.fits", np.full((120, 120), 1e-15),
                  tan_wcs(ra0, dec0, 120, 2.0))                       # 4' x 4', 1e-15
    b = write_map(tmp_path / "b.fits", np.full((60, 60), 4e-16),
                  tan_wcs(ra0, dec0, 60, 2.0, offset_arcmin=(1.5, 0.0)))  # 2' x 2', east
    run(empty, "coverage", "add", str(a), str(b), "--band", "0.5-7keV")
    omega = curve(empty, "--band", "b", "--points", "3")               # b = 0.5-7.0 keV
    (f1, w1), (_, w2), (f3, w3) = sorted(omega.items())
    # deepest is the deep square: 4 arcmin2; shallowest: the union 16 + 4 - overlap 3.
    # Edge pixels count by the fraction of their 64 sub-pixels covered (1.6" each): a
    # straight edge is placed to half a sub-pixel, so |error| <= perimeter x 0.8".
    assert f1 == pytest.approx(4e-16) and f3 == pytest.approx(1e-15)
    assert abs(w1 * 3600 - 4.0) <= edge_tolerance_arcmin2(8.0)
    assert abs(w2 * 3600 - 4.0) <= edge_tolerance_arcmin2(8.0)
    assert abs(w3 * 3600 - 17.0) <= edge_tolerance_arcmin2(18.0)
    with empty_store(empty) as s:
        px = s.sql("SELECT pixel, ra, dec, limit_flux, map_file, n_maps, pixel_area_deg2 "
                   "FROM sky_coverage")
        maps = s.sql("SELECT map_id, file, sha256, resampling, n_pixels FROM coverage_maps")
    assert list(maps["file"]) == ["a.fits", "b.fits"] and maps["sha256"].str.len().eq(64).all()
    both = px[px["n_maps"] == 2]
    # the overlap is 1.5' x 2' = 3 arcmin2: every pixel both cover has the deep map's
    # limit and name; b's covered part of them is the overlap
    assert len(both) > 50 and np.allclose(both["limit_flux"], 4e-16, rtol=1e-6, atol=0)
    assert set(both["map_file"]) == {"b.fits"}
    with empty_store(empty) as s:
        overlap = s.sql("""
            SELECT sum(least(a.covered_fraction, b.covered_fraction)) AS n
            FROM coverage_pixels AS b
            JOIN coverage_pixels AS a USING (pixel) WHERE a.map_id = 1 AND b.map_id = 2
        """)["n"].iloc[0] * PIX14_ARCMIN2
    assert abs(overlap - 3.0) <= edge_tolerance_arcmin2(7.0)
    only_a = px[(px["n_maps"] == 1) & (px["map_file"] == "a.fits")]
    assert np.allclose(only_a["limit_flux"], 1e-15)
    assert px["pixel_area_deg2"].iloc[0] == pytest.approx(hp.nside2pixarea(2**14, True))


def empty_store(root):
    import xcat

    return xcat.Store.open(root)


def test_pixel_limit_is_the_median_of_the_map_inside(empty, tmp_path):
    """A map of 1" pixels where one pixel in four is 10x deeper (every other row and
    column): the median of each 12.9" HEALPix pixel is the shallow value; the minimum
    would be the deep one, the mean 7.75e-16. With three in four deep the median is deep.
    """
    n = 240
    data = np.full((n, n), 1e-15)
    data[::2, ::2] = 1e-16
    quarter = write_map(tmp_path / "quarter.fits", data, tan_wcs(10.0, 10.0, n, 1.0))
    deep = np.full((n, n), 1e-16)
    deep[::2, ::2] = 1e-15
    three = write_map(tmp_path / "three.fits", deep, tan_wcs(20.0, 10.0, n, 1.0))
    run(empty, "coverage", "add", str(quarter), "--band", "h")
    run(empty, "coverage", "add", str(three), "--band", "s")
    with empty_store(empty) as s:  # pixels wholly on the map (at its edges few samples)
        h = s.sql("SELECT limit_flux FROM sky_coverage WHERE band = '2.0-7.0 keV' "
                  "AND covered_fraction = 1")
        soft = s.sql("SELECT limit_flux FROM sky_coverage WHERE band = '0.5-1.2 keV' "
                     "AND covered_fraction = 1")
    assert len(h) > 250 and np.allclose(h["limit_flux"], 1e-15, rtol=1e-6, atol=0)
    assert len(soft) > 250 and np.allclose(soft["limit_flux"], 1e-16, rtol=1e-6, atol=0)


def test_healpix_map_exact_area(empty, tmp_path):
    """A RING-ordered order-8 map: a 1 deg disc at 1e-15, an annulus to 2 deg at 3e-15,
    UNSEEN elsewhere; ingested at order 10 the area is exact (1e-9).
    """
    nside = 2**8
    vec = hp.ang2vec(40.0, -20.0, lonlat=True)
    inner = hp.query_disc(nside, vec, np.radians(1.0))
    outer = hp.query_disc(nside, vec, np.radians(2.0))
    m = np.full(hp.nside2npix(nside), hp.UNSEEN)
    m[outer] = 3e-15
    m[inner] = 1e-15
    path = tmp_path / "hpx.fits"
    hp.write_map(str(path), m, nest=False, column_units="erg/s/cm2", dtype=np.float64)
    run(empty, "coverage", "add", str(path), "--band", "b", "--order", "10")
    omega = curve(empty, "--band", "b", "--points", "2")
    area8 = hp.nside2pixarea(nside, degrees=True)
    (f1, w1), (f2, w2) = sorted(omega.items())
    assert (f1, f2) == (pytest.approx(1e-15), pytest.approx(3e-15))
    assert w1 == pytest.approx(len(inner) * area8, rel=1e-9)
    assert w2 == pytest.approx(len(outer) * area8, rel=1e-9)
    maps = run(empty, "coverage", "maps", "--format", "csv")
    assert "healpix" in maps and "hpx.fits" in maps


def test_region_and_host_select_pixels(radial_store, tmp_path):
    import shutil

    empty = tmp_path / "copy"
    shutil.copytree(radial_store, empty)
    inner = curve(empty, "--band", "b", "--region", "150.0 30.0 1arcmin", "--points", "2")
    area = max(inner.values()) * ARCMIN2_PER_DEG2
    assert abs(area - np.pi) < boundary_tolerance_arcmin2(2 * np.pi)
    run(empty, "host", "add", "G", "--ra", "150.0", "--dec", "30.0", "--radius", "2arcmin")
    host = max(curve(empty, "--band", "b", "--host", "G", "--points", "2").values())
    assert abs(host * 3600 - 4 * np.pi) < boundary_tolerance_arcmin2(4 * np.pi)


def test_coverage_prints_in_every_format(radial_store, tmp_path):
    for fmt in ("table", "csv", "json", "ecsv", "votable", "latex", "html"):
        out = run(radial_store, "coverage", "--band", "b", "--points", "4", "--format", fmt)
        assert "area" in out and "flux" in out, fmt
    for fmt in ("fits", "parquet"):
        run(radial_store, "coverage", "--band", "b", "--format", fmt, "-o",
            str(tmp_path / f"c.{fmt}"))
    with fits.open(tmp_path / "c.fits") as hdul:
        h = hdul[1].header
    assert h["TTYPE2"] == "flux_limit" and "erg" in h["TUNIT2"] and "cm" in h["TUNIT2"]
    assert h["TTYPE4"] == "area_deg2" and h["TUNIT4"] == "deg2"


# ------------------------------------------------------------------------ bad input
def test_bad_maps_are_one_error_line_and_change_nothing(empty, tmp_path):
    good = radial_map(tmp_path / "good.fits", 150.0, 30.0, **RADIAL)
    no_wcs = tmp_path / "no_wcs.fits"
    fits.PrimaryHDU(np.ones((50, 50), np.float32),
                    header=fits.Header([("BUNIT", "erg/s/cm2")])).writeto(no_wcs)
    rate = write_map(tmp_path / "rate.fits", np.ones((50, 50)), tan_wcs(1, 1, 50, 2.0), "ct/s")
    bare = write_map(tmp_path / "bare.fits", np.ones((50, 50)), tan_wcs(1, 1, 50, 2.0), None)
    empty_map = write_map(tmp_path / "nan.fits", np.full((50, 50), np.nan),
                          tan_wcs(1, 1, 50, 2.0))
    zero = write_map(tmp_path / "zero.fits", np.zeros((50, 50)), tan_wcs(1, 1, 50, 2.0))
    table = tmp_path / "table.fits"
    fits.BinTableHDU.from_columns([fits.Column("a", "E", array=np.ones(3))]).writeto(table)
    assert "no celestial WCS" in fails(empty, "coverage", "add", str(no_wcs), "--band", "b")
    assert "not an energy flux" in fails(empty, "coverage", "add", str(rate), "--band", "b")
    assert "not an energy flux" in fails(empty, "coverage", "add", str(good), "--band", "b",
                                         "--unit", "ct/s/cm2")
    assert "no BUNIT" in fails(empty, "coverage", "add", str(bare), "--band", "b")
    assert "no pixel has coverage" in fails(empty, "coverage", "add", str(empty_map),
                                            "--band", "b")
    assert "no pixel has coverage" in fails(empty, "coverage", "add", str(zero), "--band", "b")
    assert "no 2-D image" in fails(empty, "coverage", "add", str(table), "--band", "b")
    assert "no such file" in fails(empty, "coverage", "add", str(tmp_path / "x.fits"),
                                   "--band", "b")
    assert "band 'q'" in fails(empty, "coverage", "add", str(good), "--band", "q")
    # all or nothing: a good map with a bad one stores neither
    fails(empty, "coverage", "add", str(good), str(rate), "--band", "b")
    assert "no coverage in band" in fails(empty, "coverage", "--band", "b")
    # the unit given wins over BUNIT, and converts (1 W/m2 = 1000 erg/s/cm2)
    run(empty, "coverage", "add", str(bare), "--band", "b", "--unit", "1e-18 W/m2")
    assert min(curve(empty, "--band", "b", "--points", "2")) == pytest.approx(1e-15)
    assert "order 14" in fails(empty, "coverage", "add", str(good), "--band", "b",
                               "--order", "12")
    assert "no coverage in band 0.5-1.2 keV" in fails(empty, "coverage", "--band", "s")
    assert "give --band" in fails(empty, "coverage")
    assert "RA DEC RADIUS" in fails(empty, "coverage", "--band", "b", "--region", "1 2")
    assert "has no unit" in fails(empty, "coverage", "--band", "b", "--region", "1 1 2")
    assert "no covered pixel" in fails(empty, "coverage", "--band", "b", "--region",
                                       "200 -40 1arcmin")
    assert "no sensitivity map with id 9" in fails(empty, "coverage", "remove", "9")
    assert "removed map 1 (bare.fits" in run(empty, "coverage", "remove", "1")
    assert "add sensitivity maps" in fails(empty, "coverage", "--band", "b")


# ------------------------------------------------------------------ M101 (real data)
@pytest.fixture
def m101(m101_host_dir, tmp_path):
    yield from copied_store(m101_host_dir, tmp_path)


def test_m101_counts_and_figures(m101, tmp_path):
    """The M101 CSC sources against a SYNTHETIC radial map on M101 (4' core, 12'
    edge): N(>S) printed by xcat counts equals Σ 1/Ω(S_i) recomputed from the
    sky_coverage view and xray_sources in SQL, and the three figures are written.
    """
    root = m101.path
    params = {"f0": 2e-16, "r0_arcmin": 4.0, "r_max_arcmin": 12.0}
    path = radial_map(tmp_path / "sim.fits", *M101, pix_arcsec=4.0, **params)
    m101.close()
    run(root, "coverage", "add", str(path), "--band", "b")
    text = run(root, "counts", "--band", "b", "--host", "M101", "--bins", "4",
               "--format", "csv")
    head, *rows = [r.split(",") for r in text.strip().splitlines()
                   if not r.startswith("xcat:")]  # the note on stderr
    first = dict(zip(head, rows[0], strict=True))
    with empty_store(root) as s:
        check = s.sql("""
            WITH c AS (SELECT * FROM sky_coverage WHERE band = '0.5-7.0 keV'),
            src AS (
                SELECT x.flux FROM xray_sources AS x JOIN c
                  ON (x._healpix_29 >> (2 * (29 - c.norder))) = c.pixel
                WHERE NOT x.flux_upper_limit AND x.flux > 0
                  AND ang_sep_deg(c.ra, c.dec, 210.802368, 54.349023) * 60 <= 15)
            SELECT sum(1 / om) AS n, sqrt(sum(1 / (om * om))) AS err, count(*) AS k FROM (
                SELECT s.flux, (SELECT sum(area_deg2) FROM c
                                WHERE c.limit_flux <= s.flux
                                  AND ang_sep_deg(c.ra, c.dec, 210.802368, 54.349023) * 60
                                      <= 15) AS om
                FROM src AS s) WHERE om > 0""").iloc[0]
    assert float(first["n_gt"]) == pytest.approx(check["n"], rel=1e-9)
    assert float(first["n_gt_err"]) == pytest.approx(check["err"], rel=1e-9)
    assert int(first["n_sources_gt"]) == check["k"]
    for fig, extra in (("coverage", ()), ("lognlogs", ()), ("xlf", ("--corrected",))):
        out = tmp_path / f"{fig}.png"
        run(root, "plot", fig, "--host", "M101", "--band", "b", *extra, "-o", str(out))
        assert out.stat().st_size > 20_000
    assert "needs --host" in fails(root, "plot", "xlf", "--corrected", "--band", "b",
                                   "--sql", "SELECT 1", "-o", str(tmp_path / "x.png"))
    assert "needs --band" in fails(root, "plot", "coverage", "--host", "M101",
                                   "-o", str(tmp_path / "x.png"))
    assert "has no unit" in fails(root, "counts", "--band", "b", "--fit", "1e-15")
    assert "not an energy flux" in fails(root, "counts", "--band", "b", "--fit", "1e-15ct/s")


def test_parse_band_and_area_above():
    assert cov.parse_band("B") == ("0.5-7.0 keV", 0.5, 7.0)
    assert cov.parse_band("0.5 - 2 keV") == ("0.5-2.0 keV", 0.5, 2.0)
    lim, area = np.array([3.0, 1.0, 2.0]), np.array([0.5, 1.0, 2.0])
    assert cov.area_above(lim, area, np.array([0.9, 1.0, 2.5, 3.0])).tolist() == \
        [0.0, 1.0, 3.0, 3.5]
