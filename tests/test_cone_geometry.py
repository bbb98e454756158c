"""Property tests of ``Store.cone`` (and the SQL ``ang_sep_deg`` route) on real stores.

Oracle: brute force over every row of the catalog with astropy
``SkyCoord.separation`` (``<= radius``). A store is built once per module from a
synthetic catalog made to hit the hard cases: uniform sky, both polar caps with rows
exactly at the poles and at dec = +-89.99, a band across RA = 0/360 with rows at
RA = 0 and RA = 360 exactly, a 0.5-deg Gaussian cluster (deep partitions), a 1-arcsec
cluster (an over-full order-10 partition), and rows exactly on and just off HEALPix
pixel corners and edges at orders 0..10. It is ingested twice with a small
``max_rows`` so there are many partitions at several orders: ``t`` with the default
Parquet row groups and ``trg`` with 8-row row groups (exercising the row-group
statistics filter).

Floating ties: rows whose brute-force separation is within ``TIE_ARCSEC`` (1e-9
arcsec) of the radius are left out of the comparison (either answer is accepted),
since xcat's and astropy's rounding may put them on opposite sides of the circle.
"""

from __future__ import annotations

import healpy as hp
import numpy as np
import pyarrow.parquet as pq
import pytest
from astropy import units as u
from astropy.coordinates import angular_separation
from geometry_helpers import (
    TIE_ARCSEC,
    BruteForce,
    assert_same_ids,
    offset_points,
    pixel_vertices,
    read_partitions,
    small_row_groups,
    uniform_sphere,
    write_input,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xcat
from xcat.sky import healpix
from xcat.sky.partitioning import choose_partitions

MAX_ROWS = {"t": 100, "trg": 200}
CATALOGS = list(MAX_ROWS)
DIST = "_dist_arcsec"
ARCSEC = 1 / 3600
GAUSS = (210.8, 54.35)  # 0.5-deg Gaussian cluster
DENSE = (83.63, 22.01)  # 1-arcsec cluster

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


def make_positions(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ra, dec, population label) of the synthetic catalog."""
    ras, decs, labels = [], [], []

    def add(ra: np.ndarray, dec: np.ndarray, label: str) -> None:
        ras.append(np.asarray(ra, dtype=np.float64))
        decs.append(np.asarray(dec, dtype=np.float64))
        labels.append(np.full(len(ras[-1]), label))

    add(*uniform_sphere(rng, 3000), "uniform")
    for pole in (90.0, -90.0):
        n = 250
        sep = np.degrees(np.arccos(1 - rng.uniform(0, 1, n) * (1 - np.cos(np.radians(1.5)))))
        add(*offset_points(0.0, pole, sep, rng.uniform(0, 360, n)), "pole")
        add([0.0, 90.0, 200.0, 360.0], [pole] * 4, "pole")
        ring = np.sign(pole) * 89.99
        add(np.concatenate([rng.uniform(0, 360, 40), [0.0, 360.0]]), [ring] * 42, "pole")
    n = 300
    add(np.mod(rng.uniform(-0.2, 0.2, n), 360.0), rng.uniform(-3, 3, n), "wrap")
    add([0.0] * 7 + [360.0] * 7, np.tile(np.linspace(-3, 3, 7), 2), "wrap")
    n = 1500
    add(*offset_points(*GAUSS, np.abs(rng.normal(0, 0.5, n)), rng.uniform(0, 360, n)), "gauss")
    n = 800
    add(*offset_points(*DENSE, np.abs(rng.normal(0, ARCSEC, n)), rng.uniform(0, 360, n)),
        "dense")
    # rows on HEALPix vertices and edges (step=3: corners and two points per edge),
    # and just beside them (1e-10 .. 1e-3 deg away)
    for order in range(11):
        for pixel in rng.integers(0, 12 * 4**order, 4):
            vra, vdec = pixel_vertices(order, int(pixel), step=3)
            add(vra, vdec, "vertex")
            k = len(vra)
            sep = 10 ** rng.uniform(-10, -3, 2 * k)
            add(*offset_points(np.tile(vra, 2), np.tile(vdec, 2), sep,
                               rng.uniform(0, 360, 2 * k)), "vertex")
    # rows whose _healpix_29 is the very first index of a pixel at order 0..20: the
    # boundary value of a cone's index range and, in ``trg``, often a row group's max
    n = 60
    order = rng.integers(0, 21, n)
    first = np.array([int(rng.integers(0, 12 * 4 ** int(k))) << (2 * (29 - int(k)))
                      for k in order], dtype=np.int64)
    add(*hp.pix2ang(1 << 29, first, nest=True, lonlat=True), "pixstart")
    return np.concatenate(ras), np.concatenate(decs), np.concatenate(labels)


class Sky:
    """The module's store, its input rows and the brute-force oracle."""

    def __init__(self, store: xcat.Store, ids: np.ndarray, ra: np.ndarray, dec: np.ndarray,
                 label: np.ndarray):
        self.store = store
        self.ids, self.ra, self.dec, self.label = ids, ra, dec, label
        self.brute = BruteForce(ids, ra, dec)
        self.h29 = healpix.radec_to_healpix29(ra, dec)  # recomputed independently of the store
        self.parts = {c: read_partitions(store, c) for c in CATALOGS}

    def check(self, catalog: str, ra: float, dec: float, radius_deg: float,
              radius_arg: object = None) -> tuple[object, tuple[set, set]]:
        """Run ``store.cone`` and compare it with brute force; return both."""
        got = self.store.cone(catalog, ra, dec, radius_deg if radius_arg is None else radius_arg)
        oracle = self.brute.cone(ra, dec, radius_deg)
        assert_same_ids(got["id"], oracle, f"cone({catalog}, {ra!r}, {dec!r}, {radius_deg!r})")
        check_distances(self, got, ra, dec)
        return got, oracle


def check_distances(sky: Sky, got: object, ra: float, dec: float) -> None:
    """``_dist_arcsec`` is astropy's separation (to 1e-6 arcsec) and sorted ascending."""
    d = got[DIST].to_numpy()
    assert (np.diff(d) >= 0).all(), "results not sorted by distance"
    if len(got):
        idx = np.searchsorted(sky.ids, got["id"].to_numpy())
        expected = sky.brute.separations(ra, dec)[idx]
        np.testing.assert_allclose(d, expected, rtol=0, atol=1e-6)
        np.testing.assert_array_equal(got["ra"].to_numpy(), sky.ra[idx])
        np.testing.assert_array_equal(got["dec"].to_numpy(), sky.dec[idx])


@pytest.fixture(scope="module")
def sky(tmp_path_factory: pytest.TempPathFactory) -> Sky:
    rng = np.random.default_rng(20240229)
    ra, dec, label = make_positions(rng)
    ids = np.arange(len(ra), dtype=np.int64) * 7 + 3  # ids are not row numbers
    root = tmp_path_factory.mktemp("cone_geometry")
    src = write_input(root / "input.parquet", ids, ra, dec, rng)
    store = xcat.Store.open(root / "s", create=True)
    store.ingest_table(src, name="t", key="id", max_rows=MAX_ROWS["t"])
    with small_row_groups(8):
        store.ingest_table(src, name="trg", key="id", max_rows=MAX_ROWS["trg"])
    yield Sky(store, ids, ra, dec, label)
    store.close()


# ---------------------------------------------------------------- the store itself
@pytest.mark.parametrize("catalog", CATALOGS)
def test_store_partitions_are_sound(sky: Sky, catalog: str) -> None:
    """The written partitions are those chosen for the data, hold exactly their rows."""
    parts = sky.parts[catalog]
    h_all = np.sort(sky.h29)
    assert parts == choose_partitions(h_all, MAX_ROWS[catalog])
    assert len({k for k, _ in parts}) >= 4, "want partitions at several orders"
    assert len(parts) >= 40
    cdir = sky.store.catalog_dir(catalog)
    seen = []
    n_groups = 0
    for order, pixel in parts:
        f = (cdir / "dataset" / f"Norder={order}" / f"Dir={pixel // 10_000 * 10_000}"
             / f"Npix={pixel}" / f"Npix={pixel}.parquet")
        t = pq.read_table(f)
        n_groups += pq.ParquetFile(f).metadata.num_row_groups
        h = t["_healpix_29"].to_numpy()
        lo, hi = healpix.pixel_range29(order, pixel)
        assert ((h >= lo) & (h < hi)).all()
        assert (np.diff(h) >= 0).all()
        np.testing.assert_array_equal(
            h, healpix.radec_to_healpix29(t["ra"].to_numpy(), t["dec"].to_numpy()))
        assert len(t) <= MAX_ROWS[catalog] or order == 10
        seen.append(t["id"].to_numpy())
    seen = np.concatenate(seen)
    assert len(seen) == len(sky.ids)
    np.testing.assert_array_equal(np.sort(seen), sky.ids)
    # the 1-arcsec cluster is an over-full order-10 partition
    assert any(k == 10 for k, _ in parts)
    if catalog == "trg":
        assert n_groups > 3 * len(parts)


# ---------------------------------------------------------------- strategies
log_radius = st.floats(np.log10(0.1 * ARCSEC), np.log10(90.0)).map(lambda x: 10.0**x)
centre_ra = st.one_of(st.floats(0.0, 360.0), st.sampled_from([0.0, 360.0, 180.0]))
centre_dec = st.one_of(
    st.floats(-1.0, 1.0).map(lambda z: float(np.degrees(np.arcsin(z)))),
    st.sampled_from([90.0, -90.0, 89.99, -89.99, 0.0]))
catalogs = st.sampled_from(CATALOGS)


@settings(max_examples=60, **SETTINGS)
@given(catalog=catalogs, ra=centre_ra, dec=centre_dec, radius=log_radius)
def test_cone_random_centres(sky: Sky, catalog: str, ra: float, dec: float,
                             radius: float) -> None:
    sky.check(catalog, ra, dec, radius)


@settings(max_examples=80, **SETTINGS)
@given(catalog=catalogs, data=st.data(),
       radius=st.floats(np.log10(0.1 * ARCSEC), 0.0).map(lambda x: 10.0**x),
       frac=st.floats(0.0, 1.5), pa=st.floats(0.0, 360.0))
def test_cone_near_rows(sky: Sky, catalog: str, data: st.DataObject, radius: float,
                        frac: float, pa: float) -> None:
    """Centres near a catalog row (any population), so the cones are rarely empty."""
    i = data.draw(st.integers(0, len(sky.ids) - 1), label="row")
    ra, dec = offset_points(sky.ra[i], sky.dec[i], np.array([frac * radius]), np.array([pa]))
    sky.check(catalog, float(ra[0]), float(dec[0]), radius)


@settings(max_examples=40, **SETTINGS)
@given(catalog=catalogs, data=st.data())
def test_cone_radius_exactly_at_a_row(sky: Sky, catalog: str, data: st.DataObject) -> None:
    """A row at exactly the radius (same separation formula) is inside: ``<=``."""
    i = data.draw(st.integers(0, len(sky.ids) - 1), label="row")
    j = data.draw(st.integers(0, len(sky.ids) - 1), label="centre row")
    ra, dec = float(sky.ra[j]), float(sky.dec[j])
    radius = float(np.degrees(angular_separation(np.radians(ra), np.radians(dec),
                                                 np.radians(sky.ra[i]), np.radians(sky.dec[i]))))
    if radius == 0.0 or radius > 90.0:
        return
    got, _ = sky.check(catalog, ra, dec, radius)
    assert sky.ids[i] in set(got["id"].tolist())


@settings(max_examples=40, **SETTINGS)
@given(catalog=catalogs,
       ra=st.one_of(st.floats(359.5, 360.0), st.floats(0.0, 0.5), st.sampled_from([0.0, 360.0])),
       dec=st.floats(-4.0, 4.0),
       radius=st.floats(np.log10(ARCSEC), np.log10(3.0)).map(lambda x: 10.0**x))
def test_cone_across_ra_wrap(sky: Sky, catalog: str, ra: float, dec: float,
                             radius: float) -> None:
    sky.check(catalog, ra, dec, radius)


def test_cone_ra_wrap_explicit(sky: Sky) -> None:
    """Rows at RA 359.9.. and 0.0.. are found from either side; RA 0 and 360 centres agree."""
    for catalog in CATALOGS:
        a, _ = sky.check(catalog, 0.0, 0.0, 0.3)
        b, _ = sky.check(catalog, 360.0, 0.0, 0.3)
        assert set(a["id"]) == set(b["id"])
        ras = sky.ra[np.isin(sky.ids, a["id"].to_numpy())]
        assert (ras > 359).any() and (ras < 1).any() and (ras == 0).any() and (ras == 360).any()


@settings(max_examples=50, **SETTINGS)
@given(catalog=catalogs, pole=st.sampled_from([90.0, -90.0]),
       dist=st.sampled_from([0.0, 0.01]) | st.floats(0.0, 1.0),
       ra=centre_ra, data=st.data())
def test_cone_around_poles(sky: Sky, catalog: str, pole: float, dist: float, ra: float,
                           data: st.DataObject) -> None:
    """Centres at and near a pole, radii smaller and larger than the distance to it."""
    dec = float(np.sign(pole) * (90.0 - dist))
    radius = data.draw(st.one_of(
        st.floats(np.log10(0.1 * ARCSEC), np.log10(5.0)).map(lambda x: 10.0**x),
        st.floats(1.0001, 5.0).map(lambda f: max(dist, ARCSEC) * f)), label="radius")
    got, _ = sky.check(catalog, ra, dec, radius)
    # the rows exactly at the pole are inside (beyond the floating tie of the oracle: with
    # radius - dist below ~1e-15 deg the computed separation may round either way)
    if radius > dist + TIE_ARCSEC / 3600.0:
        at_pole = set(sky.ids[sky.dec == pole].tolist())
        assert at_pole <= set(got["id"].tolist())


@pytest.mark.parametrize("catalog", CATALOGS)
@pytest.mark.parametrize(("ra", "dec", "radius"), [
    (0.0, 90.0, 0.5), (123.0, 90.0, 2.0), (0.0, -90.0, 0.5), (360.0, -90.0, 2.0),
    (0.0, 89.99, 0.0101), (270.0, 89.99, 0.02), (45.0, -89.99, 0.0101), (360.0, -89.99, 1.0),
    (10.0, 89.99, 0.0099), (10.0, -89.99, 0.0099), (180.0, 89.0, 2.0), (0.0, 90.0, 90.0),
])
def test_cone_poles_explicit(sky: Sky, catalog: str, ra: float, dec: float,
                             radius: float) -> None:
    got, _ = sky.check(catalog, ra, dec, radius)
    pole = 90.0 if dec > 0 else -90.0
    at_pole = set(sky.ids[sky.dec == pole].tolist())
    if radius > 90.0 - abs(dec):
        assert at_pole <= set(got["id"].tolist())
    else:
        assert not at_pole & set(got["id"].tolist())


@settings(max_examples=60, **SETTINGS)
@given(catalog=catalogs, data=st.data(), step=st.sampled_from([1, 3]),
       offset=st.sampled_from([0.0]) | st.floats(-10.0, -3.0).map(lambda x: 10.0**x),
       pa=st.floats(0.0, 360.0), rel=st.floats(-4.0, 0.5))
def test_cone_on_partition_boundaries(sky: Sky, catalog: str, data: st.DataObject, step: int,
                                      offset: float, pa: float, rel: float) -> None:
    """Centres on (or just off) corners and edges of the catalog's partition pixels."""
    parts = sky.parts[catalog]
    order, pixel = parts[data.draw(st.integers(0, len(parts) - 1), label="partition")]
    vra, vdec = pixel_vertices(order, pixel, step=step)
    v = data.draw(st.integers(0, len(vra) - 1), label="vertex")
    ra, dec = float(vra[v]), float(vdec[v])
    if offset:
        o = offset_points(ra, dec, np.array([offset]), np.array([pa]))
        ra, dec = float(o[0][0]), float(o[1][0])
    # radius relative to the pixel size: from far inside one pixel to several pixels
    size = np.degrees(hp.nside2resol(1 << order))
    radius = float(np.clip(size * 10.0**rel, 0.1 * ARCSEC, 90.0))
    sky.check(catalog, ra, dec, radius)


@settings(max_examples=40, **SETTINGS)
@given(catalog=catalogs, data=st.data(),
       radius=st.floats(np.log10(1e-8), np.log10(0.1)).map(lambda x: 10.0**x))
def test_cone_on_rows_at_pixel_vertices(sky: Sky, catalog: str, data: st.DataObject,
                                        radius: float) -> None:
    """Centred on rows lying on HEALPix corners/edges, with rows 1e-10..1e-3 deg beside them."""
    vertex_rows = np.nonzero(sky.label == "vertex")[0]
    i = vertex_rows[data.draw(st.integers(0, len(vertex_rows) - 1), label="vertex row")]
    got, _ = sky.check(catalog, float(sky.ra[i]), float(sky.dec[i]), radius)
    assert sky.ids[i] in set(got["id"].tolist())


@pytest.mark.parametrize("catalog", CATALOGS)
def test_cone_on_rows_at_first_index_of_a_pixel(sky: Sky, catalog: str) -> None:
    """Rows whose index starts a HEALPix pixel (= where cone index ranges start)."""
    rows = np.nonzero(sky.label == "pixstart")[0]
    h = sky.h29[rows]
    assert (h % 4**9 == 0).all()  # each is the first order-29 index of an order-20 pixel
    rng = np.random.default_rng(5)
    for i, radius in zip(rows, 10 ** rng.uniform(np.log10(0.1 * ARCSEC), 0, len(rows)),
                         strict=True):
        for r in (0.1 * ARCSEC, radius):
            got, _ = sky.check(catalog, float(sky.ra[i]), float(sky.dec[i]), r)
            assert sky.ids[i] in set(got["id"].tolist())


@settings(max_examples=40, **SETTINGS)
@given(catalog=catalogs, data=st.data())
def test_prefilter_keeps_every_row_in_the_index_ranges(sky: Sky, catalog: str,
                                                       data: st.DataObject) -> None:
    """Partition and row-group pruning keep exactly the rows whose index is in the ranges.

    ``cone_ranges29`` is replaced by ranges whose ends sit exactly on row indices,
    row-group min/max values and partition bounds (the off-by-one hot spots), and the
    radius is 180 deg so the exact distance test keeps everything the prefilter keeps.
    Oracle: the rows whose recomputed ``_healpix_29`` lies in a range.
    """
    h_rows = sky.h29
    hs = np.unique(h_rows)
    bounds = np.array([healpix.pixel_range29(k, p) for k, p in sky.parts[catalog]]).ravel()
    pick = st.one_of(st.sampled_from(hs.tolist()), st.sampled_from(bounds.tolist()))
    ends = data.draw(st.lists(st.tuples(pick, st.sampled_from([-1, 0, 1])), min_size=2,
                              max_size=16), label="range ends")
    ends = np.unique(np.clip([a + b for a, b in ends], 0, 12 * 4**29))
    if len(ends) % 2:
        ends = ends[:-1]
    ranges = ends.reshape(-1, 2).astype(np.int64)
    if len(ranges) == 0:
        return
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(healpix, "cone_ranges29", lambda *a, **k: ranges)
        got = sky.store.cone(catalog, 0.0, 0.0, 180.0)
    inside = np.zeros(len(h_rows), dtype=bool)
    for lo, hi in ranges:
        inside |= (h_rows >= lo) & (h_rows < hi)
    assert_same_ids(got["id"], (set(sky.ids[inside].tolist()), set()), f"ranges {ranges}")


@settings(max_examples=30, **SETTINGS)
@given(catalog=catalogs, dra=st.floats(-3.0, 3.0), ddec=st.floats(-3.0, 3.0),
       radius=st.floats(np.log10(0.1), np.log10(20.0)).map(lambda x: 10.0**x))
def test_cone_dense_cluster(sky: Sky, catalog: str, dra: float, ddec: float,
                            radius: float) -> None:
    """Hundreds of rows within a few arcsec (offsets and radii in arcsec)."""
    ra = DENSE[0] + dra * ARCSEC / np.cos(np.radians(DENSE[1]))
    dec = DENSE[1] + ddec * ARCSEC
    got, _ = sky.check(catalog, ra, dec, radius * ARCSEC)
    if radius >= 5 and abs(dra) < 0.5 and abs(ddec) < 0.5:
        assert len(got) > 400


@pytest.mark.parametrize("catalog", CATALOGS)
@pytest.mark.parametrize("radius", [20.0, 45.0, 89.9, 90.0, 120.0, 180.0])
def test_cone_large_radii(sky: Sky, catalog: str, radius: float) -> None:
    got, _ = sky.check(catalog, 33.0, -12.0, radius)
    if radius == 180.0:
        assert len(got) == len(sky.ids)


@pytest.mark.parametrize("catalog", CATALOGS)
@pytest.mark.parametrize(("ra", "dec", "radius"), [
    (100.0, 45.0, 0.1 * ARCSEC), (300.0, -30.0, ARCSEC), (17.0, 1.0, 30 * ARCSEC),
    (DENSE[0] + 0.05, DENSE[1], 100 * ARCSEC), (0.0, 45.0, 0.1 * ARCSEC),
])
def test_cone_empty_results(sky: Sky, catalog: str, ra: float, dec: float,
                            radius: float) -> None:
    got, oracle = sky.check(catalog, ra, dec, radius)
    assert not oracle[0] and not oracle[1]
    assert len(got) == 0
    full, _ = sky.check(catalog, *GAUSS, 0.01)
    assert len(full) > 0
    assert list(got.columns) == list(full.columns)
    assert list(got.columns)[-1] == DIST


# ---------------------------------------------------------------- radius forms and columns
@pytest.mark.parametrize(("radius", "degrees"), [
    ("30arcsec", 30 * ARCSEC), ("2arcmin", 2 / 60), ("0.1deg", 0.1), ('5"', 5 * ARCSEC),
    (30 * u.arcsec, 30 * ARCSEC), (2 * u.arcmin, 2 / 60), (0.1 * u.deg, 0.1),
    (np.radians(0.1) * u.rad, 0.1), (0.1, 0.1), (np.float64(0.05), 0.05), (1, 1.0),
])
@pytest.mark.parametrize("centre", [GAUSS, DENSE, (0.0, 89.99)])
def test_radius_forms(sky: Sky, radius: object, degrees: float,
                      centre: tuple[float, float]) -> None:
    got, _ = sky.check("t", *centre, degrees, radius_arg=radius)
    if centre != (0.0, 89.99) or degrees > 0.01:
        assert len(got) > 0


@pytest.mark.parametrize("columns", [["id"], ["mag", "id"], ["ra"], ["flag", "dec", "mag"],
                                     ["_healpix_29", "id"]])
@pytest.mark.parametrize("catalog", CATALOGS)
def test_columns_selection(sky: Sky, catalog: str, columns: list[str]) -> None:
    full = sky.store.cone(catalog, *GAUSS, "0.2deg")
    got = sky.store.cone(catalog, *GAUSS, "0.2deg", columns=columns)
    assert list(got.columns) == [*columns, DIST]
    assert len(got) == len(full) > 0
    for c in [*columns, DIST]:
        np.testing.assert_array_equal(got[c].to_numpy(), full[c].to_numpy())


@pytest.mark.parametrize("catalog", CATALOGS)
def test_columns_selection_empty_result_has_only_those_columns(sky: Sky, catalog: str) -> None:
    got = sky.store.cone(catalog, 100.0, 45.0, "0.1arcsec", columns=["id", "mag"])
    assert len(got) == 0
    assert list(got.columns) == ["id", "mag", DIST]


# ---------------------------------------------------------------- SQL route
SQL = "SELECT id FROM {cat} WHERE ang_sep_deg(ra, dec, $ra, $dec) <= $r"


@settings(max_examples=25, **SETTINGS)
@given(catalog=catalogs, data=st.data(), random_centre=st.booleans(), radius=log_radius,
       ra=centre_ra, dec=centre_dec)
def test_sql_ang_sep_deg_matches_brute_force(sky: Sky, catalog: str, data: st.DataObject,
                                             random_centre: bool, radius: float, ra: float,
                                             dec: float) -> None:
    if not random_centre:  # near a row, with a radius at most 1 deg
        i = data.draw(st.integers(0, len(sky.ids) - 1), label="row")
        ra, dec, radius = float(sky.ra[i]), float(sky.dec[i]), min(radius, 1.0)
    got = sky.store.sql(SQL.format(cat=catalog), {"ra": ra, "dec": dec, "r": radius})
    oracle = sky.brute.cone(ra, dec, radius)
    assert_same_ids(got["id"], oracle, f"SQL cone ({ra}, {dec}, {radius})")
    cone = sky.store.cone(catalog, ra, dec, radius)
    assert_same_ids(cone["id"], oracle, f"cone ({ra}, {dec}, {radius})")


@pytest.mark.parametrize(("ra", "dec", "radius"), [
    (0.0, 0.0, 0.3), (360.0, 0.0, 0.3), (0.0, 90.0, 1.0), (10.0, -89.99, 0.02),
    (*DENSE, 3 * ARCSEC), (*GAUSS, 0.05), (33.0, -12.0, 90.0)])
def test_sql_ang_sep_deg_explicit(sky: Sky, ra: float, dec: float, radius: float) -> None:
    got = sky.store.sql(SQL.format(cat="t"), {"ra": ra, "dec": dec, "r": radius})
    assert_same_ids(got["id"], sky.brute.cone(ra, dec, radius), f"SQL ({ra}, {dec}, {radius})")
    # and the macro's distances agree with astropy
    d = sky.store.sql("SELECT id, ang_sep_deg(ra, dec, $ra, $dec) * 3600 AS d FROM t "
                      "ORDER BY id", {"ra": ra, "dec": dec})
    np.testing.assert_allclose(d["d"].to_numpy(), sky.brute.separations(ra, dec),
                               rtol=0, atol=1e-6)
