"""``xcat ingest table --engine dask`` / ``Store.ingest_table(engine="dask")``: the real
CARMENES excerpt (carmenes_cifuentes2020, 2483 rows) built by hats-import's pipeline on
the session's LocalCluster (2 workers), registered like a local ingest; a failing
pipeline registers nothing and leaves no staging folder. Slow: a cluster.
"""

from __future__ import annotations

import pytest
from cli_helpers import run, snapshot
from conftest import shared_file

import xcat

pytestmark = pytest.mark.slow

CSV = "carmenes_cifuentes2020/cif20.Mother.v01.csv"


def test_ingest_through_hats_import_equals_a_local_ingest(dask_client, tmp_path):
    root = tmp_path / "store"
    with xcat.Store.open(root, create=True) as s:
        lines = s.ingest_table(shared_file(CSV), name="carmd", key="Karmn", max_rows=300,
                               margin="30arcsec", engine="dask", client=dask_client)
        assert lines[0].startswith("carmd: loaded 2483 rows")
        s.ingest_table(shared_file(CSV), name="carml", key="Karmn", max_rows=300,
                       margin="30arcsec")
        d, loc = s.catalog("carmd"), s.catalog("carml")
        for k in ("n_rows", "sha256", "ra_column", "dec_column", "key_columns",
                  "margin_arcsec", "kind"):
            assert d[k] == loc[k], k
        assert d["n_partitions"] > 5
        q = "select Karmn, RA_J2000, DE_J2000, Teff, Plx from {} order by Karmn"
        assert s.sql(q.format("carmd")).equals(s.sql(q.format("carml")))
        folder = s.catalog_dir("carmd")
        assert not any(p.is_symlink() for p in folder.rglob("*"))  # owned, not linked
        a = s.xmatch("carml", "carmd", radius="25arcsec", record=False).pairs
        b = s.xmatch("carml", "carml", radius="25arcsec", record=False).pairs
        assert a.num_rows == b.num_rows > 2483
    assert "I00235+2014" in run(root, "cone", "carmd", "5.8945", "20.241194", "5arcsec")
    assert "2483" in run(root, "sql", "select count(*) from carmd")
    assert run(root, "verify").strip().endswith("0 failed")
    assert not [p for p in (root / "catalogs").iterdir() if p.name.startswith(".staging")]


def test_a_failing_pipeline_registers_nothing(dask_client, tmp_path):
    root = tmp_path / "store"
    bad = tmp_path / "bad.csv"
    rows = shared_file(CSV).read_text().splitlines()
    # types are decided over every row (DuckDB); a file changed after that fails in the
    # workers, as a worker's failure would
    bad.write_text("\n".join(rows[:300]) + "\n")
    with xcat.Store.open(root, create=True) as s:
        s.ingest_table(shared_file(CSV), name="carml", key="Karmn")
        before = snapshot(root)
        from xcat.jobs.hats_import_job import HatsImportJob

        job = HatsImportJob((str(bad),), name="broken", key="Karmn", client=dask_client)
        ready = job.prepare()
        cells = [r.split(",") for r in rows[1:300]]
        for c in cells:
            c[2] = "not-a-number"  # RA_J2000
        bad.write_text(rows[0] + "\n" + "\n".join(",".join(c) for c in cells) + "\n")
        with pytest.raises(xcat.XcatError, match="hats-import failed"):
            ready.install(s)
        assert "broken" not in set(s.catalogs()["name"])
    assert snapshot(root) == before
