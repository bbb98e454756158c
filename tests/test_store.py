"""The store on disk: valid HATS (checked with the hats package and opened with LSDB),
the registry and migrations, views usable from a plain DuckDB connection, query
outputs with units, and the audits of ``xcat verify``.

Data: the real M101 CSC excerpt (../shared/data/csc_m101_xrbid/cscresults_M101.vot)
and small seeded synthetic tables.
"""

from __future__ import annotations

import shutil

import duckdb
import healpy as hp
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import xcat
from xcat.store import layout
from xcat.store.verify import run_audits


@pytest.fixture
def m101(store, m101_vot):
    store.ingest_csc(m101_vot)
    return store


def test_catalogs_are_valid_hats(m101):
    import hats
    from hats.io.validation import is_valid_catalog

    for name in ("csc", "csc_detections"):
        cdir = m101.catalog_dir(name)
        assert is_valid_catalog(cdir, strict=True, verbose=False)
        cat = hats.read_hats(cdir)
        assert cat.catalog_info.total_rows == (555 if name == "csc" else 3492)
        assert cat.catalog_info.ra_column == "ra"
        assert (cdir / "dataset" / "_metadata").exists()
        assert (cdir / "dataset" / "_common_metadata").exists()
        assert list((cdir / "dataset").glob("Norder=*/Dir=*/Npix=*/*.parquet"))


def test_lsdb_opens_a_catalog_and_agrees(m101):
    import lsdb

    cat = lsdb.open_catalog(m101.catalog_dir("csc"))
    df = cat.compute()
    assert len(df) == 555
    assert set(df["name"]) == set(m101.sql("SELECT name FROM csc")["name"])
    near = cat.cone_search(210.80, 54.35, 120).compute()
    ours = m101.cone("csc", 210.80, 54.35, "2arcmin")
    assert set(near["name"]) == set(ours["name"])


def test_rows_sorted_by_healpix29_and_index_is_right(m101):
    t = m101.sql("SELECT _healpix_29, ra, dec FROM stg_hats__csc", output="arrow")
    h = t["_healpix_29"].to_numpy()
    expect = hp.ang2pix(2**29, t["ra"].to_numpy(), t["dec"].to_numpy(), nest=True, lonlat=True)
    np.testing.assert_array_equal(h, expect)
    for f in m101.catalog_dir("csc").glob("dataset/**/*.parquet"):
        hh = pq.read_table(f, columns=["_healpix_29"])["_healpix_29"].to_numpy()
        assert np.all(np.diff(hh) >= 0)
    assert t.schema.field("_healpix_29").type == pa.int64()


def test_partitions_split_when_over_threshold(store, tmp_path):
    rng = np.random.default_rng(3)
    n = 5000
    pq.write_table(pa.table({"id": np.arange(n), "ra": rng.uniform(0, 360, n),
                             "dec": np.degrees(np.arcsin(rng.uniform(-1, 1, n)))}),
                   tmp_path / "u.parquet")
    store.ingest_table(tmp_path / "u.parquet", name="u", key="id", max_rows=300)
    info = (store.catalog_dir("u") / "partition_info.csv").read_text().split()[1:]
    assert len(info) > 16
    counts = store.sql("SELECT Norder, Npix, count(*) AS n FROM stg_hats__u GROUP BY ALL")
    assert counts["n"].max() <= 300 and counts["n"].sum() == n
    import hats

    assert len(hats.read_hats(store.catalog_dir("u")).get_healpix_pixels()) == \
        len(info)


def test_registry_and_migrations(m101, m101_vot):
    cats = m101.catalogs().set_index("name")
    row = cats.loc["csc"]
    assert row["rows"] == 555 and row["kind"] == "csc"
    assert row["source"] == str(m101_vot.absolute())
    import hashlib

    assert row["sha256"] == hashlib.sha256(m101_vot.read_bytes()).hexdigest()
    assert row["xcat_version"] == xcat.__version__
    assert cats.loc["csc_detections", "parent"] == "csc"
    mig = m101.sql("SELECT version, name, purpose FROM schema_migrations ORDER BY version")
    assert mig["version"].tolist() == list(range(1, len(mig) + 1))
    assert mig["name"].iloc[0] == "001_registry"
    assert row["schema_version"] == mig["version"].max()


def test_views_work_from_a_plain_duckdb_connection(m101):
    m101.close()
    con = duckdb.connect(str(m101.path / layout.DB_FILE), read_only=True)
    n = con.execute("SELECT count(*) FROM csc WHERE flux_aper_b > 1e-14").fetchall()[0][0]
    assert n > 0
    d = con.execute("SELECT ang_sep_deg(0, 0, 90, 0)").fetchall()[0][0]
    assert d == pytest.approx(90.0)
    con.close()


def test_moved_store_rewrites_its_views(m101, tmp_path):
    m101.close()
    moved = tmp_path / "moved"
    shutil.move(str(m101.path), moved)
    with xcat.Store.open(moved) as s:
        assert s.sql("SELECT count(*) AS n FROM csc")["n"].iloc[0] == 555


def test_sql_outputs_and_bound_parameters(m101):
    q = "SELECT name, ra, flux_aper_b FROM csc WHERE flux_aper_b > $f ORDER BY flux_aper_b DESC"
    df = m101.sql(q, {"f": 1e-13})
    arrow = m101.sql(q, {"f": 1e-13}, output="arrow")
    table = m101.sql(q, {"f": 1e-13}, output="astropy")
    assert len(df) == arrow.num_rows == len(table) > 0
    assert (df["flux_aper_b"] > 1e-13).all()
    assert str(table["ra"].unit) == "deg"
    assert table["flux_aper_b"].unit.physical_type == "energy flux"
    assert "Aperture-corrected" in table["flux_aper_b"].description
    # a value that looks like SQL is bound, not pasted in
    assert m101.sql("SELECT count(*) AS n FROM csc WHERE name = $n",
                    {"n": "x' OR '1'='1"})["n"].iloc[0] == 0
    with pytest.raises(xcat.XcatError, match="SQL error"):
        m101.sql("SELECT nope FROM csc")


def test_cone_on_real_m101_matches_brute_force(m101):
    from astropy.coordinates import SkyCoord

    allrows = m101.sql("SELECT name, ra, dec FROM csc")
    centre = SkyCoord(210.80, 54.35, unit="deg")
    sep = centre.separation(SkyCoord(allrows["ra"], allrows["dec"], unit="deg")).arcsec
    for r in (5, 30, 120, 600):
        got = m101.cone("csc", 210.80, 54.35, f"{r}arcsec")
        assert set(got["name"]) == set(allrows["name"][sep <= r])
        assert np.all(np.diff(got["_dist_arcsec"]) >= 0)


def test_verify_passes_then_catches_tampering(m101):
    results = run_audits(m101)
    assert results and all(r.ok for r in results)
    names = {r.audit for r in results}
    assert {"unique_key", "coordinates_in_range", "fluxes_nonnegative",
            "registry_matches_disk", "rows_in_their_partition", "registry_row_count"} <= names
    # tamper: the registry claims one more row than the disk holds
    with m101.writing() as con:
        con.execute("UPDATE catalogs SET n_rows = n_rows + 1 WHERE name = 'csc'")
    bad = {(r.catalog, r.audit) for r in run_audits(m101) if not r.ok}
    assert ("csc", "registry_row_count") in bad and ("csc", "registry_matches_disk") in bad


def test_verify_catches_negative_flux_and_duplicate_keys(store, tmp_path):
    pq.write_table(pa.table({"id": [1, 2], "ra": [1.0, 2.0], "dec": [0.0, 0.0],
                             "f": [1e-14, 2e-14]}).cast(pa.schema([
                                 pa.field("id", pa.int64()), pa.field("ra", pa.float64()),
                                 pa.field("dec", pa.float64()),
                                 pa.field("f", pa.float64(),
                                          metadata={b"unit": b"mW / m2"})])),
                   tmp_path / "f.parquet")
    store.ingest_table(tmp_path / "f.parquet", name="f", key="id")
    # mW/m2 == erg/s/cm2: converted and recorded canonically
    assert store.sql("SELECT unit FROM catalog_columns WHERE catalog='f' AND name='f'")[
        "unit"].iloc[0] == "erg / (s cm2)"
    f = next(store.catalog_dir("f").glob("dataset/**/*.parquet"))
    t = pq.read_table(f)
    t = t.set_column(t.column_names.index("f"), "f", pa.array([-1.0, 2e-14]))
    t = t.set_column(t.column_names.index("id"), "id", pa.array([7, 7]))
    pq.write_table(t, f)
    bad = {r.audit for r in run_audits(store) if not r.ok}
    assert {"fluxes_nonnegative", "unique_key"} <= bad


def test_store_open_errors(tmp_path):
    with pytest.raises(xcat.XcatError, match="no xcat store"):
        xcat.Store.open(tmp_path / "missing")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "thesis.tex").write_text("x")
    with pytest.raises(xcat.XcatError, match="not empty"):
        xcat.Store.open(tmp_path / "full", create=True)


def test_unknown_catalog_is_a_clear_error(m101):
    with pytest.raises(xcat.XcatError, match=r"no catalog 'gaia'.*csc"):
        m101.cone("gaia", 0, 0, "1arcsec")
