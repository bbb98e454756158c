"""Margin caches in ``xcat verify`` and an interrupted ``xcat margin`` (issue 13).

verify checks each catalog's ``margin/`` against the registry (``catalogs.margin_arcsec``):
there when a threshold is recorded, the recorded ``hats_margin_threshold``, row counts
equal to its files' rows, every listed partition with files, no ``.margin-*`` folder of a
rebuild left beside it. A rebuild stopped by Ctrl-C or an error leaves the store
byte-identical; one killed half-way is put right by the next open (the margin the
registry records back in place, the leftovers removed with a note each).

The store: the CARMENES excerpt in partitions of 600 rows (its default 10" margin).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from cli_helpers import run, snapshot
from click.testing import CliRunner
from conftest import shared_file

import xcat
from xcat.catalog import margin
from xcat.cli import cli
from xcat.store import faults, layout, upkeep
from xcat.store.verify import run_audits

CARMENES = "carmenes_cifuentes2020/cif20.Mother.v01.csv"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("margin_audit") / "store"
    run(root, "ingest", "table", str(shared_file(CARMENES)), "--name", "carmenes",
        "--key", "Karmn", "--partition-rows", "600")
    return root


@pytest.fixture
def python_sigint():
    """Python's own Ctrl-C handler for the test (another test in this process may have
    left a library's handler installed; ``uninterrupted`` leaves those alone)."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


@pytest.fixture
def root(built, tmp_path) -> Path:
    """A copy of the store, opened once at its new path (views re-pointed)."""
    root = tmp_path / "store"
    shutil.copytree(built, root)
    xcat.Store.open(root).close()
    return root


def folder(root: Path) -> Path:
    with xcat.Store.open(root, read_only=True) as s:
        return s.catalog_dir("carmenes")


def margin_audit(root: Path) -> list:
    """The margin_cache result of carmenes, read without fixing anything (read-only)."""
    with xcat.Store.open(root, read_only=True) as s:
        results = run_audits(s)
    return [r for r in results if r.audit == "margin_cache" and r.catalog == "carmenes"]


def verify(root: Path):
    return CliRunner().invoke(cli, ["--store", str(root), "verify"])


def test_a_sound_margin_passes(root):
    [r] = margin_audit(root)
    assert r.ok, r.examples
    out = verify(root)
    assert out.exit_code == 0 and "margin_cache" in out.output


def _drop_margin(d: Path) -> None:
    shutil.rmtree(margin.margin_dir(d))


def _other_threshold(d: Path) -> None:
    props = margin.margin_dir(d) / layout.PROPERTIES_FILE
    props.write_text(props.read_text().replace("hats_margin_threshold=10.0",
                                               "hats_margin_threshold=30.0"))


def _lose_a_file(d: Path) -> None:
    files = sorted(margin.margin_dir(d).glob("dataset/Norder=*/Dir=*/Npix=*/*.parquet"))
    assert len(files) > 1
    biggest = max(files, key=lambda f: pq.read_metadata(f).num_rows)
    biggest.unlink()


def _other_rows(d: Path) -> None:
    props = margin.margin_dir(d) / layout.PROPERTIES_FILE
    text = props.read_text()
    n = int(next(ln for ln in text.splitlines() if ln.startswith("hats_nrows=")).split("=")[1])
    props.write_text(text.replace(f"hats_nrows={n}\n", f"hats_nrows={n + 1}\n"))


@pytest.mark.parametrize("damage, says", [
    (_drop_margin, "margin/ is missing"),
    (_other_threshold, "hats_margin_threshold 30.0 != registry 10"),
    (_lose_a_file, "no files for partition"),
    (_other_rows, "hats_nrows="),
])
def test_a_damaged_margin_fails_verify_saying_what(root, damage, says):
    damage(folder(root))
    [r] = margin_audit(root)
    assert not r.ok and any(says in e for e in r.examples), r.examples
    out = verify(root)
    assert out.exit_code == 1
    line = next(ln for ln in out.output.splitlines() if "margin_cache" in ln)
    assert line.startswith("FAIL carmenes") and says in line


def test_a_lost_file_shows_in_the_row_count(root):
    _lose_a_file(folder(root))
    [r] = margin_audit(root)
    assert any("its files hold" in e for e in r.examples), r.examples


def test_a_registry_threshold_other_than_the_files_fails(root):
    con = duckdb.connect(str(root / layout.DB_FILE))
    con.execute("UPDATE catalogs SET margin_arcsec = 20 WHERE name = 'carmenes'")
    con.close()
    [r] = margin_audit(root)
    assert not r.ok and "hats_margin_threshold 10.0 != registry 20" in r.examples[0]


def test_no_recorded_threshold_and_no_margin_passes(root):
    """A catalog from before margins (NULL threshold, no folder) is sound."""
    _drop_margin(folder(root))
    con = duckdb.connect(str(root / layout.DB_FILE))
    con.execute("UPDATE catalogs SET margin_arcsec = NULL")
    con.close()
    [r] = margin_audit(root)
    assert r.ok, r.examples


def test_leftover_rebuild_folders_are_reported_then_removed(root):
    d = folder(root)
    before = snapshot(root)
    shutil.copytree(margin.margin_dir(d), d / ".margin-0123456789")
    shutil.copytree(margin.margin_dir(d), d / ".margin-old-abcdef0123")
    [r] = margin_audit(root)  # a read-only handle does not remove them: it reports them
    assert r.n_bad == 2 and all("interrupted margin rebuild" in e or "replaced" in e
                                for e in r.examples), r.examples
    out = verify(root)  # the next write session (here verify's open) removes them
    assert out.exit_code == 0, out.output
    notes = [ln for ln in out.stderr.splitlines() if ln.startswith("xcat: removed ")]
    assert sorted(notes) == [
        f"xcat: removed catalogs/{d.name}/.margin-0123456789 (left by an interrupted margin "
        "rebuild)",
        f"xcat: removed catalogs/{d.name}/.margin-old-abcdef0123 (the margin cache a margin "
        "rebuild replaced)"]
    assert snapshot(root) == before


def test_an_unrecorded_margin_is_a_leftover(root):
    """A margin switched in by a first rebuild killed before its COMMIT (the registry
    records none) is removed by the next open."""
    con = duckdb.connect(str(root / layout.DB_FILE))
    con.execute("UPDATE catalogs SET margin_arcsec = NULL")
    con.close()
    [r] = margin_audit(root)
    assert not r.ok and "registry does not record" in r.examples[0]
    assert verify(root).exit_code == 0
    assert not margin.margin_dir(folder(root)).exists()


def test_ctrl_c_while_the_margin_is_built_changes_nothing(root, monkeypatch, tmp_path,
                                                          python_sigint):
    """KeyboardInterrupt half-way through writing the new margin: exit 130, one line,
    the store byte-identical (its .margin-<token> folder removed), the build stopped."""
    before = snapshot(root)
    real = pq.write_table
    calls = []
    monkeypatch.setattr(margin.pq, "write_table",
                        lambda *a, **k: (calls.append(1), real(*a, **k))[1])
    margin.build_margin(folder(root), 60.0, out=tmp_path / "whole")
    whole, calls = len(calls), []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(margin.pq, "write_table", interrupted)
    r = CliRunner().invoke(cli, ["--store", str(root), "margin", "carmenes",
                                 "--threshold", "1arcmin"])
    assert r.exit_code == 130 and r.stderr == "xcat: interrupted\n", (r.output, r.stderr)
    # the build stops there (the other build thread finishes the source partition it
    # is splitting)
    assert 5 <= len(calls) < whole
    assert snapshot(root) == before
    assert not list(folder(root).glob(".margin-*"))


def test_ctrl_c_during_the_switch_waits_for_it(root, monkeypatch, python_sigint):
    """Ctrl-C while the margins are switched (crash point ``margin_moved`` sending SIGINT)
    is held back until the switch is complete: exit 130, and the new margin is live."""
    monkeypatch.setattr(faults, "_SEEN", {})
    monkeypatch.setenv(faults.CRASH_ENV, "margin_moved")
    monkeypatch.setenv(faults.SIGNAL_ENV, "INT")
    r = CliRunner().invoke(cli, ["--store", str(root), "margin", "carmenes",
                                 "--threshold", "1arcmin"])
    assert r.exit_code == 130 and r.stderr == "xcat: interrupted\n", (r.output, r.stderr)
    assert faults._SEEN == {"margin_moved": 1}
    d = folder(root)
    assert margin.read_threshold(d) == 60.0 and not list(d.glob(".margin-*"))
    with xcat.Store.open(root, read_only=True) as s:
        assert s.catalog("carmenes")["margin_arcsec"] == 60.0
        assert all(a.ok for a in run_audits(s))


@pytest.mark.slow
@pytest.mark.parametrize("point, threshold", [("margin_moved", 10.0), ("commit", 10.0),
                                               ("committed", 60.0), ("removing", 60.0)])
def test_a_rebuild_killed_in_its_switch_is_put_right_on_the_next_open(root, point,
                                                                      threshold):
    """kill -9 between the renames and the COMMIT: the next open puts the recorded margin
    back (or keeps the committed one) and removes the leftovers; verify passes."""
    before = snapshot(root)
    r = subprocess.run(
        [sys.executable, "-m", "xcat", "--store", str(root), "margin", "carmenes",
         "--threshold", "1arcmin"], capture_output=True, text=True, check=False,
        env={**os.environ, faults.CRASH_ENV: point})
    assert r.returncode == -signal.SIGKILL, r.stderr
    d = folder(root)
    assert list(d.glob(".margin-*"))  # the kill left its folders
    out = verify(root)
    assert out.exit_code == 0, out.output + out.stderr
    assert "xcat: removed catalogs/" in out.stderr
    assert ("put back the margin cache" in out.stderr) == (threshold == 10.0)
    assert margin.read_threshold(d) == threshold and not list(d.glob(".margin-*"))
    with xcat.Store.open(root, read_only=True) as s:
        assert s.catalog("carmenes")["margin_arcsec"] == threshold
    if threshold == 10.0:
        assert snapshot(root) == before


def test_uninterrupted_holds_ctrl_c_until_the_block_ends(python_sigint):
    done = []
    with pytest.raises(KeyboardInterrupt), faults.uninterrupted():
        signal.raise_signal(signal.SIGINT)
        done.append("after the signal")
    assert done == ["after the signal"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with faults.uninterrupted():  # no Ctrl-C: nothing raised
        pass


def test_thresholds_are_written_exactly(tmp_path):
    """The registry's threshold and hats_margin_threshold agree to the last bit."""
    t = 0.123456789 * 3600
    assert upkeep.same_threshold(float(repr(float(t))), t)
    assert not upkeep.same_threshold(t, t * (1 + 1e-6)) and upkeep.same_threshold(None, None)
