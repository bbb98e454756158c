#!/usr/bin/env python3
"""What recording a cross-match run costs (issue 13): the pairs as a Parquet file under
the store (``runs/<name>-<token>/pairs.parquet``) against the INSERT into a DuckDB table
that xcat did before, in the same run.

    python bench/record_bench.py                      # 500,000 pairs, 5 repeats
    python bench/record_bench.py --pairs 2000000 --repeats 3 --strict

Data: a seeded synthetic run with every pair column (``left_key``/``right_key`` strings
like CSC and Gaia names, separations, ranks, the error-aware and chance columns, ``flags``
NULL), 2.5 pairs per left source on average. Two orders are recorded:

- *all columns*: every pair column filled, in the engine's order: grouped by left source
  and ranked (nearest first), the sources in sky order, not key order (the writer sorts
  the distinct left keys and moves the groups whole);
- *shuffled*: the same pairs in random order (the writer's worst case);
- *radius run*: engine order, only the columns a fixed-radius run fills
  (``xcat xmatch --radius``: keys, separation, position angle, radius, rank, candidates,
  mutual best), the others NULL.

Ways, each recording a run of one name over and over (so each replaces the previous),
in a fresh store, timed from the call to its return (median of ``--repeats`` rounds after
one warm-up round; each round runs every way once, so a change in the machine's load
hits them all alike):

- *Parquet (xcat)*: :func:`xcat.catalog.runs.record_run`: sort, write the files without
  the lock (one per core at once for a large run), then one short transaction (run row,
  view rebuilt) and the superseded folder removed;
- *INSERT (before)*: the previous code path: one transaction that deletes the previous
  run's rows, inserts the run row and INSERTs the Arrow pairs into a DuckDB table of the
  old ``xmatch_pairs`` layout, then the COMMIT and the checkpoint of the detach.

Reading back is measured too (:func:`xcat.catalog.runs.run_pairs` against ``SELECT ...
ORDER BY`` of the table), and the size on disk (the Parquet file; the DuckDB file's
growth, shown for the first case only: DuckDB reuses the blocks a replaced run
frees), and the sorting and writing alone with one thread and with all cores.
Target: recording 500k pairs adds <= 0.3 s (``--strict``: exit 3 when missed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

import xcat
from xcat.catalog.runs import XmatchRun, full_pairs, record_run, run_pairs, write_pairs
from xcat.store import layout

TARGET_S = 0.3
OLD_TABLE = "bench_old_pairs"
OLD_INSERT = f"""
INSERT INTO {OLD_TABLE} SELECT $run_id, * FROM bench_new_pairs
"""


#: The columns a fixed-radius run fills (``xcat xmatch --radius``); the rest are NULL.
RADIUS_COLUMNS = ("left_key", "right_key", "sep_arcsec", "pa_deg", "match_radius_arcsec",
                  "rank", "n_candidates", "mutual_best")


def synthetic_pairs(n: int, seed: int, *, shuffled: bool, radius_only: bool = False
                    ) -> pa.Table:
    """``n`` pairs with every column, grouped by left source and ranked (or shuffled);
    ``radius_only``: only the columns of a fixed-radius run.
    """
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 5, n)                       # 1-4 candidates, 2.5 on average
    counts = counts[:np.searchsorted(np.cumsum(counts), n) + 1]
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    left = np.repeat(rng.permutation(len(counts)), counts)[:n]   # groups in sky order
    rank = (np.arange(n) - np.repeat(starts, counts)[:n] + 1).astype(np.int32)
    n_cand = np.repeat(counts, counts)[:n].astype(np.int32)
    sep = (rank - 1 + rng.random(n)) * 0.7               # nearest first in each group
    t = pa.table({
        "left_key": pa.array([f"2CXO J{k:07d}.{k % 10}+4{k % 1000:03d}" for k in left]),
        "right_key": pa.array([f"Gaia DR3 {v}" for v in rng.integers(10**17, 10**18, n)]),
        "sep_arcsec": sep, "rank": rank,
        "n_candidates": n_cand,
        "probability": rng.random(n), "norm_sep": rng.random(n) * 2,
        "pa_deg": rng.random(n) * 360, "match_radius_arcsec": np.full(n, 3.0),
        "rho_arcsec2": rng.random(n) * 1e-4, "p_chance": rng.random(n),
        "lr": rng.random(n) * 10, "p_any": rng.random(n), "mutual_best": rng.random(n) > 0.5,
        "n_exp": rng.random(n) * 1e-3, "p_any_unrelated": rng.random(n) * 1e-3})
    if shuffled:
        t = t.take(rng.permutation(n))
    return full_pairs(t.select(list(RADIUS_COLUMNS)) if radius_only else t)


def old_record(store: xcat.Store, run: XmatchRun) -> None:
    """The previous code path: DELETE the old run's rows, INSERT run row and pairs."""
    with store.writing() as con:
        con.execute("BEGIN TRANSACTION")
        for (old,) in con.execute("SELECT run_id FROM xmatch_runs WHERE name = $n",
                                  {"n": run.name}).fetchall():
            con.execute(f"DELETE FROM {OLD_TABLE} WHERE run_id = $r", {"r": old})
            con.execute("DELETE FROM xmatch_runs WHERE run_id = $r", {"r": old})
        run_id = con.execute(
            "INSERT INTO xmatch_runs (name, left_catalog, right_catalog, method, parameters, "
            "created, xcat_version, n_pairs) VALUES ($n, 'l', 'r', 'bench', $p, $c, $v, $k) "
            "RETURNING run_id", {"n": run.name, "p": json.dumps(run.parameters),
                                 "c": dt.datetime.now(), "v": xcat.__version__,
                                 "k": run.pairs.num_rows}).fetchall()[0][0]
        con.register("bench_new_pairs", run.pairs)
        try:
            con.execute(OLD_INSERT, {"run_id": run_id})
        finally:
            con.unregister("bench_new_pairs")
        con.execute("COMMIT")


def alternated(fns: list[Callable[[], object]], repeats: int) -> list[tuple[float, float]]:
    """Median wall and CPU seconds (all threads of the process) of each of ``fns`` over
    ``repeats`` rounds after one warm-up round; each round calls every function once, so
    a change in the machine's load hits all.
    """
    times: list[list[tuple[float, float]]] = [[] for _ in fns]
    for r in range(repeats + 1):
        for fn, ts in zip(fns, times, strict=True):
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            if r:
                ts.append((time.perf_counter() - t0, time.process_time() - c0))
    return [(statistics.median(t[0] for t in ts), statistics.median(t[1] for t in ts))
            for ts in times]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=500_000, help="pairs per run")
    ap.add_argument("--repeats", type=int, default=5, help="timed recordings per way")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--strict", action="store_true", help="exit 3 when the target is missed")
    args = ap.parse_args(argv)
    n = args.pairs
    rows, files = [], []
    with tempfile.TemporaryDirectory(prefix="xcat-record-bench-") as tmp:
        root = Path(tmp) / "store"
        with xcat.Store.open(root, create=True) as store:
            store.sql(f"CREATE TABLE {OLD_TABLE} AS SELECT * FROM xmatch_pairs_legacy "
                      "LIMIT 0")
            db_file = root / layout.DB_FILE
            for label, shuffled, radius_only in (("all columns", False, False),
                                                 ("shuffled", True, False),
                                                 ("radius run", False, True)):
                pairs = synthetic_pairs(n, args.seed, shuffled=shuffled,
                                        radius_only=radius_only)
                run = XmatchRun("bench", "l", "r", "bench", pairs, {"radius_arcsec": 3.0})
                old_run = XmatchRun("bench_old", "l", "r", "bench", pairs,
                                    {"radius_arcsec": 3.0})
                size0 = db_file.stat().st_size
                old_record(store, old_run)
                old_bytes = db_file.stat().st_size - size0 if not rows else 0
                out = Path(tmp) / "scratch"
                old_s, new_s, w1, wn = alternated([
                    lambda r=old_run: old_record(store, r),
                    lambda r=run: record_run(store, r),
                    lambda p=pairs, o=out: write_pairs(p, o, threads=1),
                    lambda p=pairs, o=out: write_pairs(p, o)], args.repeats)
                folder = store.sql("SELECT pairs_path FROM xmatch_runs WHERE name = 'bench'"
                                   )["pairs_path"][0]
                new_bytes = sum(f.stat().st_size
                                for f in layout.pairs_files(root / folder))
                back = run_pairs(store, "bench")
                assert back.num_rows == n, back.num_rows
                assert back.column("left_key").equals(
                    back.column("left_key").take(np.argsort(
                        np.asarray(back.column("left_key").to_pylist()), kind="stable")))
                read_old, read_new = alternated([
                    lambda: store.sql(f"SELECT * EXCLUDE (run_id) FROM {OLD_TABLE} "
                                      "ORDER BY left_key, rank, right_key", output="arrow"),
                    lambda: run_pairs(store, "bench")], args.repeats)
                rows.append((label, old_s, new_s, old_bytes, new_bytes, read_old, read_new))
                files.append((label, w1, wn))
    print(f"Recording a cross-match run of {n:,} pairs (median of {args.repeats}; duckdb "
          f"{duckdb.__version__}, pyarrow {pa.__version__}, xcat {xcat.__version__}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})\n")
    head = ("pairs", "INSERT (before)", "Parquet (xcat)", "ratio", "bytes before",
            "bytes now", "read before", "read now")
    widths = (13, 17, 17, 6, 12, 10, 17, 17)
    print("seconds as wall / CPU (all threads); ratio of the wall times\n")
    print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    print("  ".join("-" * w for w in widths))

    def both(t: tuple[float, float]) -> str:
        return f"{t[0]:.3f} / {t[1]:.3f}"

    for label, old_s, new_s, old_b, new_b, r_old, r_new in rows:
        cells = (label, both(old_s), both(new_s), f"{old_s[0] / new_s[0]:.1f}x",
                 f"{old_b / 2**20:.1f} MiB" if old_b > 0 else "-",
                 f"{new_b / 2**20:.1f} MiB", both(r_old),
                 both(r_new))
        print("  ".join(v.ljust(w) for v, w in zip(cells, widths, strict=True)))
    print("\nof which sorting and writing the files (write_pairs), one thread | "
          f"{os.cpu_count()} threads (one file per thread):")
    for label, w1, wn in files:
        print(f"  {label:13s} {both(w1)} | {both(wn)}")
    ok = True
    for label, _, new_s, *_ in rows:
        if label != "shuffled":
            ok = ok and new_s[0] <= TARGET_S
            print(f"\nrecording {n:,} pairs, {label}: {new_s[0]:.3f} s (target <= "
                  f"{TARGET_S} s for 500k): {'met' if new_s[0] <= TARGET_S else 'MISSED'}",
                  end="")
    print()
    return 3 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
