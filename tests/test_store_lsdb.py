"""``Store.lsdb``: a catalog as an ``lsdb`` Catalog with its margin cache attached, for a
catalog xcat wrote (the real CARMENES excerpt, 2483 rows in 300-row partitions) and for
one registered in place (``Store.register_hats``). Dask's local scheduler, no cluster.
"""

from __future__ import annotations

import pytest
from conftest import shared_file

import xcat

lsdb = pytest.importorskip("lsdb")

CSV = "carmenes_cifuentes2020/cif20.Mother.v01.csv"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    path = tmp_path_factory.mktemp("lsdb") / "store"
    with xcat.Store.open(path, create=True) as s:
        s.ingest_table(shared_file(CSV), name="carm", key="Karmn", max_rows=300,
                       margin="30arcsec")
        # the same catalog registered in place from the xcat-written folder
        s.register_hats(s.catalog_dir("carm"), name="linked", key="Karmn")
    return path


@pytest.mark.parametrize("name", ["carm", "linked"])
def test_lsdb_round_trip(root, name):
    with xcat.Store.open(root, read_only=True) as s:
        cat = s.lsdb(name)
        info = s.catalog(name)
        assert isinstance(cat, lsdb.Catalog)
        assert cat.margin is not None and cat.margin.hc_structure.catalog_info.margin_threshold \
            == info["margin_arcsec"] == 30.0
        assert len(cat.get_healpix_pixels()) == info["n_partitions"] > 5
        df = cat.compute()
        assert len(df) == info["n_rows"] == 2483
        stored = s.sql(f"select * from {name} limit 0").columns
        assert set(stored) - {"Norder", "Dir", "Npix"} <= set(df.columns) | {"_healpix_29"}
        assert sorted(df["Karmn"]) == sorted(s.sql(f"select Karmn from {name}")["Karmn"])
        for ra, dec, r in ((5.89, 20.24, 3600 * 10), (0.05, -3.0, 3600 * 15)):
            via_lsdb = cat.cone_search(ra, dec, r).compute()
            via_store = s.cone(name, ra, dec, r / 3600)
            assert sorted(via_lsdb["Karmn"]) == sorted(via_store["Karmn"]) and len(via_store)
        sub = s.lsdb(name, columns=["Karmn", "RA_J2000", "DE_J2000"])
        assert {"Karmn", "RA_J2000", "DE_J2000"} <= set(sub.columns)


def test_lsdb_of_an_unknown_catalog_is_one_clear_error(root):
    with xcat.Store.open(root, read_only=True) as s, pytest.raises(xcat.XcatError,
                                                                   match="no catalog 'nope'"):
        s.lsdb("nope")
