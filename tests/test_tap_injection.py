"""Hostile ADQL against the TAP service: file functions, ATTACH, PRAGMA, SET, COPY,
several statements, quoting tricks, huge TOP. Every one is answered with a VOTable error
document (0 crashes), and nothing escapes: no file read or written, the store
byte-identical, the sandbox's settings locked.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pytest

from tests.cli_helpers import snapshot
from tests.test_tap_service import CSC_ROWS, tap_store, tap_url  # noqa: F401  (fixtures)
from xcat.errors import XcatError
from xcat.server.sandbox import Sandbox

httpx = pytest.importorskip("httpx")

#: ``{out}`` is a folder that must stay empty, ``{store}`` the served store.
HOSTILE = [
    # file functions, as tables, scalars, subqueries, CTEs, unions
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_csv_auto('/etc/passwd')",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_blob('/etc/passwd')",
    "SELECT * FROM read_json('/etc/passwd')",
    "SELECT * FROM read_json_auto('/etc/passwd')",
    "SELECT * FROM read_parquet('{store}/catalogs/*/dataset/*/*/*/*.parquet')",
    "SELECT * FROM parquet_scan('{store}/catalogs/*/dataset/*/*/*/*.parquet')",
    "SELECT * FROM parquet_metadata('{store}/catalogs/x.parquet')",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM \"/etc/passwd\"",
    "SELECT * FROM '{store}/xcat.duckdb'",
    "FROM read_csv('/etc/passwd')",
    "SELECT * FROM (FROM '/etc/passwd')",
    "SELECT * FROM csc, read_csv('/etc/passwd')",
    "SELECT * FROM csc JOIN read_csv('/etc/passwd') AS p ON 1 = 1",
    "SELECT * FROM csc WHERE name IN (SELECT column0 FROM read_csv('/etc/passwd'))",
    "WITH t AS (SELECT * FROM read_csv('/etc/passwd')) SELECT * FROM t",
    "SELECT name FROM csc UNION SELECT column0 FROM read_csv('/etc/passwd')",
    "SELECT (SELECT content FROM read_text('/etc/passwd')) AS c FROM csc",
    "SELECT * FROM csc WHERE ra > (SELECT count(*) FROM glob('/etc/*'))",
    "SELECT * FROM csc WHERE CONTAINS(POINT(ra, dec), CIRCLE(read_csv('/etc/passwd'), 1, 1))"
    " = 1",
    # attaching, settings, pragmas, extensions
    "ATTACH '{out}/x.db' AS x",
    "ATTACH ':memory:' AS m",
    "DETACH xcat",
    "USE memory",
    "PRAGMA database_list",
    "PRAGMA enable_profiling",
    "SET enable_external_access = true",
    "SET lock_configuration = false",
    "RESET lock_configuration",
    "SET allowed_directories = ['/']",
    "INSTALL httpfs",
    "LOAD httpfs",
    "CALL pragma_version()",
    "SELECT * FROM pragma_database_list()",
    "SELECT * FROM duckdb_settings()",
    "SELECT * FROM duckdb_databases()",
    "SELECT * FROM duckdb_extensions()",
    "SELECT sql FROM duckdb_views()",
    "SELECT current_setting('enable_external_access') AS s FROM csc",
    "SELECT getenv('HOME') AS h FROM csc",
    "SELECT getvariable('x') AS v FROM csc",
    # writing files and the store
    "COPY csc TO '{out}/out.csv'",
    "COPY (SELECT * FROM csc) TO '{out}/out.parquet' (FORMAT parquet)",
    "COPY csc TO '{store}/catalogs/evil.csv'",
    "EXPORT DATABASE '{out}/exp'",
    "DROP VIEW csc",
    "DELETE FROM catalogs",
    "INSERT INTO classification_events VALUES (1)",
    "UPDATE catalogs SET name = 'x'",
    "CREATE TABLE t AS SELECT 1",
    "CREATE MACRO m() AS 1",
    "ALTER TABLE catalogs RENAME TO c",
    "SELECT * INTO newtable FROM csc",
    "VACUUM",
    "CHECKPOINT",
    "BEGIN TRANSACTION",
    "DESCRIBE csc",
    "SUMMARIZE csc",
    "SHOW TABLES",
    # several statements and quoting tricks
    "SELECT 1 AS one FROM csc; DROP VIEW csc",
    "SELECT * FROM csc; COPY csc TO '{out}/x.csv'",
    "SELECT * FROM csc WHERE name = ''; DROP TABLE catalogs; --'",
    "SELECT * FROM csc /* c */ ; PRAGMA version",
    "SELECT * FROM csc -- c\n; SET threads = 1",
    "SELECT * FROM \"csc\"; SELECT 1",
    "SELECT * FROM csc WHERE name = 'x' ; ATTACH '/tmp/y.db'",
    "SELECT * FROM csc WHERE name = 'x",
    "SELECT * FROM csc\x00; DROP TABLE catalogs",
    "SELECT * FROM csc WHERE name = \u2019x\u2019; ATTACH \u2019/tmp/a\u2019",
    "SELECT * FROM \"csc\"\"; ATTACH '/tmp/a'\"",
    # internals, other catalogs and schemas
    "SELECT * FROM information_schema.tables",
    "SELECT * FROM pg_catalog.pg_tables",
    "SELECT * FROM xcat.main.csc",
    "SELECT * FROM memory.main.t",
    "SELECT * FROM stg_hats__csc",
    "SELECT * FROM schema_migrations",
    "SELECT * FROM xmatch_pairs_legacy",
    "SELECT * FROM TAP_SCHEMA.nosuch",
    "SELECT * FROM TAP_UPLOAD.x",
    "SELECT * FROM query_table('csc')",
    "SELECT * FROM query('SELECT 1')",
    "SELECT list_transform([1], x -> x) AS l FROM csc",
    "SELECT * FROM csc WHERE name = $1",
    "SELECT * FROM csc WHERE name = ?",
    # malformed TOP and functions
    "SELECT TOP -1 * FROM csc",
    "SELECT TOP 1e30 * FROM csc",
    "SELECT TOP 'x' * FROM csc",
    "SELECT nosuchfunction(ra) AS x FROM csc",
    "SELECT POINT(ra, dec) AS p FROM csc",
    "",
    "   ",
]
#: Strange but harmless: answered with rows, and still nothing escapes.
HARMLESS = [
    "SELECT name FROM csc AS \"'; DROP TABLE catalogs; --\"",
    "SELECT name FROM csc WHERE name = 'x''; ATTACH ''/tmp/y.db'",
    "SELECT 'read_csv(''/etc/passwd'')' AS s FROM csc",
    "SELECT TOP 99999999999999999999999999 name FROM csc",
]


#: One client for every request (a new httpx client costs tens of ms: its SSL context).
CLIENT = httpx.Client(timeout=60)


def _post(url: str, query: str, **extra: str) -> httpx.Response:
    return CLIENT.post(f"{url}/sync", data={"REQUEST": "doQuery", "LANG": "ADQL",
                                           "QUERY": query, **extra}, timeout=60)


def _status(body: bytes) -> tuple[str, str]:
    from astropy.io.votable import parse

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vot = parse(io.BytesIO(body))
    infos = [i for r in vot.resources for i in r.infos if i.name == "QUERY_STATUS"]
    assert infos, body[:500]
    return infos[-1].value, infos[-1].content or ""


def test_hostile_queries_are_refused_without_escape(tap_url, tap_store, tmp_path):  # noqa: F811
    out = tmp_path / "out"
    out.mkdir()
    before = snapshot(tap_store)
    assert len(HOSTILE) >= 50
    crashes, escapes, accepted = [], [], []
    for template in HOSTILE:
        query = template.replace("{out}", str(out)).replace("{store}", str(tap_store))
        r = _post(tap_url, query)
        if r.status_code >= 500:
            crashes.append((query, r.status_code))
            continue
        state, message = _status(r.content)
        if r.status_code != 400 or state != "ERROR" or not message:
            accepted.append((query, r.status_code, state))
        if b"root:" in r.content or any(out.iterdir()):
            escapes.append(query)
    for query in HARMLESS:
        r = _post(tap_url, query)
        assert r.status_code == 200, (query, r.text[:300])
        assert _status(r.content)[0] == "OK"
        assert b"root:" not in r.content
    assert crashes == []
    assert escapes == []
    assert accepted == []
    assert list(out.iterdir()) == []
    assert snapshot(tap_store) == before
    assert sorted(p.name for p in tap_store.iterdir()) == sorted(before_names(before))
    # the server still answers
    r = _post(tap_url, "SELECT COUNT(*) AS n FROM csc", RESPONSEFORMAT="csv")
    assert r.text.split() == ["n", str(CSC_ROWS)]


def before_names(snap: dict[str, str]) -> set[str]:
    return {Path(k).parts[0] for k in snap}


@pytest.mark.parametrize("params", [
    {"LANG": "SQL"}, {"REQUEST": "getCapabilities"}, {"RESPONSEFORMAT": "text/html"},
    {"MAXREC": "-1"}, {"MAXREC": "ten"}, {"QUERY": ""},
])
def test_bad_parameters_are_error_documents(tap_url, params):  # noqa: F811
    data = {"REQUEST": "doQuery", "LANG": "ADQL", "QUERY": "SELECT TOP 1 name FROM csc",
            **params}
    r = CLIENT.post(f"{tap_url}/sync", data=data)
    assert r.status_code == 400
    assert _status(r.content)[0] == "ERROR"


def test_sandbox_itself_refuses_files_settings_and_attach(tap_store, tmp_path):  # noqa: F811
    """Second wall: raw DuckDB SQL that skipped the ADQL checks is still held."""
    box = Sandbox(tap_store, timeout_s=30)
    before = snapshot(tap_store)
    assert box.run("SELECT current_setting('enable_external_access') AS v", cap=1)[0] \
        .column("v").to_pylist() == [False]
    for sql in ["SELECT * FROM read_csv('/etc/passwd')",
                f"COPY (SELECT 1) TO '{tmp_path}/x.csv'",
                f"ATTACH '{tmp_path}/x.db' AS x",
                "SET enable_external_access = true",
                "SET allowed_directories = ['/']",
                "SET lock_configuration = false",
                "INSTALL httpfs",
                "LOAD httpfs",
                "CREATE TABLE xcat.main.t AS SELECT 1"]:
        with pytest.raises(XcatError):
            box.run(sql, cap=1)
    assert list(tmp_path.iterdir()) == []
    assert snapshot(tap_store) == before
    # the views, which read Parquet files, still work once locked down
    assert box.run('SELECT count(*) AS n FROM "csc"', cap=1)[0].column("n").to_pylist() == [
        CSC_ROWS]


def test_time_limit_interrupts_a_long_query(tap_store):  # noqa: F811
    box = Sandbox(tap_store, timeout_s=0.3)
    with pytest.raises(XcatError, match="time limit"):
        box.run("SELECT count(*) FROM csc a, csc b, csc c, csc d, csc e", cap=1)
    # the next query on the same sandbox runs normally
    assert box.run('SELECT count(*) AS n FROM "csc"', cap=1)[0].num_rows == 1
