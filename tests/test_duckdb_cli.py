"""Issue 12: the DuckDB CLI users have (PyPI ``duckdb-cli`` 1.5.x) opens an xcat store.

xcat writes the store with the duckdb Python package (2.x) in storage format v1.1.0, which
DuckDB >= 1.1 reads. The ``duckdb`` executable of the ``duckdb-cli`` wheel (pinned to the
1.5 series in the ``test`` extras, installed beside ``sys.executable``) opens the store
read-only and runs every SQL example of README.md on it, with the same rows as xcat
returns: the queries of ``xcat sql "..."`` commands (``-p`` parameters substituted
literally for the CLI, bound for xcat), the ``--sql``/``--counterparts`` queries of other
commands, the ``duckdb`` commands and the ```` ```sql ```` blocks. The examples are read
from the README text at collection, so a changed README is tested. ``--write`` examples
are not run (the CLI here is read-only).

The store: the M101 CSCview export (``../shared/data/csc_m101_xrbid/cscresults_M101.vot``,
555 sources) with the host M101 (conftest ``m101_host_dir``), the CSC astrometric frame,
the XRBID HST F555W source list (``M101_daoclean_f555w_acs_fk5.reg``) cross-matched as
run ``xrbid``, a footprint, a classification, the CARMENES table
(``carmenes_cifuentes2020/cif20.Mother.v01.csv``) and the hand-made spectral fits of
``test_products_fits.FITS_CSV``, and the SYNTHETIC 2RXS detections of the CARMENES M dwarfs
(``tests/mdwarf_2rxs.py``) matched to CARMENES as run ``rxs2_carmenes`` with their parallax
distances: enough that every example returns rows. Examples of ``xcat --store OTHER``
commands run on a store of their own (a simulation, the products demo) and are not run here.

The executable missing is a failure under CI=true and a skip otherwise.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import mdwarf_2rxs
import pytest
from cli_helpers import run, snapshot
from conftest import shared_file
from test_products_fits import FITS_CSV

import xcat
from xcat.store.sql import parse_params, quote_ident, quote_literal

README = Path(__file__).resolve().parents[1] / "README.md"
CLI_SERIES = "1.5"  # pyproject.toml: test extras pin duckdb-cli>=1.5,<1.6
EXE = Path(sys.executable).parent / ("duckdb.exe" if os.name == "nt" else "duckdb")


# --- the README's SQL ------------------------------------------------------------------

def _shell_commands(block: str) -> list[list[str]]:
    """The commands of a bash block as argument lists (heredoc bodies left out)."""
    out, cmd, heredoc = [], "", None
    for line in block.splitlines():
        if heredoc:
            heredoc = None if line.strip() == heredoc else heredoc
            continue
        m = re.search(r"<<-?\s*(['\"]?)([A-Za-z_]\w*)\1\s*$", line)  # python - <<'PY'
        if m and not cmd:
            heredoc = m.group(2)
            continue
        cmd = f"{cmd}\n{line}" if cmd else line
        if cmd.rstrip().endswith("\\"):
            continue
        try:
            toks = shlex.split(cmd.replace("\\\n", " "), comments=True)
        except ValueError:  # a quote still open: the command goes on
            continue
        if toks:
            out.append(toks)
        cmd = ""
    return out


def _xcat_queries(toks: list[str]) -> list[tuple[str, dict[str, Any], bool]]:
    """(query, params, write) of one ``xcat ...`` command's SQL."""
    found = []
    if "--store" in toks[1:2]:  # an example on a store of its own (./sim-store, demo-store)
        return found
    i = 1
    while i < len(toks) and toks[i] == "--wait":
        i += 2
    if i < len(toks) and toks[i] == "sql":
        query, params, write = None, [], False
        rest = iter(toks[i + 1:])
        for t in rest:
            if t in ("-p", "--param"):
                params.append(next(rest))
            elif t in ("--format", "-o", "--output"):
                next(rest)
            elif t == "--write":
                write = True
            elif not t.startswith("-"):
                query = t
        found += [(query, parse_params(params), write)] if query else []
    else:
        found += [(toks[k + 1], {}, False) for k, t in enumerate(toks[:-1])
                  if t in ("--sql", "--counterparts")]
    return [(q.replace("\\$", "$"), p, w) for q, p, w in found]


def readme_examples() -> list[tuple[str, dict[str, Any], list[str] | None]]:
    """Every read-only SQL example in README.md: (query, params, duckdb argv or None)."""
    text = README.read_text()
    out = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for toks in _shell_commands(block):
            if toks[0] == "xcat":
                out += [(q, p, None) for q, p, write in _xcat_queries(toks) if not write]
            elif toks[0] == "duckdb":
                out.append((toks[-1], {}, toks))
    out += [(q, {}, None) for q in re.findall(r"```sql\n(.*?)```", text, re.S)]
    seen, examples = set(), []
    for q, p, argv in out:  # each query once
        q = q.strip().rstrip(";").strip()
        if (q, repr(p), bool(argv)) not in seen:
            seen.add((q, repr(p), bool(argv)))
            examples.append((q, p, argv))
    return examples


def readme_writes() -> list[str]:
    """The ``xcat sql --write`` examples (not run here: the CLI opens the store read-only)."""
    return [q for block in re.findall(r"```bash\n(.*?)```", README.read_text(), re.S)
            for toks in _shell_commands(block) if toks[0] == "xcat"
            for q, _, write in _xcat_queries(toks) if write]


EXAMPLES = readme_examples()


def literal(query: str, params: dict[str, Any]) -> str:
    """``query`` with its ``$NAME`` parameters written as SQL literals (for the CLI)."""
    for name, value in params.items():
        lit = repr(value) if isinstance(value, int | float) else quote_literal(str(value))
        query = re.sub(rf"\${re.escape(name)}\b", lambda _m, lit=lit: lit, query)
    return query


# --- the CLI ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def duckdb_exe() -> Path:
    if not EXE.exists():
        msg = (f"the duckdb CLI (PyPI duckdb-cli {CLI_SERIES}.x, in the test extras) is not "
               f"installed at {EXE}")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg + " (CI=true: it must be)")
        pytest.skip(msg + ": pip install 'duckdb-cli>=1.5,<1.6'")
    return EXE


def cli(exe: Path, *args: str, home: Path, cwd: Path | None = None
        ) -> subprocess.CompletedProcess:
    """Run the CLI: no ~/.duckdbrc, no extension downloads, a scratch HOME."""
    env = {**os.environ, "HOME": str(home)}
    return subprocess.run([str(exe), "-init", os.devnull, "-cmd",
                           "SET autoinstall_known_extensions = false", *args], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=120, check=False)


def cli_rows(exe: Path, db: Path, query: str, home: Path,
             argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Rows of ``query`` from the CLI on ``db`` opened read-only (``-json``).

    ``argv``: a README ``duckdb`` command, run as written (as JSON) beside the store,
    which is named ``xcat-store`` as in the README.
    """
    assert db.parent.name == "xcat-store"
    args = ["-json", *argv[1:]] if argv else ["-readonly", "-json", str(db), "-c", query]
    r = cli(exe, *args, home=home, cwd=db.parents[1])
    assert r.returncode == 0 and not r.stderr.strip(), \
        f"duckdb CLI failed on a README example:\n{query}\n{r.stderr}"
    return json.loads(r.stdout) if r.stdout.strip() else []


# --- comparing rows --------------------------------------------------------------------

def norm(value: Any) -> Any:
    """A value as the CLI's JSON gives it (times and decimals as text)."""
    if isinstance(value, dict):
        return {k: norm(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [norm(v) for v in value]
    if isinstance(value, datetime | date | time | Decimal):
        return str(value)
    return value


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12,
                                                                  abs_tol=0.0)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


LIMIT = re.compile(r"\s+LIMIT\s+\d+\s*$", re.I)


def key(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, default=str)


# --- the store -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def root(tmp_path_factory, m101_host_dir) -> Path:
    """The M101 store with what every README example needs (module docstring)."""
    base = tmp_path_factory.mktemp("duckcli")
    root = base / "xcat-store"  # the README's name: its duckdb command runs as written
    shutil.copytree(m101_host_dir, root)
    fits = base / "carmenes_mdwarf_rass_properties.csv"
    fits.write_text(FITS_CSV)
    data = shared_file("csc_m101_xrbid/cscresults_M101.vot").parents[1]
    rxs2 = base / "synthetic_2rxs_mdwarfs.parquet"
    mdwarf_2rxs.write(data / "carmenes_cifuentes2020/cif20.Mother.v01.csv", rxs2)
    for args in (
        ["astrometry", "csc", "--sigma", "0.4875arcsec", "--reference", "HST/ACS F555W"],
        ["ingest", "regions", str(data / "csc_m101_xrbid/M101_daoclean_f555w_acs_fk5.reg"),
         "--name", "hst_f555w"],
        ["xmatch", "csc", "hst_f555w", "--radius-column", "pos_err_r95", "--name", "xrbid",
         "--density", "1.28/arcsec2", "--format", "csv", "-o", str(base / "pairs.csv")],
        ["flags", "footprint", "box", "--polygon",
         "210.7 54.3, 210.9 54.3, 210.9 54.4, 210.7 54.4"],
        ["classify", "2CXO J140412.7+541425", "--class", "XRB", "--alias", "M101X001"],
        ["ingest", "carmenes", str(shared_file("carmenes_cifuentes2020/cif20.Mother.v01.csv"))],
        ["ingest", "spectral-fit", str(fits), "--key", "Karmn", "--catalog", "carmenes"],
        ["ingest", "2rxs", str(rxs2)],
        ["xmatch", "rxs2", "carmenes", "--radius", "30arcsec", "--name", "rxs2_carmenes"],
        ["distance", "from-parallax", "--catalog", "carmenes", "--run", "rxs2_carmenes",
         "--parallax", "Plx", "--parallax-err", "ePlx"],
    ):
        run(root, *args)
    return root


# --- tests -----------------------------------------------------------------------------

def test_readme_has_sql_examples():
    # the extraction itself: a README edit that hides its examples from this test fails
    queries = [q for q, _, _ in EXAMPLES]
    assert len(queries) >= 10, queries
    assert any("$" in q for q in queries)                       # a -p example
    commands = [argv for _, _, argv in EXAMPLES if argv]
    assert commands and all("-readonly" in c for c in commands), commands  # duckdb commands
    assert any("xmatch_zones(" in q for q in queries)           # the ```sql block
    assert readme_writes()  # --write examples exist and are left out on purpose


def test_cli_is_the_pinned_series_and_older_than_the_library(duckdb_exe, tmp_path):
    import duckdb

    r = cli(duckdb_exe, "--version", home=tmp_path)
    assert r.returncode == 0, r.stderr
    assert re.match(rf"v{re.escape(CLI_SERIES)}\.\d+ ", r.stdout), r.stdout
    # the point of the test: a CLI of an older series than the library that wrote the store
    cli_version = tuple(int(x) for x in r.stdout[1:].split()[0].split(".")[:2])
    lib_version = tuple(int(x) for x in duckdb.__version__.split(".")[:2])
    assert cli_version < lib_version, (r.stdout, duckdb.__version__)


def test_store_records_a_storage_version_the_cli_reads(duckdb_exe, root, tmp_path):
    db = root / "xcat.duckdb"
    rows = cli_rows(duckdb_exe, db, "SELECT key, value FROM store_info ORDER BY key", tmp_path)
    info = {r["key"]: r["value"] for r in rows}
    tags = cli_rows(duckdb_exe, db, "SELECT tags FROM duckdb_databases() "
                    "WHERE database_name = current_database()", tmp_path)
    # v1.1.0 storage: DuckDB tags such a file 'v1.0.0+' (a 2.0-format file: 'v2.0.0+')
    assert info["storage_version"] == tags[0]["tags"]["storage_version"] == "v1.0.0+", info
    assert info["root"] == str(db.resolve())


def test_every_view_and_table_reads_in_the_cli(duckdb_exe, root, tmp_path):
    db = root / "xcat.duckdb"
    names = [r["name"] for r in cli_rows(
        duckdb_exe, db, "SELECT view_name AS name FROM duckdb_views() WHERE NOT internal "
        "AND database_name = current_database() UNION ALL SELECT table_name FROM "
        "duckdb_tables() WHERE database_name = current_database() ORDER BY 1", tmp_path)]
    assert {"csc", "xray_sources", "luminosities", "best_counterparts", "source_flags",
            "classification_current", "catalogs", "xmatch_pairs"} <= set(names), names
    query = " UNION ALL ".join(f"SELECT {quote_literal(n)} AS name, count(*) AS n "
                               f"FROM {quote_ident(n)}" for n in names)
    got = {r["name"]: r["n"] for r in cli_rows(duckdb_exe, db, query, tmp_path)}
    with xcat.Store.open(root, read_only=True) as store:
        want = {r["name"]: r["n"] for r in store.sql(query, output="arrow").to_pylist()}
    assert got == want
    assert want["xray_sources"] == want["luminosities"] == 555 + want["rxs2"]


@pytest.mark.parametrize(("query", "params", "argv"), EXAMPLES,
                         ids=[re.sub(r"\s+", " ", q)[:60] for q, _, _ in EXAMPLES])
def test_readme_sql_in_the_duckdb_cli(duckdb_exe, root, tmp_path, query, params, argv):
    db = root / "xcat.duckdb"
    before = snapshot(root)
    got = cli_rows(duckdb_exe, db, literal(query, params), tmp_path, argv)
    with xcat.Store.open(root, read_only=True) as store:
        want = [norm(r) for r in store.sql(query, params, output="arrow").to_pylist()]
    assert want, f"README example returns no rows on this store; give the fixture the " \
                 f"data it needs:\n{query}"
    assert len(got) == len(want), (len(got), len(want))
    assert [list(r) for r in got[:1]] == [list(r) for r in want[:1]]  # columns, in order
    # same rows, compared as a multiset; under LIMIT the engines may pick different rows
    # among ties at the cut, so there the rows are compared without the LIMIT and the
    # CLI's limited rows must be among them
    limit = LIMIT.search(query)
    if limit:
        query = query[:limit.start()]
        got_all = cli_rows(duckdb_exe, db, literal(query, params), tmp_path, argv)
        with xcat.Store.open(root, read_only=True) as store:
            want = [norm(r) for r in store.sql(query, params, output="arrow").to_pylist()]
        full = {key(r) for r in got_all}
        assert all(key(r) in full for r in got)
        got = got_all
    assert len(got) == len(want)
    for g, w in zip(sorted(got, key=key), sorted(want, key=key), strict=True):
        assert same(g, w), (g, w)
    assert snapshot(root) == before  # read-only: not a byte of the store changed
