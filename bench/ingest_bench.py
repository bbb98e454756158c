"""Streaming ingest (issue 13): xcat ``ingest table`` of a generated Parquet catalog
against hats-import on the same file, in the same run; peak RSS of each ingest (a child
process each, ``ru_maxrss``).

    .venv/bin/python bench/ingest_bench.py                 # 1e7 rows, xcat + hats-import
    .venv/bin/python bench/ingest_bench.py --rows 1000000  # smaller
    .venv/bin/python bench/ingest_bench.py --huge          # also 1e8 rows (xcat only)

Inputs are written in chunks by this script (bench/run.py's columns: id, name, ra, dec,
flux, flux_err, err_r0, hr, counts, flag) under ``--out`` (default /tmp/xcat-ingest-bench).
Targets: 1e7 rows <= 5 s and >= 6x hats-import; 1e8 rows peak RSS <= 4 GiB.
"""

from __future__ import annotations

import argparse
import ast
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

TARGETS = {"ingest_1e7_s": 5.0, "ratio_min": 6.0, "rss_1e8_gib": 4.0}


def make_input(path: Path, rows: int, seed: int = 13, chunk: int = 2_000_000) -> None:
    """A uniform all-sky catalog of ``rows`` rows, written chunk by chunk."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.exists() and pq.ParquetFile(path).metadata.num_rows == rows:
        return
    rng = np.random.default_rng(seed)
    writer = None
    for lo in range(0, rows, chunk):
        n = min(chunk, rows - lo)
        ra = rng.uniform(0, 360, n)
        dec = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
        flux = rng.lognormal(np.log(3e-14), 1.2, n)
        ids = np.arange(lo + 1, lo + n + 1, dtype=np.int64)
        table = pa.table({
            "id": ids, "name": pa.array([f"XBENCH J{i:09d}" for i in ids.tolist()]),
            "ra": ra, "dec": dec, "flux": flux, "flux_err": flux * rng.uniform(0.05, 0.5, n),
            "err_r0": rng.gamma(2.0, 0.5, n), "hr": np.clip(rng.normal(0, 0.4, n), -1, 1),
            "counts": rng.poisson(40, n).astype(np.int32),
            "flag": rng.integers(0, 4, n).astype(np.int16)})
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=1_000_000)
    assert writer is not None
    writer.close()


CHILD_XCAT = """
import functools, resource, sys, time, xcat
cpu = {}
if sys.argv[3:] == ["stages"]:  # CPU seconds (all threads) of each stage of the ingest
    from xcat.catalog import hats, margin
    from xcat.jobs import file
    def timed(mod, name, label):
        f = getattr(mod, name)
        @functools.wraps(f)
        def g(*a, **k):
            c = time.process_time()
            try:
                return f(*a, **k)
            finally:
                cpu[label] = round(cpu.get(label, 0) + time.process_time() - c, 2)
        setattr(mod, name, g)
    timed(file, "prepare_chunks", "read_prepare_sort")
    timed(hats, "write_catalog", "write")
    timed(margin, "build_margin", "margin")
t0, c0 = time.perf_counter(), time.process_time()
store = xcat.Store.open(sys.argv[1], create=True)
lines = store.ingest_table(sys.argv[2], name="bench", key="id")
store.close()
cpu["total"] = round(time.process_time() - c0, 2)
print({"s": time.perf_counter() - t0, "line": lines[0], "cpu_s": cpu,
       "rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20})
"""

CHILD_HATS = """
import resource, sys, time
from dask.distributed import Client
from hats_import.catalog.arguments import ImportArguments
from hats_import.pipeline import pipeline_with_client
if __name__ == "__main__":
    client = Client(n_workers=2, threads_per_worker=1, local_directory=sys.argv[1] + "/dask")
    args = ImportArguments(sort_columns="id", ra_column="ra", dec_column="dec",
                           input_file_list=[sys.argv[2]], file_reader="parquet",
                           output_artifact_name="bench", output_path=sys.argv[1],
                           pixel_threshold=1_000_000, progress_bar=False,
                           tmp_dir=sys.argv[1] + "/tmp")
    t0 = time.perf_counter()
    pipeline_with_client(args, client)
    s = time.perf_counter() - t0
    client.close()
    print({"s": s, "rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20})
"""


def child(code: str, *args: str) -> dict:
    """Run ``code`` in a fresh interpreter; its last printed line is the result."""
    r = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                       check=False)
    if r.returncode:
        raise RuntimeError(r.stderr[-3000:])
    out = ast.literal_eval(r.stdout.strip().splitlines()[-1])
    out["rss_children_gib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    return out


def bench_rows(work: Path, rows: int, hats: bool, repeats: int, stages: bool = False
               ) -> dict:
    src = work / f"input-{rows}.parquet"
    t0 = time.perf_counter()
    make_input(src, rows)
    print(f"input {rows:,} rows: {src.stat().st_size / 2**30:.2f} GiB "
          f"({time.perf_counter() - t0:.0f} s to make)", flush=True)
    res: dict = {"rows": rows, "input_gib": round(src.stat().st_size / 2**30, 2)}
    runs = []
    for i in range(repeats):
        store = work / f"store-{rows}"
        shutil.rmtree(store, ignore_errors=True)
        runs.append(child(CHILD_XCAT, str(store), str(src), *(["stages"] if stages else [])))
        print(f"  xcat run {i + 1}: {runs[-1]['s']:.2f} s, peak RSS "
              f"{runs[-1]['rss_gib']:.2f} GiB ({runs[-1]['line']}); CPU s "
              f"{runs[-1]['cpu_s']}", flush=True)
        shutil.rmtree(store, ignore_errors=True)
    best = min(runs, key=lambda r: r["s"])
    res["xcat"] = {"best_s": round(best["s"], 2), "runs_s": [round(r["s"], 2) for r in runs],
                   "rows_per_s": round(rows / best["s"]),
                   "peak_rss_gib": round(max(r["rss_gib"] for r in runs), 2),
                   "cpu_s": [r["cpu_s"] for r in runs]}
    if hats:
        out = work / f"hats-{rows}"
        shutil.rmtree(out, ignore_errors=True)
        h = child(CHILD_HATS, str(out), str(src))
        shutil.rmtree(out, ignore_errors=True)
        res["hats_import"] = {"s": round(h["s"], 2)}
        res["ratio_hats_import_over_xcat"] = round(h["s"] / best["s"], 2)
        print(f"  hats-import: {h['s']:.2f} s; ratio {res['ratio_hats_import_over_xcat']}x",
              flush=True)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--huge", action="store_true", help="also 1e8 rows (xcat only)")
    ap.add_argument("--no-hats", action="store_true", help="skip hats-import")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("/tmp/xcat-ingest-bench"))
    ap.add_argument("--keep-inputs", action="store_true")
    ap.add_argument("--stages", action="store_true",
                    help="CPU seconds (all threads) of each xcat stage: reading, preparing "
                         "and sorting the chunks (and importing healpy), writing the "
                         "partitions, the margin; and in all")
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    results = {"targets": TARGETS, "cases": [bench_rows(a.out, a.rows, not a.no_hats,
                                                         a.repeats, a.stages)]}
    if a.huge:
        results["cases"].append(bench_rows(a.out, 100_000_000, False, 1))
    if not a.keep_inputs:
        for f in a.out.glob("input-*.parquet"):
            f.unlink()
    print(json.dumps(results, indent=2))
    (a.out / "ingest_bench.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
