"""Cross-match on a Dask cluster (issue 14): xcat's single-machine engine vs
``--engine dask`` on a local cluster vs LSDB's own crossmatch, the same catalogs, the
same run.

    python bench/dask_bench.py                       # 1e7 x 1e7 within 3", 2 local workers
    python bench/dask_bench.py --rows 1000000        # quicker
    python bench/dask_bench.py --quick               # 1e5 x 1e5 smoke test

Data: a seeded uniform left catalog and a right catalog holding a counterpart (moved by
~0.5") for every second left row plus unrelated rows (``xmatch_peers.make_data``), both
ingested into one xcat store (HATS partitions and margin caches). LSDB reads those same
xcat catalogs through ``Store.lsdb`` (the margin attached). Every tool's pair set is
checked against the single-machine one.

Reported: wall time (best of ``--repeats``), pairs, peak RSS of each worker process (a
fresh cluster per tool), the number of Dask tasks, and where the Dask run's time goes:
the sum of task compute times (from the scheduler's task stream) over the workers, and
the rest (scheduling, transfers, the client's reading of the left side and scoring).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from xmatch_peers import fresh, log, make_data


def peak_rss_gib() -> float:
    """Peak resident memory of this process (GiB: the kernel's high-water mark)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def pair_set(left_ids: np.ndarray, right_ids: np.ndarray) -> np.ndarray:
    """Pairs as one sorted int64 code each (ids < 2**31)."""
    return np.sort(left_ids.astype(np.int64) << 31 | right_ids.astype(np.int64))


def xcat_pairs(pairs: Any) -> np.ndarray:
    return pair_set(pairs.column("left_key").cast("int64").to_numpy(),
                    pairs.column("right_key").cast("int64").to_numpy())


def cluster(workers: int) -> Any:
    import distributed

    c = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                 host="127.0.0.1", dashboard_address=":0",
                                 memory_limit=None)
    return c, distributed.Client(c)


def dask_runs(store: Any, args: argparse.Namespace, ref: np.ndarray) -> dict[str, Any]:
    import distributed

    cl, client = cluster(args.workers)
    try:
        # warm: imports on the workers, the first task's code shipped
        store.xmatch("tiny", "right", radius=args.radius, density=False, record=False,
                     engine="dask", client=client)
        times, streams = [], []
        for _ in range(args.repeats):
            gc.collect()
            with distributed.get_task_stream(client=client) as ts:
                t0 = time.perf_counter()
                res = store.xmatch("left", "right", radius=args.radius, density=False,
                                   record=False, engine="dask", client=client)
                times.append(time.perf_counter() - t0)
            streams.append(ts.data)
        best = int(np.argmin(times))
        tasks = [t for t in streams[best] if str(t["key"]).startswith("xcat-unit")]
        compute = sum(sum(s["stop"] - s["start"] for s in t["startstops"]
                          if s["action"] == "compute") for t in tasks)
        rss = client.run(peak_rss_gib)
        same = bool(np.array_equal(xcat_pairs(res.pairs), ref))
    finally:
        client.close()
        cl.close()
    wall = times[best]
    return {"runs": times, "best": wall, "pairs": res.pairs.num_rows, "same_pairs": same,
            "tasks": len(tasks), "task_compute_s": compute,
            "compute_per_worker_s": compute / args.workers,
            "rest_s": wall - compute / args.workers,
            "per_task_ms": 1e3 * (wall - compute / args.workers) / max(len(tasks), 1),
            "worker_peak_rss_gib": sorted(rss.values())}


def _import_lsdb() -> None:
    import lsdb  # noqa: F401


def lsdb_run(store: Any, args: argparse.Namespace, ref: np.ndarray, k: int) -> dict[str, Any]:
    cl, client = cluster(args.workers)
    try:
        lc, rc = store.lsdb("left"), store.lsdb("right")
        client.run(_import_lsdb)  # as xcat's warm-up match imports xcat on the workers
        gc.collect()
        t0 = time.perf_counter()
        df = lc.crossmatch(rc, radius_arcsec=args.radius, n_neighbors=k,
                           suffixes=("_l", "_r")).compute(progress_bar=False)
        wall = time.perf_counter() - t0
        rss = client.run(peak_rss_gib)
    finally:
        client.close()
        cl.close()
    got = pair_set(df["id_l"].to_numpy(), df["id_r"].to_numpy())
    return {"best": wall, "pairs": len(df), "same_pairs": bool(np.array_equal(got, ref)),
            "worker_peak_rss_gib": sorted(rss.values())}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=float, default=1e7, help="rows of each catalog")
    p.add_argument("--radius", type=float, default=3.0, help="arcsec")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--seed", type=int, default=5)
    p.add_argument("--out", default="bench/out/dask")
    p.add_argument("--quick", action="store_true", help="1e5 x 1e5")
    p.add_argument("--skip-lsdb", action="store_true")
    args = p.parse_args(argv)
    n = int(1e5 if args.quick else args.rows)
    out = Path(args.out)
    work = fresh(out / "scratch")
    import pyarrow.parquet as pq

    import xcat

    log(f"data: {n:,} x {n:,} within {args.radius}\", {args.workers} local workers, "
        f"load {[round(x, 2) for x in os.getloadavg()]}")
    left, rights, _ = make_data(work, n, [n], args.seed, 0.5)
    store = xcat.Store.open(work / "store", create=True)
    t0 = time.perf_counter()
    store.ingest_table(left, name="left", key="id")
    store.ingest_table(rights[n], name="right", key="id")
    pq.write_table(pq.read_table(left).slice(0, 1000), work / "tiny.parquet")
    store.ingest_table(work / "tiny.parquet", name="tiny", key="id")
    os.sync()  # written catalogs to disk before anything is timed
    log(f"  ingest both: {time.perf_counter() - t0:.1f} s")
    res: dict[str, Any] = {"rows": n, "radius_arcsec": args.radius, "workers": args.workers,
                           "cpus": os.cpu_count(), "load_start": os.getloadavg()}
    store.xmatch("tiny", "right", radius=args.radius, density=False, record=False)
    times = []
    for _ in range(args.repeats):
        gc.collect()
        t0 = time.perf_counter()
        local = store.xmatch("left", "right", radius=args.radius, density=False,
                             record=False)
        times.append(time.perf_counter() - t0)
    ref = xcat_pairs(local.pairs)
    k = int(np.max(local.pairs.column("n_candidates").to_numpy(), initial=1))
    res["local"] = {"runs": times, "best": min(times), "pairs": local.pairs.num_rows,
                    "client_peak_rss_gib": peak_rss_gib()}
    del local
    log(f"  xcat, one machine (thread pool): best {min(times):.2f} s, {len(ref):,} pairs")
    res["dask"] = d = dask_runs(store, args, ref)
    log(f"  xcat --engine dask: best {d['best']:.2f} s, {d['pairs']:,} pairs (same: "
        f"{d['same_pairs']}), {d['tasks']} tasks, compute {d['task_compute_s']:.2f} s "
        f"in tasks, rest {d['rest_s']:.2f} s ({d['per_task_ms']:.1f} ms a task), worker "
        f"peak RSS {d['worker_peak_rss_gib']}")
    if not args.skip_lsdb:
        res["lsdb"] = lr = lsdb_run(store, args, ref, k)
        log(f"  LSDB crossmatch: {lr['best']:.2f} s, {lr['pairs']:,} pairs (same: "
            f"{lr['same_pairs']}), worker peak RSS {lr['worker_peak_rss_gib']}")
    res["load_end"] = os.getloadavg()
    store.close()
    rows = [("xcat, one machine (thread pool)", res["local"]["best"], res["local"]["pairs"],
             "-", "-", "-"),
            (f"xcat --engine dask, {args.workers} local workers", d["best"], d["pairs"],
             d["same_pairs"], d["tasks"], max(d["worker_peak_rss_gib"]))]
    if "lsdb" in res:
        rows.append((f"LSDB crossmatch, {args.workers} local workers", res["lsdb"]["best"],
                     res["lsdb"]["pairs"], res["lsdb"]["same_pairs"], "-",
                     max(res["lsdb"]["worker_peak_rss_gib"])))
    md = [f"{n:.0e} x {n:.0e} within {args.radius}\", {os.cpu_count()} CPUs, load "
          f"{[round(x, 2) for x in res['load_start']]} -> "
          f"{[round(x, 2) for x in res['load_end']]}", "",
          "| engine | s | pairs | same pairs | tasks | peak RSS per worker (GiB) |",
          "|---|---|---|---|---|---|"]
    md += [f"| {a} | {b:.2f} | {c:,} | {e} | {f} | "
           f"{g if isinstance(g, str) else f'{g:.2f}'} |" for a, b, c, e, f, g in rows]
    md += ["", f"Dask run: {d['task_compute_s']:.2f} s of compute in {d['tasks']} tasks "
           f"({d['compute_per_worker_s']:.2f} s per worker); the other "
           f"{d['rest_s']:.2f} s are the client (reading the left side, scoring) and "
           f"scheduling, {d['per_task_ms']:.1f} ms per task."]
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(res, indent=2, default=float))
    (out / "results.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    ok = d["same_pairs"] and res.get("lsdb", {"same_pairs": True})["same_pairs"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
