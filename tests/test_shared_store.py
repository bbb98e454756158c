"""Issue 12 with real processes: a notebook holding a ``Store`` while the CLI reads and
writes, concurrent writers, readers during re-ingests, plain DuckDB connections and
long-lived handles. (One process: tests/test_store_sessions.py; copies and moves:
tests/test_relocation.py.)

Every other process is started with ``sys.executable`` (``python -m xcat ...`` for the
CLI, small scripts for notebooks and readers) and talks JSON over its pipes. Version
``k`` of the test catalog ``tab`` carries ``ver = k`` in every row and has
``rows_of(k)`` rows, so any read that combines the registry of one version with the
files of another (or two versions' files) is seen as a mix.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cli_helpers import snapshot
from conftest import M101_CENTRE

import xcat
from xcat.store import layout

#: Cone of the mix checks: around the centre of M101, where both versions differ.
CONE = (*M101_CENTRE, "2arcmin")
#: How long any helper process may take before the test gives up on it (not a timing
#: assertion: a bound that keeps a hung process from hanging the suite).
LIMIT = 120


# ---------------------------------------------------------------------------- helpers
def rows_of(k: int) -> str:
    """Which rows version ``k`` of ``tab`` holds: all 555 (even k) or every other one."""
    return "all" if k % 2 == 0 else "half"


def version_csv(names_ra_dec: list[tuple[str, float, float]], k: int) -> str:
    """CSV text of version ``k``: name, ra, dec, ver (= k)."""
    rows = names_ra_dec if rows_of(k) == "all" else names_ra_dec[::2]
    return "name,ra,dec,ver\n" + "".join(f"{n},{r!r},{d!r},{k}\n" for n, r, d in rows)


def xcat_cmd(root: Path | str, *args: str) -> list[str]:
    return [sys.executable, "-m", "xcat", "--store", str(root), *args]


def xcat_run(root: Path | str, *args: str, cwd: Path | None = None,
             ) -> subprocess.CompletedProcess:
    """Run the CLI in its own process; return the finished process."""
    return subprocess.run(xcat_cmd(root, *args), capture_output=True, text=True,
                          timeout=LIMIT, cwd=cwd, check=False)


def xcat_ok(root: Path | str, *args: str, cwd: Path | None = None) -> str:
    r = xcat_run(root, *args, cwd=cwd)
    assert r.returncode == 0, f"xcat {' '.join(args)}: {r.stdout}{r.stderr}"
    assert "Traceback" not in r.stderr, r.stderr
    return r.stdout


def error_lines(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln.startswith("xcat: error:")]


def script(tmp: Path, name: str, code: str) -> Path:
    path = tmp / f"{name}.py"
    path.write_text(textwrap.dedent(code))
    return path


def start(path: Path, *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(path), *map(str, args)], text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **kw)


def finish(proc: subprocess.Popen, limit: float = LIMIT) -> tuple[str, str]:
    """Close a helper's stdin, wait for it, return (stdout, stderr); it must exit 0."""
    out, err = proc.communicate(timeout=limit)
    assert proc.returncode == 0, f"helper exited {proc.returncode}: {out}\n{err}"
    return out, err


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.communicate()


# A notebook: one Store held open for the process's life, driven one JSON command a line.
NOTEBOOK = """
    import json, os, sys
    import xcat
    from xcat.errors import XcatError

    root, mode = sys.argv[1], sys.argv[2]
    store = xcat.Store.open(root, read_only=mode == "ro")
    print(json.dumps({"pid": os.getpid()}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        try:
            if cmd["op"] == "sql":
                out = json.loads(store.sql(cmd["q"]).to_json(orient="records"))
            elif cmd["op"] == "cone":
                df = store.cone(cmd["cat"], *cmd["at"], columns=cmd.get("columns"))
                out = json.loads(df.to_json(orient="records"))
            elif cmd["op"] == "catalogs":
                out = list(store.catalogs()["name"])
            elif cmd["op"] == "close":
                store.close()
                out = "closed"
            else:
                raise ValueError(cmd)
            reply = {"ok": out}
        except XcatError as exc:
            reply = {"error": str(exc)}
        print(json.dumps(reply), flush=True)
"""


class Notebook:
    """A process that holds ``xcat.Store.open(root)`` like a notebook kernel."""

    def __init__(self, tmp: Path, root: Path, mode: str = "rw"):
        self.proc = start(script(tmp, "notebook", NOTEBOOK), root, mode)
        first = self.proc.stdout.readline()
        assert first, self.proc.stderr.read()
        self.pid = json.loads(first)["pid"]

    def ask(self, **cmd) -> dict:
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, self.proc.stderr.read()
        return json.loads(line)

    def ok(self, **cmd):
        reply = self.ask(**cmd)
        assert "ok" in reply, reply
        return reply["ok"]

    def count(self, query: str) -> int:
        return self.ok(op="sql", q=query)[0]["n"]

    def close(self) -> str:
        _, err = self.proc.communicate(timeout=LIMIT)
        assert self.proc.returncode == 0, err
        return err


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def built(tmp_path_factory, m101_csc_dir):
    """The M101 store (csc, csc_detections) plus ``tab`` at version 0, and the CSV text
    of versions 0..20 with the names each version has in the cone :data:`CONE`."""
    base = tmp_path_factory.mktemp("shared_store")
    root = base / "store"
    shutil.copytree(m101_csc_dir, root)
    with xcat.Store.open(root) as store:
        rows = [tuple(r) for r in store.sql(
            "SELECT name, ra, dec FROM csc ORDER BY name").itertuples(index=False)]
        in_cone = set(store.cone("csc", *CONE, columns=["name"])["name"])
        live = base / "live.csv"
        live.write_text(version_csv(rows, 0))
        store.ingest_table(live, name="tab", key="name")
    versions = [version_csv(rows, k) for k in range(21)]
    expected = {kind: sorted(n for n, _, _ in (rows if kind == "all" else rows[::2])
                             if n in in_cone) for kind in ("all", "half")}
    assert 0 < len(expected["half"]) < len(expected["all"])
    return root, versions, expected, [n for n, _, _ in rows]


@pytest.fixture
def root(built, tmp_path):
    """A copy of the module's store for a test that changes it (re-pointed once)."""
    dst = tmp_path / "store"
    shutil.copytree(built[0], dst)
    xcat.Store.open(dst).close()
    return dst


# ---------------------------------------------- 1. a notebook and the CLI side by side
def test_notebook_holds_a_store_while_the_cli_reads_and_writes(root, tmp_path, built):
    names = built[3]
    nb = Notebook(tmp_path, root)
    try:
        assert nb.count("SELECT count(*) AS n FROM csc") == 555
        near = nb.ok(op="cone", cat="csc", at=CONE, columns=["name"])
        assert len(near) > 10
        # the CLI reads while the notebook holds its handle: all at once
        readers = [subprocess.Popen(xcat_cmd(root, *a), stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
                   for a in (["catalogs"], ["sql", "SELECT count(*) AS n FROM csc"],
                             ["cone", "csc", f"{CONE[0]}", f"{CONE[1]}", CONE[2],
                              "--format", "csv", "--columns", "name"])]
        outs = [p.communicate(timeout=LIMIT) for p in readers]
        for p, (_, err) in zip(readers, outs, strict=True):
            assert p.returncode == 0 and not error_lines(err), err
        assert "csc_detections" in outs[0][0] and "555" in outs[1][0]
        cone_names = [row["name"] for row in csv.DictReader(io.StringIO(outs[2][0]))]
        assert sorted(cone_names) == sorted(r["name"] for r in near)
        # ... and writes
        out = xcat_ok(root, "classify", names[0], "--class", "AGN", "--author", "cli")
        assert "event 1:" in out
        small = tmp_path / "small.csv"
        small.write_text(built[1][1])
        out = xcat_ok(root, "ingest", "table", str(small), "--name", "small", "--key", "name")
        assert "small: loaded 278 rows" in out
        # the notebook's next calls see the CLI's writes
        assert nb.ok(op="sql", q="SELECT source_key, class, author FROM "
                     "classification_events") == [
            {"source_key": names[0], "class": "AGN", "author": "cli"}]
        assert nb.count("SELECT count(*) AS n FROM small") == 278
        got = nb.ok(op="cone", cat="small", at=CONE, columns=["name"])
        assert sorted(r["name"] for r in got) == built[2]["half"]
        # the notebook writes too, and the CLI sees it
        nb.ok(op="sql", q="CREATE TABLE notes AS SELECT 'from the notebook' AS t")
        assert "from the notebook" in xcat_ok(root, "sql", "SELECT t FROM notes")
    finally:
        err = nb.close()
    assert not error_lines(err), err


def test_read_only_notebook_reads_and_refuses_writes(root, tmp_path, built):
    before = snapshot(root)
    nb = Notebook(tmp_path, root, mode="ro")
    try:
        assert nb.count("SELECT count(*) AS n FROM csc") == 555
        refused = nb.ask(op="sql", q="CREATE TABLE mine AS SELECT 1 AS x")
        assert "read-only" in refused.get("error", ""), refused
        assert snapshot(root) == before  # opening read-only and refusing wrote nothing
        # the CLI writes while the read-only notebook stays open; the notebook sees it
        xcat_ok(root, "classify", built[3][1], "--class", "XRB", "--author", "cli")
        assert nb.count("SELECT count(*) AS n FROM classification_events") == 1
        assert nb.ok(op="close") == "closed"
        assert "closed" in nb.ask(op="catalogs")["error"]
    finally:
        nb.close()


def test_context_manager_closes_the_handle(root):
    """The README's form: after the block the handle is closed and nothing holds the
    file (another process opens it read-write)."""
    with xcat.Store.open(root) as store:
        assert store.sql("SELECT count(*) AS n FROM csc")["n"].iloc[0] == 555
        assert len(store.cone("csc", *CONE)) > 10
        code = ("import duckdb, sys; duckdb.connect(sys.argv[1]).close(); print('ok')")
    r = subprocess.run([sys.executable, "-c", code, str(root / layout.DB_FILE)],
                       capture_output=True, text=True, timeout=LIMIT, check=False)
    assert r.stdout.strip() == "ok", r.stderr
    with pytest.raises(xcat.XcatError, match="closed"):
        store.catalogs()


def test_sql_on_a_closed_handle_says_so(built):
    store = xcat.Store.open(built[0], read_only=True)
    store.close()
    with pytest.raises(xcat.XcatError, match="closed"):
        store.sql("SELECT 1")


# ---------------------------------------------- 2. concurrent writers
CLASSIFIER = """
    import json, os, sys, time
    from xcat.cli import cli
    import xcat.api, xcat.science.classification  # imported before the start signal

    root, go, who, classes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(",")
    names = json.loads(sys.stdin.readline())
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.01)
    codes = []
    for i, name in enumerate(names):
        args = ["--store", root, "classify", name, "--class", classes[i % len(classes)],
                "--author", who, "--note", f"{who} call {i}"]
        try:
            cli.main(args=args, prog_name="xcat")
        except SystemExit as exc:
            codes.append(exc.code or 0)
    print(json.dumps(codes), flush=True)
"""


def test_four_processes_classify_at_once(root, tmp_path, built):
    """4 processes x 25 ``xcat classify`` commands (each opens the store, records one
    event, closes), started together: exactly 100 events, none lost, none failed."""
    names = built[3]
    classes = ["AGN", "XRB", "Star", "SNR", "GAL"]
    go = tmp_path / "go"
    path = script(tmp_path, "classifier", CLASSIFIER)
    workers = []
    for w in range(4):
        p = start(path, root, go, f"worker{w}", ",".join(classes))
        p.stdin.write(json.dumps(names[w * 25:(w + 1) * 25]) + "\n")
        p.stdin.flush()
        workers.append(p)
    try:
        for p in workers:
            assert p.stdout.readline().strip() == "ready", p.stderr.read()
        go.touch()
        results = [finish(p) for p in workers]
    finally:
        for p in workers:
            stop(p)
    for out, err in results:
        codes = json.loads(out.splitlines()[-1])
        assert codes == [0] * 25, (codes, err)
        assert not error_lines(err), err
        assert sum(ln.startswith("event ") for ln in out.splitlines()) == 25
    _check_events(root, names, classes)


def _check_events(root: Path, names: list[str], classes: list[str]) -> None:
    with xcat.Store.open(root, read_only=True) as store:
        ev = store.sql("SELECT event_id, source_key, class, author, note "
                       "FROM classification_events ORDER BY event_id")
    assert len(ev) == 100 and ev["event_id"].is_unique
    want = {(names[w * 25 + i], classes[i % len(classes)], f"worker{w}", f"worker{w} call {i}")
            for w in range(4) for i in range(25)}
    assert set(ev[["source_key", "class", "author", "note"]].itertuples(
        index=False, name=None)) == want


CLI_CLASSIFIER = """
    import json, subprocess, sys
    root, who, classes = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
    names = json.loads(sys.stdin.readline())
    codes = [subprocess.run([sys.executable, "-m", "xcat", "--store", root, "classify", name,
                             "--class", classes[i % len(classes)], "--author", who,
                             "--note", f"{who} call {i}"]).returncode
             for i, name in enumerate(names)]
    print(json.dumps(codes), flush=True)
"""


@pytest.mark.slow
def test_four_processes_run_25_classify_commands_each(root, tmp_path, built):
    """The same with 100 separate ``python -m xcat classify`` processes."""
    names = built[3]
    classes = ["AGN", "XRB", "Star", "SNR", "GAL"]
    path = script(tmp_path, "cli_classifier", CLI_CLASSIFIER)
    workers = []
    for w in range(4):
        p = start(path, root, f"worker{w}", ",".join(classes))
        p.stdin.write(json.dumps(names[w * 25:(w + 1) * 25]) + "\n")
        p.stdin.flush()
        workers.append(p)
    try:
        results = [finish(p, 25 * LIMIT) for p in workers]
    finally:
        for p in workers:
            stop(p)
    for out, err in results:
        assert json.loads(out.splitlines()[-1]) == [0] * 25, err
        assert not error_lines(err), err
    _check_events(root, names, classes)


# ---------------------------------------------- 3 and 5. readers while a writer re-ingests
WRITER = """
    import json, os, sys
    import xcat

    root, live, versions, mode = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    versions = json.load(open(versions))[:int(sys.argv[5]) + 1]
    print("ready", flush=True)
    sys.stdin.readline()  # the readers are reading
    store = xcat.Store.open(root) if mode == "api" else None
    for k in range(1, len(versions)):
        with open(live, "w") as f:
            f.write(versions[k])
        if store is not None:  # the same source path: no --replace needed
            store.ingest_table(live, name="tab", key="name")
        else:
            import subprocess
            subprocess.run([sys.executable, "-m", "xcat", "--store", root, "ingest", "table",
                            live, "--name", "tab", "--key", "name"], check=True,
                           stdout=subprocess.DEVNULL)
        print(k, flush=True)
"""

READER = """
    import json, os, sys
    import xcat

    root, stop, expected, handles = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    expected = json.load(open(expected))
    stores = [xcat.Store.open(root) for _ in range(handles)]
    Q = ("SELECT (SELECT count(*) FROM tab) AS n, "
         "(SELECT n_rows FROM catalogs WHERE name = 'tab') AS reg, "
         "(SELECT sha256 FROM catalogs WHERE name = 'tab') AS sha, "
         "(SELECT min(ver) FROM tab) AS vmin, (SELECT max(ver) FROM tab) AS vmax")
    n_rows = {"all": expected["n_all"], "half": expected["n_half"]}
    kind = lambda k: "all" if k % 2 == 0 else "half"
    reads = mixes = errors = 0
    seen, shas, examples = set(), {}, []
    print("ready", flush=True)
    i = 0
    while True:
        last = os.path.exists(stop)
        for store in stores if i % 2 == 0 else stores[::-1]:  # interleave the handles
            try:
                r = store.sql(Q).iloc[0]
                reads += 1
                v = int(r.vmin)
                ok = r.n == r.reg == n_rows[kind(v)] and r.vmin == r.vmax
                shas.setdefault(v, set()).add(r.sha)
                seen.add(v)
                cone = store.cone("tab", *expected["cone"], columns=["name", "ver"])
                reads += 1
                vers = set(cone["ver"])
                ok_cone = (len(vers) == 1 and
                           sorted(cone["name"]) == expected[kind(int(vers.pop()))])
                if not (ok and ok_cone):
                    mixes += 1
                    examples.append([r.to_dict(), sorted(set(cone["ver"]))])
            except Exception as exc:  # any error is a failure of the test
                errors += 1
                examples.append(repr(exc))
        i += 1
        if last:
            break
    final = [int(s.sql(Q).iloc[0].vmin) for s in stores]
    print(json.dumps({"reads": reads, "mixes": mixes, "errors": errors, "rounds": i,
                      "seen": sorted(seen), "final": final,
                      "shas": {k: sorted(v, key=str) for k, v in shas.items()},
                      "examples": [str(e) for e in examples[:5]]}, default=str), flush=True)
"""


def readers_during_reingests(root: Path, tmp_path: Path, built, *, readers: list[int],
                             writer: str = "api", n: int = 20,
                             wait: float | None = None) -> list[dict]:
    """Re-ingest ``tab`` ``n`` times (versions 1..n through one source path) while reader
    processes (one per item of ``readers``, each with that many Store objects) read in
    a loop; their summaries. ``wait``: the writer's $XCAT_WAIT."""
    import hashlib

    _, versions, expected, _ = built
    live = tmp_path / "live.csv"
    with xcat.Store.open(root) as store:  # the copy's tab came from the module's live.csv
        store.ingest_table(_write(live, versions[0]), name="tab", key="name", replace=True)
    vfile = tmp_path / "versions.json"
    vfile.write_text(json.dumps(versions))
    efile = tmp_path / "expected.json"
    efile.write_text(json.dumps({**expected, "cone": CONE, "n_all": 555, "n_half": 278}))
    stopfile = tmp_path / "stop"
    env = {**os.environ, **({"XCAT_WAIT": str(wait)} if wait is not None else {})}
    w = start(script(tmp_path, "writer", WRITER), root, live, vfile, writer, n, env=env)
    rs = [start(script(tmp_path, "reader", READER), root, stopfile, efile, h) for h in readers]
    try:
        for p in [w, *rs]:
            assert p.stdout.readline().strip() == "ready", p.stderr.read()
        w.stdin.write("go\n")
        w.stdin.flush()
        out, err = finish(w, n * LIMIT)
        assert out.split() == [str(k) for k in range(1, n + 1)], err
        stopfile.touch()
        summaries = [json.loads(finish(p)[0].splitlines()[-1]) for p in rs]
    finally:
        for p in [w, *rs]:
            stop(p)
    sha = {k: hashlib.sha256(v.encode()).hexdigest() for k, v in enumerate(versions)}
    for s in summaries:
        print(f"readers during {n} re-ingests: {s['reads']} reads, {s['mixes']} mixes, "
              f"{s['errors']} errors, versions seen {s['seen']}")
        assert s["errors"] == 0 and s["mixes"] == 0, s
        assert s["final"] == [n] * len(s["final"]), s  # every handle sees the last one
        assert all(v == [sha[int(k)]] for k, v in s["shas"].items()), s
        assert len(s["seen"]) >= 2, s  # reads really happened between the writes
    return summaries


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_readers_see_old_or_new_never_a_mix(root, tmp_path, built):
    """A reader process with two Stores (interleaved, each kept open throughout) running
    SQL and cone searches in a loop while a writer re-ingests 20 times."""
    readers_during_reingests(root, tmp_path, built, readers=[2])


SLOW_READER = """
    import os, sys, time
    import xcat

    store = xcat.Store.open(sys.argv[1])
    print("ready", flush=True)
    n = 0
    while not os.path.exists(sys.argv[2]):
        with store.reading() as con:  # a long read: a query, then the results looked at
            con.execute("SELECT count(*) FROM csc").fetchall()
            time.sleep(0.3)
        n += 1
    print(n, flush=True)
"""


def test_overlapping_readers_do_not_starve_a_writer(root, tmp_path, built):
    """Three processes whose read sessions (0.3 s each, back to back) overlap: a writer
    allowed to wait 3 s still gets its turn."""
    stopfile = tmp_path / "stop"
    path = script(tmp_path, "slow_reader", SLOW_READER)
    readers = [start(path, root, stopfile) for _ in range(3)]
    try:
        for p in readers:
            assert p.stdout.readline().strip() == "ready", p.stderr.read()
        r = xcat_run(root, "--wait", "3", "classify", built[3][0], "--class", "AGN")
        stopfile.touch()
        for p in readers:
            assert int(finish(p)[0]) > 0
    finally:
        for p in readers:
            stop(p)
    assert r.returncode == 0, r.stderr


@pytest.mark.slow
def test_readers_while_the_cli_reingests(root, tmp_path, built):
    """The same with each re-ingest a separate ``xcat ingest table`` process."""
    readers_during_reingests(root, tmp_path, built, readers=[2], writer="cli")


def test_long_lived_handle_sees_a_replaced_catalog(root, tmp_path, built):
    """A Store kept open in one process; another process replaces the catalog: the
    open handle's next cone search and SQL both return the new rows."""
    _, versions, expected, _ = built
    nb = Notebook(tmp_path, root)
    try:
        assert nb.count("SELECT count(*) AS n FROM tab") == 555
        got = nb.ok(op="cone", cat="tab", at=CONE, columns=["name", "ver"])
        assert sorted(r["name"] for r in got) == expected["all"]
        new = _write(tmp_path / "other.csv", versions[1])
        out = xcat_ok(root, "ingest", "table", str(new), "--name", "tab", "--key", "name",
                      "--replace")
        assert "tab: replaced 278 rows" in out
        got = nb.ok(op="cone", cat="tab", at=CONE, columns=["name", "ver"])
        assert sorted(r["name"] for r in got) == expected["half"]
        assert {r["ver"] for r in got} == {1}
        assert nb.count("SELECT count(*) AS n FROM tab") == 278
        assert nb.ok(op="sql", q="SELECT DISTINCT ver FROM tab") == [{"ver": 1}]
    finally:
        nb.close()


# ---------------------------------------------- 4. a plain DuckDB connection held open
HOLDER = """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    print(con.execute("SELECT count(*) FROM csc").fetchone()[0], flush=True)
    sys.stdin.readline()
    con.close()
    print("released", flush=True)
    sys.stdin.readline()
"""


def test_plain_duckdb_reader_does_not_block_xcat_reads(root, tmp_path, built):
    holder = start(script(tmp_path, "holder", HOLDER), root / layout.DB_FILE)
    try:
        assert holder.stdout.readline().strip() == "555", holder.stderr.read()
        # reads go on beside it
        assert "555" in xcat_ok(root, "sql", "SELECT count(*) FROM csc")
        assert "2CXO" in xcat_ok(root, "cone", "csc", f"{CONE[0]}", f"{CONE[1]}", CONE[2])
        with xcat.Store.open(root, read_only=True) as store:
            assert len(store.cone("csc", *CONE)) > 10
        # a write waits, then gives up naming the holder, and changes nothing
        before = snapshot(root)
        r = xcat_run(root, "--wait", "1", "classify", built[3][0], "--class", "AGN")
        assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
        errs = error_lines(r.stderr)
        assert len(errs) == 1 and f"PID {holder.pid}" in errs[0], r.stderr
        assert all(ln.startswith("xcat: ") for ln in r.stderr.splitlines()), r.stderr
        assert snapshot(root) == before
        # a write that waits long enough goes through once the holder lets go: released
        # as soon as the writer says it is waiting (no sleeps, no timing assumptions)
        w = subprocess.Popen(xcat_cmd(root, "--wait", "60", "classify", built[3][0],
                                      "--class", "AGN"),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        note = w.stderr.readline()
        assert "busy" in note and "waiting" in note and f"PID {holder.pid}" in note, note
        holder.stdin.write("release\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
        out, err = w.communicate(timeout=LIMIT)
        assert w.returncode == 0 and "event 1:" in out and not error_lines(err), out + err
    finally:
        stop(holder)
