"""TAP service benchmark: ``xcat serve`` on a 1e6-row catalog, through pyvo, on loopback.

Store: the real M101 CSC excerpt (555 sources, host M101 at 6.4 Mpc) and a seeded
synthetic 1e6-row catalog ``field`` uniform in a 10 x 10 deg box around (150, +2) (about
10 rows per 60" cone). The server is a real ``xcat serve`` process on a free 127.0.0.1
port with a token file (one person).

1. Sync cone, r = 60", random centres in the box, one client after a warm-up: pyvo
   ``TAPService.search`` (what a user times), the same request with plain ``requests``
   (the server plus HTTP, without pyvo/astropy parsing), and the peers in this process:
   ``Store.cone`` (the CLI's path) and the same cone as DuckDB SQL over the catalog's
   Parquet files (``Store.sql``, a declination band plus the exact distance).
2. Load: 16 client threads x 100 mixed queries (70% cones on ``field``, 20% a join of
   ``csc`` with ``csc_detections`` in a 3' cone, 10% the saved sample
   ``samples.xrb_candidates`` for M101), while a classification is recorded through the
   dashboard every 0.5 s; every recorded class is then read back through TAP.

    python bench/tap_bench.py               # ~3 min on 2 cores
    python bench/tap_bench.py --quick       # 1e5 rows, fewer queries
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("XCAT_SHARED", HERE.parent.parent / "shared")) / "data"
CONE = ("SELECT id, ra, dec, flux FROM field WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), "
        "CIRCLE('ICRS', {ra:.6f}, {dec:.6f}, {r:.8f}))")
JOIN = ("SELECT c.name, d.livetime, d.theta_mean FROM csc AS c JOIN csc_detections AS d "
        "ON c.name = d.name WHERE 1 = CONTAINS(POINT('ICRS', c.ra, c.dec), "
        "CIRCLE('ICRS', {ra:.6f}, {dec:.6f}, 0.05))")
SAMPLE = "SELECT name, log_lx FROM samples.xrb_candidates WHERE host = 'M101'"
M101 = (210.802368, 54.349023)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1e3, q))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build(work: Path, rows: int, seed: int) -> Path:
    import xcat

    root = work / "store"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    ra = rng.uniform(145, 155, rows)
    dec = np.degrees(np.arcsin(rng.uniform(np.sin(np.radians(-3)), np.sin(np.radians(7)),
                                           rows)))
    pq.write_table(pa.table({"id": np.arange(rows), "ra": ra, "dec": dec,
                             "flux": rng.lognormal(-32, 1, rows)}), work / "field.parquet")
    with xcat.Store.open(root, create=True) as s:
        s.ingest_csc(SHARED / "csc_m101_xrbid" / "cscresults_M101.vot")
        s.ingest_table(work / "field.parquet", name="field", key="id")
    subprocess.run([sys.executable, "-m", "xcat", "--store", str(root), "-q", "host", "add",
                    "M101", "--ra", str(M101[0]), "--dec", str(M101[1]), "--distance",
                    "6.4Mpc", "--radius", "15arcmin"], check=True)
    return root


def serve(root: Path, work: Path) -> tuple[subprocess.Popen, str, str]:
    tokens = work / "tokens.txt"
    tokens.write_text("bench: s3cret-token-for-the-benchmark\n")
    tokens.chmod(0o600)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "xcat", "--store", str(root), "serve",
                             "--port", str(port), "--token-file", str(tokens),
                             "--max-rows", "100000"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    import requests

    base = f"http://127.0.0.1:{port}"
    for _ in range(600):  # bounded: at most ~30 s
        try:
            if requests.get(f"{base}/tap/availability", timeout=1).status_code == 200:
                return proc, base, "s3cret-token-for-the-benchmark"
        except requests.RequestException:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("the server did not start: " + proc.stderr.read().decode()[-2000:])


def centres(rng: np.random.Generator, n: int) -> list[tuple[float, float]]:
    return list(zip(rng.uniform(145.5, 154.5, n), rng.uniform(-2.5, 6.5, n), strict=True))


def latency(base: str, root: Path, n: int, seed: int) -> dict[str, Any]:
    import pyvo
    import requests

    import xcat

    r = 60 / 3600
    svc = pyvo.dal.TAPService(f"{base}/tap")
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for ra, dec in centres(rng, 20):  # warm-up: page cache, lease, partition index
            svc.search(CONE.format(ra=ra, dec=dec, r=r))
        times, rows = [], []
        for ra, dec in centres(rng, n):
            t0 = time.perf_counter()
            res = svc.search(CONE.format(ra=ra, dec=dec, r=r))
            times.append(time.perf_counter() - t0)
            rows.append(len(res))
    out["pyvo"] = {"p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99),
                   "mean_rows": float(np.mean(rows))}
    session = requests.Session()
    times = []
    for ra, dec in centres(rng, n):
        t0 = time.perf_counter()
        resp = session.post(f"{base}/tap/sync", data={
            "REQUEST": "doQuery", "LANG": "ADQL", "QUERY": CONE.format(ra=ra, dec=dec, r=r)})
        times.append(time.perf_counter() - t0)
        assert resp.status_code == 200
    out["http"] = {"p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99)}
    with xcat.Store.open(root, read_only=True) as store:
        for ra, dec in centres(rng, 10):
            store.cone("field", ra, dec, r, columns=["id", "ra", "dec", "flux"],
                       output="arrow")
        times = []
        for ra, dec in centres(rng, n):
            t0 = time.perf_counter()
            store.cone("field", ra, dec, r, columns=["id", "ra", "dec", "flux"],
                       output="arrow")
            times.append(time.perf_counter() - t0)
        out["store_cone"] = {"p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99)}
        sql = ("SELECT id, ra, dec, flux FROM field WHERE dec BETWEEN $d - $r AND $d + $r "
               "AND degrees(2 * asin(sqrt(pow(sin(radians(dec - $d) / 2), 2) + cos(radians(dec))"
               " * cos(radians($d)) * pow(sin(radians(ra - $a) / 2), 2)))) <= $r")
        times = []
        for ra, dec in centres(rng, max(10, n // 10)):
            t0 = time.perf_counter()
            store.sql(sql, {"a": ra, "d": dec, "r": r}, output="arrow")
            times.append(time.perf_counter() - t0)
        out["duckdb_sql"] = {"p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99)}
    return out


def load(base: str, token: str, clients: int, per_client: int, seed: int) -> dict[str, Any]:
    import pyvo
    import requests

    errors: list[str] = []
    times: dict[str, list[float]] = {"cone": [], "join": [], "sample": []}
    lock = threading.Lock()
    stop = threading.Event()
    written: list[str] = []

    def client(i: int) -> None:
        rng = np.random.default_rng(seed + i)
        svc = pyvo.dal.TAPService(f"{base}/tap")
        for _ in range(per_client):
            u = rng.uniform()
            if u < 0.7:
                kind, (ra, dec) = "cone", centres(rng, 1)[0]
                q = CONE.format(ra=ra, dec=dec, r=60 / 3600)
            elif u < 0.9:
                kind = "join"
                q = JOIN.format(ra=M101[0] + rng.normal(0, 0.05), dec=M101[1] + rng.normal(0, 0.05))
            else:
                kind, q = "sample", SAMPLE
            t0 = time.perf_counter()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    svc.search(q)
            except Exception as exc:
                with lock:
                    errors.append(f"{kind}: {exc}"[:300])
                continue
            with lock:
                times[kind].append(time.perf_counter() - t0)

    def writer() -> None:
        s = requests.Session()
        key = "2CXO J140312.5+542056"
        classes = ["XRB", "AGN", "Star", "XRB"]
        i = 0
        while not stop.is_set():
            cls = classes[i % len(classes)]
            note = f"bench write {i}"
            r = s.post(f"{base}/classify/csc/{key}", data={"token": token, "class": cls,
                                                           "note": note},
                       allow_redirects=False, timeout=120)
            if r.status_code != 303:
                errors.append(f"classify: HTTP {r.status_code}")
            else:
                written.append(note)
            i += 1
            stop.wait(0.5)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    w = threading.Thread(target=writer)
    t0 = time.perf_counter()
    w.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    w.join()
    wall = time.perf_counter() - t0
    svc = pyvo.dal.TAPService(f"{base}/tap")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        notes = set(svc.search("SELECT note FROM classification_events WHERE author = 'bench'"
                               ).to_table()["note"])
    lost = [n for n in written if n not in notes]
    n = sum(len(v) for v in times.values())
    return {"clients": clients, "queries": clients * per_client, "ok": n,
            "errors": len(errors), "error_examples": errors[:5], "wall_s": wall,
            "queries_per_s": n / wall, "writes": len(written), "writes_lost": len(lost),
            **{f"{k}_p50_ms": percentile(v, 50) for k, v in times.items() if v},
            **{f"{k}_p99_ms": percentile(v, 99) for k, v in times.items() if v}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=300, help="sequential cones per client kind")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--per-client", type=int, default=100)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", type=Path, default=HERE / "out" / "tap")
    args = ap.parse_args(argv)
    if args.quick:
        args.rows, args.queries, args.per_client = 100_000, 50, 10
    work = args.out / "scratch"
    t0 = time.perf_counter()
    root = build(work, args.rows, args.seed)
    print(f"store built in {time.perf_counter() - t0:.1f} s ({args.rows:,} rows)", flush=True)
    proc, base, token = serve(root, work)
    try:
        res = {"rows": args.rows, "machine": f"{os.cpu_count()} cores",
               "latency": latency(base, root, args.queries, args.seed),
               "load": load(base, token, args.clients, args.per_client, args.seed)}
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    lat, ld = res["latency"], res["load"]
    rows = [
        ("TAP sync cone 60\" via pyvo, p50 / p99", f"{lat['pyvo']['p50_ms']:.1f} / "
         f"{lat['pyvo']['p99_ms']:.1f} ms", "p50 <= 20, p99 <= 100",
         lat["pyvo"]["p50_ms"] <= 20 and lat["pyvo"]["p99_ms"] <= 100),
        ("  same request, plain HTTP (no pyvo parsing)", f"{lat['http']['p50_ms']:.1f} / "
         f"{lat['http']['p99_ms']:.1f} ms", "", None),
        ("  Store.cone in process (the CLI's path)", f"{lat['store_cone']['p50_ms']:.2f} / "
         f"{lat['store_cone']['p99_ms']:.2f} ms; TAP/pyvo = "
         f"{lat['pyvo']['p50_ms'] / lat['store_cone']['p50_ms']:.1f}x", "", None),
        ("  DuckDB SQL cone over the Parquet files", f"{lat['duckdb_sql']['p50_ms']:.1f} / "
         f"{lat['duckdb_sql']['p99_ms']:.1f} ms; = "
         f"{lat['duckdb_sql']['p50_ms'] / lat['pyvo']['p50_ms']:.1f}x TAP/pyvo", "", None),
        (f"{ld['clients']} clients x {ld['queries'] // ld['clients']} mixed queries",
         f"{ld['ok']}/{ld['queries']} ok, {ld['errors']} errors, {ld['wall_s']:.1f} s, "
         f"{ld['queries_per_s']:.0f} queries/s", "0 errors", ld["errors"] == 0),
        ("  p50 / p99 per kind", "; ".join(
            f"{k} {ld.get(k + '_p50_ms', float('nan')):.0f} / "
            f"{ld.get(k + '_p99_ms', float('nan')):.0f} ms" for k in ("cone", "join", "sample")),
         "", None),
        ("classifications recorded through the dashboard meanwhile",
         f"{ld['writes']} written, {ld['writes_lost']} lost", "0 lost",
         ld["writes_lost"] == 0 and ld["writes"] > 0),
    ]
    print("\n| measure | result | target | met |\n|---|---|---|---|")
    for name, value, target, met in rows:
        print(f"| {name} | {value} | {target} | "
              f"{'' if met is None else ('yes' if met else '**no**')} |")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "tap_bench.json").write_text(json.dumps(res, indent=1))
    print(f"\nresults: {args.out / 'tap_bench.json'}")
    return 0 if ld["errors"] == 0 and ld["writes_lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
