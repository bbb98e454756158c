"""Issue 12, crash safety kept as tests: ``kill -9`` of real ``xcat`` processes while they
write, then the store must be at exactly the old or exactly the new state.

Each operation runs as ``python -m xcat --store ROOT ...`` on a fresh copy of a small
store and is killed at every crash point it passes (``XCAT_CRASH_AT=<point>[#N]``, see
:mod:`xcat.store.faults`) and at seeded random times (SIGKILL from here) drawn from
0.8 x the time the earliest crash point took to the time the latest took: the stretch
in which the command writes. After each kill, before xcat opens the store again, the file is
read with plain DuckDB: every catalog's registry ``n_rows`` equals ``count(*)`` of its
view and the rows of the Parquet files of its registered folder, and the registry,
catalogs, runs, events and migrations equal those before the command or those of an
un-killed run, never a mix (``csc`` and ``csc_detections`` switch together). Then the
next open (``xcat verify``) removes the leftovers (one ``removed catalogs/...`` note
each), verify passes and ``catalogs/`` holds only the registered folders; re-running the
killed command completes and leaves what an un-killed run leaves. A first ingest that
creates the store is killed during the store's creation too. A cross-match run switches
the same way (issue 13: its pairs folder under ``runs/`` is staged, renamed, then named by
the run row in the COMMIT; the superseded folder is removed after it): its pairs are
those of the old run or of the new one (count and sum of separations), and after the
next open ``runs/`` holds only the registered folders (one ``removed runs/...`` note per
leftover).

Inputs are excerpts of ../shared/data: the M101 CSCview VOTable cut to its first 300 /
200 rows (32 / 21 sources), a CSV of those sources (positions shifted by 0.31" steps, so
a 1" and a 3" cross-match differ), 40 CARMENES rows as a bystander catalog, and an
XRBID-layout notes file for five of the sources (written here, not real notes).

``-rP`` shows the summary line (kills per operation and crash point, random kills, states
seen, leftovers removed) under pytest-xdist.
"""

from __future__ import annotations

import collections
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from cli_helpers import run
from click.testing import CliRunner
from conftest import shared_file

import xcat
from xcat.cli import cli
from xcat.store import layout, migrations
from xcat.store.faults import CRASH_ENV

pytestmark = pytest.mark.slow

SEED = 12
#: Random-time kills per operation (the module stays within ~90 s with -n 2); set
#: XCAT_CRASH_RANDOM for a longer hunt.
N_RANDOM = int(os.environ.get("XCAT_CRASH_RANDOM", "2"))
#: Store copies in flight: two killed processes run at once while one is checked.
SLOTS, WORKERS = 3, 2

#: Crash points before the COMMIT that switches (the old state stays); the others are after.
BEFORE_COMMIT = ("staged", "renamed", "commit")

CSC = "csc_m101_xrbid/cscresults_M101.vot"
CARMENES = "carmenes_cifuentes2020/cif20.Mother.v01.csv"


@dataclass(frozen=True)
class Op:
    """One operation to kill: the store it starts from, its arguments, its crash points."""

    key: str
    base: str
    args: tuple[str, ...]
    points: tuple[str, ...]


def operations(d: Path) -> dict[str, Op]:
    table = ("ingest", "table", str(d / "m101.csv"), "--name", "m101", "--key", "name")
    swap = ("staged", "renamed", "commit", "committed")
    ops = [
        Op("first_ingest", "b0", table, swap),
        Op("replacing_ingest", "b1", table, (*swap, "removing")),
        Op("csc_switch", "b0", ("ingest", "csc", str(d / "csc.vot")),
           (*swap, "renamed#2", "removing", "removing#2")),
        Op("xmatch_run", "b1", ("xmatch", "csc", "m101", "--radius", "3arcsec", "--name", "r"),
           (*swap, "removing")),
        Op("classify_import", "b0", ("classify", "--import", str(d / "notes.csv")),
           ("commit", "committed")),
        Op("migration", "old", ("catalogs",), ("commit", "committed")),
    ]
    return {op.key: op for op in ops}


#: What the kills did, for the summary line (one pytest worker runs this whole module).
TALLY: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)


# ---------------------------------------------------------------------- inputs and stores
def write_votable(rows: int, out: Path) -> None:
    """The M101 CSCview VOTable cut to its first ``rows`` TABLEDATA rows, header kept."""
    text = shared_file(CSC).read_text()
    head, rest = text.split("<TABLEDATA>\n", 1)
    body, tail = rest.split("</TABLEDATA>", 1)
    trs = re.findall(r"  <TR>\n.*?</TR>\n", body, flags=re.S)
    out.write_text(head + "<TABLEDATA>\n" + "".join(trs[:rows]) + "</TABLEDATA>" + tail)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Inputs, and per slot the starting stores: ``b0`` (csc, carm), ``b1`` (plus m101
    and a 1" run ``r``) and ``old`` (``b1`` with migration 14 undone by hand).
    """
    top = tmp_path_factory.mktemp("crash")
    d = top / "inputs"
    d.mkdir()
    write_votable(300, d / "csc.vot")
    carm = pd.read_csv(shared_file(CARMENES), usecols=["Karmn", "RA_J2000", "DE_J2000"])
    carm.head(40).to_csv(d / "carm.csv", index=False)
    build = top / "build"
    run(build, "ingest", "csc", str(d / "csc.vot"))
    run(build, "ingest", "table", str(d / "carm.csv"), "--name", "carm", "--key", "Karmn")
    shutil.copytree(build, top / "b0")
    with xcat.Store.open(build) as s:
        m101 = s.sql("SELECT name, ra, dec FROM csc ORDER BY name")
    m101["dec"] += [i * 0.31 / 3600 for i in range(len(m101))]
    m101.to_csv(d / "m101.csv", index=False)
    run(build, "ingest", "table", str(d / "m101.csv"), "--name", "m101", "--key", "name")
    run(build, "xmatch", "csc", "m101", "--radius", "1arcsec", "--name", "r")
    shutil.copytree(build, top / "b1")
    # the commands' inputs: new content at the same paths
    write_votable(200, d / "csc.vot")
    m101.head(20).to_csv(d / "m101.csv", index=False)
    pd.DataFrame({"CSC ID": list(m101["name"][:5]), "ID": range(1, 6),
                  "Class": ["AGN", "xrb", "(SNR)", "Cluster", ""],
                  "Best Star": ["12", "3", "", "7", ""], "Mass": ["", "HMXB", "", "", ""],
                  "Notes": ["extended in F555W", "blue star", "soft", "", "not yet"]}
                 ).to_csv(d / "notes.csv", index=False)
    # each slot keeps stores made for slot/store, copied back there before each run
    slots = [top / f"slot{k}" for k in range(SLOTS)]
    for slot in slots:
        for name in ("b0", "b1"):
            shutil.copytree(top / name, slot / "store")
            xcat.Store.open(slot / "store").close()  # views re-pointed to this path
            shutil.move(slot / "store", slot / f"base-{name}")
        old = slot / "base-old"
        shutil.copytree(slot / "base-b1", old)
        con = duckdb.connect(str(old / layout.DB_FILE))
        con.execute("DELETE FROM schema_migrations WHERE version = 14; DROP TABLE store_info")
        con.close()
    return operations(d), slots


# ---------------------------------------------------------------------- the store's state
def state(root: Path) -> dict:
    """What the store holds, read with plain DuckDB (read-only) before xcat opens it."""
    con = duckdb.connect(str(root / layout.DB_FILE), read_only=True)
    try:
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE'").fetchall()}
        cats = {}
        for name, kind, n_rows, sha, detail, n_parts, path, created in con.execute(
                "SELECT name, kind, n_rows, sha256, source_detail, n_partitions, path, "
                "created FROM catalogs ORDER BY name").fetchall():
            try:
                view = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            except duckdb.Error as exc:
                view = f"error: {str(exc).splitlines()[0]}"
            files = list((root / path).glob("dataset/Norder=*/Dir=*/Npix=*/*.parquet"))
            on_disk = sum(pq.read_metadata(f).num_rows for f in files)
            cats[name] = {"kind": kind, "n_rows": n_rows, "sha256": sha, "detail": detail,
                          "n_partitions": n_parts, "view_rows": view, "file_rows": on_disk,
                          "folder": Path(path).name, "created": created}
        try:
            runs = con.execute(
                "SELECT r.name, r.left_catalog, r.right_catalog, r.parameters, r.n_pairs, "
                "(SELECT count(*) FROM xmatch_pairs p WHERE p.run_id = r.run_id), "
                "(SELECT round(sum(p.sep_arcsec), 6) FROM xmatch_pairs p "
                " WHERE p.run_id = r.run_id) FROM xmatch_runs r ORDER BY r.name").fetchall()
        except duckdb.Error as exc:  # a registered run whose files are gone
            runs = [("error", str(exc).splitlines()[0])]
        run_folders = sorted(Path(r[0]).name for r in con.execute(
            "SELECT pairs_path FROM xmatch_runs WHERE pairs_path IS NOT NULL").fetchall())
        events = con.execute(
            "SELECT catalog, source_key, class, best_counterpart, donor_class, note, method "
            "FROM classification_events ORDER BY ALL").fetchall()
        applied = [r[0] for r in con.execute(
            "SELECT version FROM schema_migrations ORDER BY version").fetchall()]
    finally:
        con.close()
    runs_dir = layout.runs_dir(root)
    return {"catalogs": cats, "runs": runs, "events": events, "migrations": applied,
            "store_info": "store_info" in tables,
            "entries": sorted(p.name for p in (root / layout.CATALOGS_DIR).iterdir()),
            "run_folders": run_folders,
            "run_entries": sorted(p.name for p in runs_dir.iterdir())
            if runs_dir.is_dir() else []}


def fingerprint(s: dict) -> dict:
    """The state without what differs between two runs of one command (folder tokens,
    creation times).
    """
    return {**{k: s[k] for k in ("runs", "events", "migrations", "store_info")},
            "catalogs": {n: {k: v for k, v in c.items() if k not in ("folder", "created")}
                         for n, c in s["catalogs"].items()}}


def inconsistencies(s: dict) -> list[str]:
    """Registry vs views vs files, and catalogs of one input switched together."""
    bad = [f"{n}: registry {c['n_rows']} rows, view {c['view_rows']}, files {c['file_rows']}"
           for n, c in s["catalogs"].items()
           if not c["n_rows"] == c["view_rows"] == c["file_rows"]]
    csc, det = s["catalogs"].get("csc"), s["catalogs"].get("csc_detections")
    if csc and det and (csc["sha256"], csc["created"]) != (det["sha256"], det["created"]):
        bad.append("csc and csc_detections come from different ingests")
    for run_name, *_, n_pairs, n_rows, _ in (r for r in s["runs"] if r[0] != "error"):
        if n_pairs != n_rows:
            bad.append(f"run {run_name}: n_pairs {n_pairs}, {n_rows} pair rows")
    return bad


def registered(s: dict) -> list[str]:
    return sorted(c["folder"] for c in s["catalogs"].values())


def run_leftovers(s: dict) -> list[str]:
    """Entries of runs/ that no run names (a killed recording's folders)."""
    return sorted(set(s["run_entries"]) - set(s["run_folders"]))


# ---------------------------------------------------------------------- running and killing
@dataclass
class Outcome:
    slot: Path
    how: str
    returncode: int
    seconds: float
    stderr: str


class Harness:
    """Starts killed runs on free store slots (two at a time) while the caller checks."""

    def __init__(self, op: Op, slots: list[Path]):
        self.op = op
        self.free: list[Path] = list(slots)
        self.cond = threading.Condition()

    def take(self) -> Path:
        with self.cond:
            self.cond.wait_for(lambda: bool(self.free))
            return self.free.pop()

    def give(self, slot: Path) -> None:
        with self.cond:
            self.free.append(slot)
            self.cond.notify()

    def prepare(self) -> Path:
        """A free slot holding a fresh copy of the operation's starting store."""
        slot = self.take()
        shutil.rmtree(slot / "store", ignore_errors=True)
        shutil.copytree(slot / f"base-{self.op.base}", slot / "store")
        return slot

    def launch(self, how: str, point: str | None = None,
               delay: float | None = None) -> Outcome:
        slot = self.prepare()
        root = slot / "store"
        env = {k: v for k, v in os.environ.items() if k not in (CRASH_ENV, "XCAT_STORE")}
        if point:
            env[CRASH_ENV] = point
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "xcat", "--store", str(root),
                                 *self.op.args], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        try:
            _, err = proc.communicate(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            _, err = proc.communicate()
        return Outcome(slot, how, proc.returncode, time.perf_counter() - t0, err)


def check(outcome: Outcome, op: Op, old: dict, new: dict, *, injected: bool) -> list[str]:
    """Check one killed run's store; return what is wrong (empty: all good)."""
    root = outcome.slot / "store"
    where = f"{op.key} killed at {outcome.how}"
    tally = TALLY[op.key]
    killed = outcome.returncode == -signal.SIGKILL
    if not killed and (injected or outcome.returncode != 0):
        return [f"{where}: exit {outcome.returncode}, not killed: {outcome.stderr[-400:]}"]
    kind = "injected" if injected else "random" if killed else "random_completed"
    tally[kind] += 1
    s = state(root)
    found = [f"{where}: {p}" for p in inconsistencies(s)]
    fp = fingerprint(s)
    label = "old" if fp == old else "new" if fp == new else "mixed"
    tally[label] += 1
    if injected:
        TALLY["points"][f"{outcome.how}->{label}"] += 1
        if label != ("old" if outcome.how.split("#")[0] in BEFORE_COMMIT else "new"):
            found.append(f"{where}: left the {label} state")
    elif killed:
        tally[f"random_{label}"] += 1
    if label == "mixed":
        found.append(f"{where}: neither the old nor the new state: {fp}")
    leftovers = sorted(set(s["entries"]) - set(registered(s)))
    tally["leftovers"] += len(leftovers) + len(run_leftovers(s))
    r = CliRunner().invoke(cli, ["--store", str(root), "verify"])
    removed = sorted(re.findall(r"^xcat: removed catalogs/(\S+) \(", r.stderr, flags=re.M))
    removed_runs = sorted(re.findall(r"^xcat: removed runs/(\S+) \(", r.stderr, flags=re.M))
    if r.exit_code != 0:
        found.append(f"{where}: verify after the next open failed: {r.output[-600:]}")
    if removed != leftovers:
        found.append(f"{where}: leftovers {leftovers}, removed {removed}")
    if removed_runs != run_leftovers(s):
        found.append(f"{where}: run leftovers {run_leftovers(s)}, removed {removed_runs}")
    entries = sorted(p.name for p in (root / layout.CATALOGS_DIR).iterdir())
    if entries != registered(s):
        found.append(f"{where}: after the next open catalogs/ holds {entries}")
    after = state(root)
    if after["run_entries"] != after["run_folders"]:
        found.append(f"{where}: after the next open runs/ holds {after['run_entries']}")
    r = CliRunner().invoke(cli, ["--store", str(root), *op.args])
    if r.exit_code != 0:
        return [*found, f"{where}: the re-run failed: {r.output[-400:]}{r.stderr[-400:]}"]
    again = state(root)
    if fingerprint(again) != new or inconsistencies(again):
        found.append(f"{where}: the re-run left {fingerprint(again)}, an un-killed run {new}")
    if again["entries"] != registered(again):
        found.append(f"{where}: after the re-run catalogs/ holds {again['entries']}")
    if again["run_entries"] != again["run_folders"]:
        found.append(f"{where}: after the re-run runs/ holds {again['run_entries']}")
    return found


@pytest.mark.parametrize("key", list(operations(Path())))
def test_kill_leaves_old_or_new_state(world, key):
    ops, slots = world
    op = ops[key]
    harness = Harness(op, slots)
    slot = harness.prepare()
    old_state = state(slot / "store")
    r = CliRunner().invoke(cli, ["--store", str(slot / "store"), *op.args])  # un-killed
    assert r.exit_code == 0, r.output + r.stderr
    new_state = state(slot / "store")
    harness.give(slot)
    old, new = fingerprint(old_state), fingerprint(new_state)
    assert new != old
    for s in (old_state, new_state):
        assert not inconsistencies(s) and s["entries"] == registered(s)
        assert s["run_entries"] == s["run_folders"]
    rng = random.Random(f"{SEED}-{key}")
    problems: list[str] = []

    def check_all(futures: list, injected: bool) -> list[float]:
        took = []
        for fut in futures:
            outcome = fut.result()
            took.append(outcome.seconds)
            try:
                problems.extend(check(outcome, op, old, new, injected=injected))
            finally:
                harness.give(outcome.slot)
        return took

    with ThreadPoolExecutor(WORKERS) as pool:
        took = check_all([pool.submit(harness.launch, p, p) for p in op.points], True)
        # random times from just before the first crash point to the last one's: the
        # stretch in which the command writes
        delays = [round(rng.uniform(0.8 * min(took), max(took)), 3) for _ in range(N_RANDOM)]
        check_all([pool.submit(harness.launch, f"{t}s", None, t) for t in delays], False)
    assert not problems, "\n".join(problems)


def catalog_names(root: Path) -> list[str]:
    """Registered catalogs, read with plain DuckDB (none while the registry is not there)."""
    con = duckdb.connect(str(root / layout.DB_FILE), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT name FROM catalogs").fetchall()]
    except duckdb.CatalogException:
        return []
    finally:
        con.close()


@pytest.fixture(scope="module")
def created(world, tmp_path_factory):
    """What an un-killed first ingest into a new store path leaves."""
    root = tmp_path_factory.mktemp("created") / "store"
    run(root, *world[0]["first_ingest"].args)
    return fingerprint(state(root))


#: The first commits of a new store: one per migration, then the views.
VIEWS_COMMIT = len(migrations.available()) + 1


@pytest.mark.parametrize("point", ["commit", "committed", f"commit#{VIEWS_COMMIT}"])
def test_kill_while_an_ingest_creates_the_store(world, created, tmp_path, point):
    """The first ingest into a new store path creates it: the migrations (a transaction
    each) and then the views (``commit#VIEWS_COMMIT``) come before the catalog. Killed at
    any of them, the next open finishes the store and the re-run loads the catalog.
    """
    ops, _ = world
    args = ops["first_ingest"].args
    new = created
    root = tmp_path / "store"
    env = {k: v for k, v in os.environ.items() if k not in (CRASH_ENV, "XCAT_STORE")}
    proc = subprocess.run([sys.executable, "-m", "xcat", "--store", str(root), *args],
                          env={**env, CRASH_ENV: point}, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert catalog_names(root) == []  # the old state: no catalog yet
    tally = TALLY["store_creation"]
    tally["injected"] += 1
    TALLY["points"][f"{point} (new store)->old"] += 1
    tally["old"] += 1
    r = CliRunner().invoke(cli, ["--store", str(root), "verify"])
    assert r.exit_code == 0, r.output + r.stderr + repr(r.exception)
    r = CliRunner().invoke(cli, ["--store", str(root), *args])
    assert r.exit_code == 0, r.output + r.stderr + repr(r.exception)
    again = state(root)
    assert fingerprint(again) == new and again["entries"] == registered(again)


def test_summary():
    """Print the figures (``-rP`` shows them under xdist) and require no mixed state."""
    ops = [k for k in TALLY if k != "points"]
    if not ops:
        pytest.skip("no crash test ran in this process")
    total: collections.Counter = collections.Counter()
    for k in ops:
        total.update(TALLY[k])
    per_op = ", ".join(f"{k} {TALLY[k]['injected'] + TALLY[k]['random']}" for k in ops)
    points = ", ".join(f"{p} {n}" for p, n in sorted(TALLY["points"].items()))
    print(f"crash harness: {total['injected'] + total['random']} kill -9 runs ({per_op}); "
          f"{total['injected']} at crash points ({points}); {total['random']} at random "
          f"times (old {total['random_old']}, new {total['random_new']}, "
          f"and {total['random_completed']} runs that finished before the kill); mixed states "
          f"{total['mixed']}; leftovers removed on the next open {total['leftovers']}")
    assert total["mixed"] == 0
