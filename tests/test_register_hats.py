"""``xcat ingest hats`` / ``Store.register_hats``: an existing HATS catalog registered in
place (not copied), on the real CARMENES excerpt (carmenes_cifuentes2020, 2483 M
dwarfs) written by xcat in 300-row partitions, then laid out as hats-import writes it
(``Npix=n.parquet`` files, the margin a sibling ``<name>_margin`` catalog).

The external files are never written, moved or removed: not by registering, ``--replace``,
a replacement by another catalog, the cleanup of a write session or a moved store.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_helpers import fails, run
from conftest import shared_file

import xcat

CSV = "carmenes_cifuentes2020/cif20.Mother.v01.csv"


def hats_import_layout(version: Path, dest: Path) -> Path:
    """Copy an xcat catalog version to ``dest/carm`` (+ ``dest/carm_margin``) in
    hats-import's layout: ``Npix=n.parquet`` files, margin beside it.
    """
    main, margin = dest / "carm", dest / "carm_margin"
    shutil.copytree(version, main, ignore=shutil.ignore_patterns("margin"))
    shutil.copytree(version / "margin", margin)
    for folder, primary in ((main, None), (margin, str(main))):
        for d in sorted((folder / "dataset").glob("Norder=*/Dir=*/Npix=*/"), reverse=True):
            files = sorted(d.glob("*.parquet"))
            table = pa.concat_tables([pq.read_table(f) for f in files])
            shutil.rmtree(d)
            pq.write_table(table, d.parent / f"{d.name}.parquet")
        props = (folder / "hats.properties").read_text().replace(
            "hats_npix_suffix=/", "hats_npix_suffix=.parquet")
        if primary:
            props = props.replace("hats_primary_table_url=..",
                                  f"hats_primary_table_url={primary}")
        (folder / "hats.properties").write_text(props)
        (folder / "dataset" / "_metadata").unlink()
    return main


def tree(folder: Path) -> dict[str, tuple[str, float]]:
    """Every file under ``folder``: content hash and modification time."""
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(),
                                         p.stat().st_mtime)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> Path:
    """A store with CARMENES ingested by xcat (300-row partitions, 30″ margin)."""
    root = tmp_path_factory.mktemp("local") / "store"
    run(root, "ingest", "table", str(shared_file(CSV)), "--name", "carm", "--key", "Karmn",
        "--partition-rows", "300", "--margin", "30arcsec")
    return root


@pytest.fixture
def external(local, tmp_path) -> Path:
    """CARMENES as a HATS catalog outside any store, laid out as hats-import writes it."""
    with xcat.Store.open(local, read_only=True) as s:
        version = s.catalog_dir("carm")
    return hats_import_layout(version, tmp_path / "hats")


def test_registered_catalog_reads_like_the_ingested_one(local, external, tmp_path):
    root = tmp_path / "store"
    before = tree(external.parent)
    out = run(root, "ingest", "hats", str(external), "--name", "ext", "--key", "Karmn")
    assert "ext: loaded 2483 rows" in out and "registered in place" in out
    assert "margin cache: 30 arcsec" in out
    assert "2483" in run(root, "sql", "select count(*) from ext")
    with xcat.Store.open(root) as s, xcat.Store.open(local, read_only=True) as ref:
        row = s.catalog("ext")
        assert (row["ra_column"], row["dec_column"], row["key_columns"], row["margin_arcsec"]) \
            == ("RA_J2000", "DE_J2000", ["Karmn"], 30.0)
        assert row["n_partitions"] == ref.catalog("carm")["n_partitions"] > 5
        # units/descriptions from the Parquet field metadata, as the ingest recorded them
        cols = s.sql("select name, unit, description from catalog_columns "
                     "where catalog = 'ext' order by position")
        want = ref.sql("select name, unit, description from catalog_columns "
                       "where catalog = 'carm' order by position")
        assert cols.fillna("").values.tolist() == want.fillna("").values.tolist()
        for ra, dec in ((5.89, 20.24), (180.0, 0.0), (0.01, -5.0)):  # RA 0/360 too
            got = s.cone("ext", ra, dec, "20deg")
            exp = ref.cone("carm", ra, dec, "20deg")
            assert got["Karmn"].tolist() == exp["Karmn"].tolist() and len(got)
        # a cross-match against it reads its margin: same pairs as against the ingested copy
        s.ingest_table(shared_file(CSV), name="carm", key="Karmn", max_rows=300,
                       margin="30arcsec")
        a = s.xmatch("carm", "ext", radius="25arcsec", name="a", record=False).pairs
        b = s.xmatch("carm", "carm", radius="25arcsec", name="b", record=False).pairs
        assert a.num_rows == b.num_rows > 2483
        assert sorted(zip(*(a.column(i).to_pylist() for i in (0, 1)), strict=True)) == \
            sorted(zip(*(b.column(i).to_pylist() for i in (0, 1)), strict=True))
    assert run(root, "verify").strip().endswith("0 failed")
    assert "external_files_present" in run(root, "verify")
    assert tree(external.parent) == before


def test_external_files_are_never_moved_or_removed(external, tmp_path):
    root = tmp_path / "store"
    before = tree(external.parent)
    run(root, "ingest", "hats", str(external), "--name", "ext", "--key", "Karmn")
    again = run(root, "ingest", "hats", str(external), "--name", "ext", "--key", "Karmn")
    assert "unchanged" in again
    run(root, "ingest", "hats", str(external), "--name", "ext", "--key", "Karmn",
        "--replace")
    # another catalog takes the name: the link version goes, the files stay
    run(root, "ingest", "table", str(shared_file(CSV)), "--name", "ext", "--key", "Karmn",
        "--replace")
    run(root, "ingest", "hats", str(external), "--name", "ext2", "--key", "Karmn")
    run(root, "margin", "ext2", "--threshold", "40arcsec")  # a rebuild replaces margin/
    moved = tmp_path / "moved-store"
    root.rename(moved)  # a moved store still reads it
    assert "2483" in run(moved, "sql", "select count(*) from ext2")
    assert run(moved, "verify").strip().endswith("0 failed")
    assert tree(external.parent) == before
    assert not any(p.is_symlink() for p in external.parent.rglob("*"))


def test_verify_says_when_the_files_were_moved(external, tmp_path):
    root = tmp_path / "store"
    run(root, "ingest", "hats", str(external), "--name", "ext", "--key", "Karmn")
    external.parent.rename(tmp_path / "elsewhere")
    from click.testing import CliRunner

    from xcat.cli import cli

    r = CliRunner().invoke(cli, ["--store", str(root), "verify"])
    assert r.exit_code == 1
    line = next(ln for ln in r.output.splitlines() if "external_files_present" in ln)
    assert "FAIL" in line and "moved or deleted" in line and "--replace" in line
    shutil.move(tmp_path / "elsewhere", external.parent)
    assert run(root, "verify").strip().endswith("0 failed")


def _rewrite(catalog: Path, change) -> None:
    for f in (catalog / "dataset").glob("Norder=*/Dir=*/*.parquet"):
        pq.write_table(change(pq.read_table(f)), f)
    common = catalog / "dataset" / "_common_metadata"
    pq.write_metadata(change(pq.read_schema(common).empty_table()).schema, common)


def test_bad_catalogs_are_refused_and_the_store_is_unchanged(external, tmp_path):
    root = tmp_path / "store"
    run(root, "ingest", "table", str(shared_file(CSV)), "--name", "carm", "--key", "Karmn")
    assert "no such HATS catalog" in fails(root, "ingest", "hats", str(tmp_path / "nope"),
                                           "--name", "x")
    (tmp_path / "empty").mkdir()
    assert "no hats.properties" in fails(root, "ingest", "hats", str(tmp_path / "empty"),
                                         "--name", "x")
    assert "taken" in fails(root, "ingest", "hats", str(external), "--name", "carm",
                            "--key", "Karmn")
    # no --key and no unique id/name column (as ingest chooses): no row number is added
    assert "give --key COL" in fails(root, "ingest", "hats", str(external), "--name", "x")
    assert "not a unique" in fails(root, "ingest", "hats", str(external), "--name", "x",
                                   "--key", "SpType")
    assert "reserved" in fails(root, "ingest", "hats", str(external), "--name", "xray_sources")
    unsorted = tmp_path / "unsorted"
    shutil.copytree(external, unsorted)
    biggest = max((unsorted / "dataset").glob("Norder=*/Dir=*/*.parquet"),
                  key=lambda f: pq.read_metadata(f).num_rows)
    t = pq.read_table(biggest)
    pq.write_table(t.take(pa.array(np.arange(t.num_rows)[::-1])), biggest)
    assert "not sorted by _healpix_29" in fails(root, "ingest", "hats", str(unsorted),
                                                "--name", "x", "--key", "Karmn")
    no_index = tmp_path / "no_index"
    shutil.copytree(external, no_index)
    _rewrite(no_index, lambda t: t.drop_columns(["_healpix_29"]))
    assert "_healpix_29" in fails(root, "ingest", "hats", str(no_index), "--name", "x",
                                  "--key", "Karmn")
    (external / "dataset" / "Norder=1").rename(tmp_path / "gone")
    assert "missing" in fails(root, "ingest", "hats", str(external), "--name", "x",
                              "--key", "Karmn")
