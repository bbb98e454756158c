#!/usr/bin/env python3
"""xcat against its peers, measured in one run: ingest (xcat vs hats-import) and cone
search (xcat vs LSDB vs DuckDB SQL over the same store).

    python bench/run.py                 # 1e6 rows, the full benchmark (a few minutes)
    python bench/run.py --quick         # 1e5 rows, fewer queries: a smoke test
    python bench/run.py --rows 300000 --out bench/out/small

Results: a summary table on stdout, ``<out>/results.json`` and ``<out>/results.md``.
Scratch data (input Parquet, stores, hats-import output) goes to ``<out>/scratch`` and is
replaced on the next run. See bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import time
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CATALOG = "bench"
RADII_ARCSEC = (60.0, 600.0)
CHECK_RADII_ARCSEC = (60.0, 600.0, 3600.0)
TARGETS = {"ingest_ratio_min": 4.0, "cone_median_ms_max": 10.0, "cone_ratio_min": 6.0}
PACKAGES = ("xcat", "duckdb", "pyarrow", "hats", "hats-import", "lsdb", "dask", "distributed",
            "nested-pandas", "numpy", "pandas", "healpy")


# --------------------------------------------------------------------------- helpers
def log(msg: str) -> None:
    print(msg, flush=True)


def fresh(path: Path) -> Path:
    """Remove ``path`` if it exists; return it."""
    if path.exists():
        shutil.rmtree(path)
    return path


def summary_ms(times_s: list[float]) -> dict[str, float]:
    """Median, mean, 90th percentile and minimum of per-query times, in ms."""
    ms = np.asarray(times_s) * 1e3
    return {"n": len(ms), "median_ms": float(np.median(ms)), "mean_ms": float(ms.mean()),
            "p90_ms": float(np.percentile(ms, 90)), "min_ms": float(ms.min())}


def uniform_sphere(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniform on the sphere, (ra, dec) in degrees."""
    ra = rng.uniform(0.0, 360.0, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    return ra, dec


def machine_info() -> dict[str, Any]:
    versions = {}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    git = {}
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=ROOT, capture_output=True, text=True, timeout=10)
        if head.returncode == 0:
            git = {"commit": head.stdout.strip(), "dirty": bool(dirty.stdout.strip())}
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "nproc": os.cpu_count(), "cpus_usable": affinity,
        "python": platform.python_version(), "platform": platform.platform(),
        "machine": platform.machine(), "processor": platform.processor() or None,
        "memory_gib": _memory_gib(), "load_average_start": _loadavg(),
        "versions": versions, "git": git,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _memory_gib() -> float | None:
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
    return round(pages * size / 2**30, 1)


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return None


# --------------------------------------------------------------------------- data
def make_catalog(path: Path, rows: int, seed: int) -> dict[str, Any]:
    """Write the synthetic source catalog: uniform on the sphere, X-ray-like columns."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    ra, dec = uniform_sphere(rng, rows)
    flux = rng.lognormal(np.log(3e-14), 1.2, rows)
    ids = np.arange(1, rows + 1, dtype=np.int64)
    table = pa.table({
        "id": ids,
        "name": pa.array([f"XBENCH J{i:09d}" for i in ids.tolist()], pa.string()),
        "ra": ra,
        "dec": dec,
        "flux": flux,
        "flux_err": flux * rng.uniform(0.05, 0.5, rows),
        "err_r0": rng.gamma(2.0, 0.5, rows),
        "hr": np.clip(rng.normal(0.0, 0.4, rows), -1.0, 1.0),
        "counts": rng.poisson(40, rows).astype(np.int32),
        "flag": rng.integers(0, 4, rows).astype(np.int16),
    })
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return {"rows": rows, "seed": seed, "columns": table.column_names,
            "file": str(path), "file_mb": round(path.stat().st_size / 2**20, 1)}


def catalog_rows(catalog_dir: Path) -> dict[str, Any]:
    """Rows of a HATS catalog (``_metadata`` footer and hats itself), partitions, size."""
    import hats
    import pyarrow.parquet as pq

    md = pq.read_metadata(catalog_dir / "dataset" / "_metadata")
    cat = hats.read_hats(catalog_dir)
    files = list((catalog_dir / "dataset").glob("Norder=*/**/*.parquet"))
    first = pq.ParquetFile(files[0]).metadata if files else None
    return {"metadata_rows": md.num_rows, "hats_total_rows": cat.catalog_info.total_rows,
            "partitions": len(cat.get_healpix_pixels()),
            "data_mb": round(sum(f.stat().st_size for f in files) / 2**20, 1),
            "compression": first.row_group(0).column(1).compression if first else None,
            "row_groups": md.num_row_groups}


# --------------------------------------------------------------------------- ingest
def bench_xcat_ingest(src: Path, work: Path, repeats: int) -> tuple[dict[str, Any], Path]:
    import xcat

    times, store_dir = [], None
    for i in range(repeats):
        store_dir = fresh(work / f"xcat-store-{i}")
        gc.collect()
        t0 = time.perf_counter()
        store = xcat.Store.open(store_dir, create=True)
        lines = store.ingest_table(src, name=CATALOG, key="id")
        store.close()
        times.append(time.perf_counter() - t0)
        log(f"  xcat ingest run {i + 1}: {times[-1]:.2f} s  ({lines[0]})")
        if i:  # keep only the last store
            shutil.rmtree(work / f"xcat-store-{i - 1}")
    assert store_dir is not None
    store = xcat.Store.open(store_dir)
    registry_rows = int(store.catalog(CATALOG)["n_rows"])
    store.close()
    result = {"runs_s": times, "best_s": min(times), "registry_rows": registry_rows,
              **catalog_rows(store_dir / "catalogs" / CATALOG)}
    return result, store_dir


def start_dask_client(work: Path) -> Any:
    from dask.distributed import Client

    logging.getLogger("distributed").setLevel(logging.ERROR)
    return Client(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                  local_directory=str(work / "dask-worker-space"))


def bench_hats_import(src: Path, work: Path, repeats: int, client: Any, label: str,
                      write_table_kwargs: dict[str, Any] | None = None
                      ) -> tuple[dict[str, Any], Path]:
    """hats-import's catalog pipeline on ``client``; defaults except ``write_table_kwargs``."""
    from hats_import.catalog.arguments import ImportArguments
    from hats_import.pipeline import pipeline_with_client

    times, out = [], None
    for i in range(repeats):
        out = fresh(work / f"{label}-{i}")
        tmp = fresh(work / f"{label}-tmp-{i}")
        gc.collect()
        t0 = time.perf_counter()
        args = ImportArguments(
            output_path=str(out), output_artifact_name=CATALOG,
            input_file_list=[str(src)], file_reader="parquet",
            ra_column="ra", dec_column="dec",  # default pixel_threshold (1,000,000)
            tmp_dir=str(tmp), resume=False, progress_bar=False,
            write_table_kwargs=write_table_kwargs)
        pipeline_with_client(args, client)
        times.append(time.perf_counter() - t0)
        shutil.rmtree(tmp, ignore_errors=True)
        log(f"  {label} run {i + 1}: {times[-1]:.2f} s")
        if i:
            shutil.rmtree(work / f"{label}-{i - 1}")
    assert out is not None
    result = {"runs_s": times, "best_s": min(times), "write_table_kwargs": write_table_kwargs,
              **catalog_rows(out / CATALOG)}
    return result, out / CATALOG


# --------------------------------------------------------------------------- cones
class XcatCone:
    """``store.cone(..., output="arrow")``: the pyarrow hot path."""

    def __init__(self, store_dir: Path):
        import xcat

        t0 = time.perf_counter()
        self.store = xcat.Store.open(store_dir)
        self.open_s = time.perf_counter() - t0

    def __call__(self, ra: float, dec: float, r_arcsec: float) -> Any:
        return self.store.cone(CATALOG, ra, dec, f"{r_arcsec}arcsec", output="arrow")

    @staticmethod
    def ids(result: Any) -> set[int]:
        return set(result.column("id").to_pylist())


class DuckdbCone:
    """The same cone as SQL on the store's DuckDB view: order-29 index ranges from
    ``xcat.healpix.cone_ranges29`` (row-group pruning through Parquet statistics), then
    the ``ang_sep_deg`` macro. With ``prune_files`` the hive columns ``Norder``/``Npix``
    also restrict the scan to the partition files the cone touches.
    """

    def __init__(self, store: Any, catalog_dir: Path, prune_files: bool):
        from xcat.sky import healpix

        self.store, self.healpix, self.prune = store, healpix, prune_files
        lines = (catalog_dir / "partition_info.csv").read_text().split()[1:]
        self.parts = [tuple(int(x) for x in line.split(",")) for line in lines]
        self.bounds = np.array([healpix.pixel_range29(o, p) for o, p in self.parts], np.int64)

    def sql(self, ra: float, dec: float, r_arcsec: float) -> str:
        rg = self.healpix.cone_ranges29(ra, dec, r_arcsec / 3600.0)
        where = [" OR ".join(f"(_healpix_29 >= {lo} AND _healpix_29 < {hi})" for lo, hi in rg)]
        if self.prune:
            hit = ((rg[:, 0][None, :] < self.bounds[:, 1][:, None])
                   & (rg[:, 1][None, :] > self.bounds[:, 0][:, None])).any(axis=1)
            files = [self.parts[i] for i in np.flatnonzero(hit)] or [(-1, -1)]
            where.insert(0, " OR ".join(f"(Norder = {o} AND Npix = {p})" for o, p in files))
        cond = " AND ".join(f"({w})" for w in where)
        return (f"SELECT * EXCLUDE (Norder, Dir, Npix), "
                f"ang_sep_deg(ra, dec, $ra, $dec) * 3600 AS _dist_arcsec FROM {CATALOG} "
                f"WHERE {cond} AND ang_sep_deg(ra, dec, $ra, $dec) <= $r "
                "ORDER BY _dist_arcsec")

    def __call__(self, ra: float, dec: float, r_arcsec: float) -> Any:
        return self.store.sql(self.sql(ra, dec, r_arcsec),
                              {"ra": ra, "dec": dec, "r": r_arcsec / 3600.0}, output="arrow")

    ids = staticmethod(XcatCone.ids)


class LsdbCone:
    """``lsdb.open_catalog(dir).cone_search(ra, dec, r).compute(progress_bar=False)``."""

    def __init__(self, catalog_dir: Path):
        import lsdb

        t0 = time.perf_counter()
        self.catalog = lsdb.open_catalog(str(catalog_dir))
        self.open_s = time.perf_counter() - t0

    def __call__(self, ra: float, dec: float, r_arcsec: float) -> Any:
        return self.catalog.cone_search(ra, dec, r_arcsec).compute(progress_bar=False)

    @staticmethod
    def ids(result: Any) -> set[int]:
        return {int(x) for x in result["id"].to_numpy()}


def time_queries(fn: Any, centres: tuple[np.ndarray, np.ndarray], r_arcsec: float,
                 warm: tuple[np.ndarray, np.ndarray]) -> dict[str, float]:
    """Warm up on ``warm`` centres, then time one call per centre."""
    for ra, dec in zip(*warm, strict=True):
        fn(float(ra), float(dec), r_arcsec)
    times, rows = [], 0
    for ra, dec in zip(*centres, strict=True):
        t0 = time.perf_counter()
        out = fn(float(ra), float(dec), r_arcsec)
        times.append(time.perf_counter() - t0)
        rows += len(out)
    return {**summary_ms(times), "mean_rows": rows / len(times)}


def compare_ids(tools: dict[str, Any], ref: str, centres: list[tuple[float, float]],
                radii: tuple[float, ...]) -> dict[str, Any]:
    """Whether every tool returns the same id set as ``ref`` for each (centre, radius)."""
    checks, mismatches = 0, []
    for r in radii:
        for ra, dec in centres:
            want = tools[ref].ids(tools[ref](ra, dec, r))
            for name, tool in tools.items():
                if name == ref:
                    continue
                got = tool.ids(tool(ra, dec, r))
                checks += 1
                if got != want:
                    mismatches.append({"tool": name, "ra": ra, "dec": dec, "radius_arcsec": r,
                                       "only_" + ref: sorted(want - got)[:10],
                                       "only_" + name: sorted(got - want)[:10]})
    return {"comparisons": checks, "mismatches": mismatches}


def bench_cones(xcat_dir: Path, hats_dir: Path | None, n_queries: int, n_lsdb: int,
                n_duckdb: int, seed: int, client_factory: Any, src_table: Any) -> dict[str, Any]:
    import dask

    rng = np.random.default_rng(seed + 1)
    ra_all, dec_all = uniform_sphere(rng, n_queries)
    warm = uniform_sphere(rng, 5)
    out: dict[str, Any] = {"n_queries": n_queries, "n_lsdb": n_lsdb, "n_duckdb": n_duckdb,
                           "radii_arcsec": list(RADII_ARCSEC), "seed": seed + 1}

    def first(n: int) -> tuple[np.ndarray, np.ndarray]:
        return ra_all[:n], dec_all[:n]

    # --- index/open costs (reported apart from query times)
    catalog_dir = xcat_dir / "catalogs" / CATALOG
    xc = XcatCone(xcat_dir)
    t0 = time.perf_counter()
    xc(float(warm[0][0]), float(warm[1][0]), RADII_ARCSEC[0])
    xcat_first = time.perf_counter() - t0
    out["setup"] = {"xcat_store_open_s": xc.open_s, "xcat_first_cone_s": xcat_first}

    tools: dict[str, Any] = {"xcat": xc}
    tools["duckdb_ranges"] = DuckdbCone(xc.store, catalog_dir, prune_files=False)
    tools["duckdb_ranges_files"] = DuckdbCone(xc.store, catalog_dir, prune_files=True)
    t0 = time.perf_counter()
    tools["duckdb_ranges"](float(warm[0][0]), float(warm[1][0]), RADII_ARCSEC[0])
    out["setup"]["duckdb_first_cone_s"] = time.perf_counter() - t0
    lsdb_dir = hats_dir or catalog_dir
    tools["lsdb"] = LsdbCone(lsdb_dir)
    out["setup"]["lsdb_open_catalog_s"] = tools["lsdb"].open_s
    out["lsdb_catalog"] = "hats-import output" if hats_dir else "xcat catalog dir"
    if hats_dir:
        tools["lsdb_on_xcat_dir"] = LsdbCone(catalog_dir)

    res: dict[str, dict[str, Any]] = {}
    for r in RADII_ARCSEC:
        key = f"{r:g}arcsec"
        log(f"  radius {r:g}\"")
        res[key] = {}
        res[key]["xcat"] = time_queries(xc, first(n_queries), r, warm)
        log(f"    xcat                 median {res[key]['xcat']['median_ms']:8.2f} ms "
            f"({n_queries} cones, {res[key]['xcat']['mean_rows']:.2f} rows/cone)")
        for name in ("duckdb_ranges", "duckdb_ranges_files"):
            res[key][name] = time_queries(tools[name], first(n_duckdb), r, warm)
            log(f"    {name:<20} median {res[key][name]['median_ms']:8.2f} ms ({n_duckdb} cones)")
        # LSDB's compute() uses dask's default scheduler (threaded) unless told otherwise
        res[key]["lsdb"] = time_queries(tools["lsdb"], first(n_lsdb), r, warm)
        log(f"    lsdb (dask threaded) median {res[key]['lsdb']['median_ms']:8.2f} ms "
            f"({n_lsdb} cones)")
        with dask.config.set(scheduler="synchronous"):
            res[key]["lsdb_sync"] = time_queries(tools["lsdb"], first(n_lsdb), r, warm)
        log(f"    lsdb (synchronous)   median {res[key]['lsdb_sync']['median_ms']:8.2f} ms")
        if "lsdb_on_xcat_dir" in tools:
            res[key]["lsdb_on_xcat_dir"] = time_queries(tools["lsdb_on_xcat_dir"], first(n_lsdb),
                                                        r, warm)
            log(f"    lsdb on xcat's dir   median "
                f"{res[key]['lsdb_on_xcat_dir']['median_ms']:8.2f} ms")

    # --- LSDB with a distributed client (2 worker processes) as the default scheduler
    client = client_factory()
    try:
        for r in RADII_ARCSEC:
            key = f"{r:g}arcsec"
            res[key]["lsdb_client"] = time_queries(tools["lsdb"], first(n_lsdb), r, warm)
            log(f"  radius {r:g}\": lsdb (dask Client) median "
                f"{res[key]['lsdb_client']['median_ms']:8.2f} ms")
    finally:
        client.close()
    out["results"] = res

    # --- cones centred on catalog sources: never empty (random 60" cones on a uniform
    # catalog almost always are); informative, the targets use the random centres
    pick = np.random.default_rng(seed + 2).choice(src_table.num_rows, n_queries, replace=False)
    src_ra = src_table.column("ra").to_numpy()[pick]
    src_dec = src_table.column("dec").to_numpy()[pick]
    on_source: dict[str, dict[str, Any]] = {}
    for r in RADII_ARCSEC:
        key = f"{r:g}arcsec"
        on_source[key] = {"xcat": time_queries(xc, (src_ra, src_dec), r, warm),
                          "lsdb": time_queries(tools["lsdb"], (src_ra[:n_lsdb],
                                                               src_dec[:n_lsdb]), r, warm)}
        log(f"  radius {r:g}\", centred on sources: xcat median "
            f"{on_source[key]['xcat']['median_ms']:.2f} ms "
            f"({on_source[key]['xcat']['mean_rows']:.1f} rows/cone), lsdb "
            f"{on_source[key]['lsdb']['median_ms']:.2f} ms")
    out["results_on_source"] = on_source

    # --- same answers: random centres (mostly empty at 60") and centres on catalog sources
    on_src = [(float(a), float(d)) for a, d in zip(src_ra[:5], src_dec[:5], strict=True)]
    rand = [(float(a), float(d)) for a, d in zip(*first(5), strict=True)]
    out["agreement"] = compare_ids(tools, "xcat", rand + on_src, CHECK_RADII_ARCSEC)
    out["agreement"]["rows_compared_max"] = max(
        len(xc(ra, dec, max(CHECK_RADII_ARCSEC))) for ra, dec in rand + on_src)
    xc.store.close()
    return out


# --------------------------------------------------------------------------- report
def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def build_summary(res: dict[str, Any]) -> dict[str, Any]:
    ing = res.get("ingest", {})
    x_best = ing.get("xcat", {}).get("best_s")
    h_best = ing.get("hats_import", {}).get("best_s")
    hs_best = ing.get("hats_import_snappy", {}).get("best_s")
    summary: dict[str, Any] = {
        "ingest_xcat_s": x_best, "ingest_hats_import_s": h_best,
        "ingest_ratio_hats_import_over_xcat": ratio(h_best, x_best),
        "ingest_hats_import_snappy_s": hs_best,
        "ingest_ratio_hats_import_snappy_over_xcat": ratio(hs_best, x_best), "cone": {}}
    targets = []
    if summary["ingest_ratio_hats_import_over_xcat"] is not None:
        ok = summary["ingest_ratio_hats_import_over_xcat"] >= TARGETS["ingest_ratio_min"]
        targets.append({"target": f"ingest: hats-import / xcat >= {TARGETS['ingest_ratio_min']:g}",
                         "value": round(summary["ingest_ratio_hats_import_over_xcat"], 2),
                         "met": ok})
    for key, tools in res.get("cones", {}).get("results", {}).items():
        x = tools["xcat"]["median_ms"]
        row = {"xcat_ms": x}
        for name, t in tools.items():
            if name != "xcat":
                row[f"{name}_ms"] = t["median_ms"]
                row[f"{name}_over_xcat"] = ratio(t["median_ms"], x)
        summary["cone"][key] = row
        targets.append({"target": f"cone {key}: xcat median <= "
                        f"{TARGETS['cone_median_ms_max']:g} ms",
                        "value": round(x, 2), "met": x <= TARGETS["cone_median_ms_max"]})
        if "lsdb" in tools:
            rr = row["lsdb_over_xcat"]
            targets.append({"target": f"cone {key}: LSDB / xcat >= {TARGETS['cone_ratio_min']:g}",
                            "value": round(rr, 1), "met": rr >= TARGETS["cone_ratio_min"]})
    summary["cone_on_source"] = {
        key: {"xcat_ms": t["xcat"]["median_ms"], "lsdb_ms": t["lsdb"]["median_ms"],
              "lsdb_over_xcat": ratio(t["lsdb"]["median_ms"], t["xcat"]["median_ms"]),
              "xcat_mean_rows": t["xcat"]["mean_rows"]}
        for key, t in res.get("cones", {}).get("results_on_source", {}).items()}
    summary["targets"] = targets
    return summary


def fmt(v: Any, spec: str = ".2f") -> str:
    return "n/a" if v is None else format(v, spec)


def markdown(res: dict[str, Any]) -> str:
    s, m = res["summary"], res["machine"]
    ing = res.get("ingest", {})
    lines = [f"# xcat benchmark ({res['data']['rows']:,} rows)", "",
             f"{m['date']}, {m['nproc']} CPUs ({m['cpus_usable']} usable), "
             f"{m['memory_gib']} GiB, Python {m['python']}, {m['platform']}; "
             f"load average at start {m['load_average_start']}, "
             f"at end {m.get('load_average_end')}", "",
             "## Ingest (build the HATS catalog, best of "
             f"{res['config']['repeats']}, seconds)", "",
             "| tool | best | ratio | all runs | rows | partitions | row groups | codec | MiB |",
             "|---|---:|---:|---|---:|---:|---:|---|---:|"]
    x_best = ing.get("xcat", {}).get("best_s")
    for name, label in (("xcat", "xcat `Store.ingest_table`"),
                        ("hats_import", "hats-import, defaults (dask Client 2x1)"),
                        ("hats_import_snappy", "hats-import, `compression=snappy`")):
        if name in ing:
            r = ing[name]
            lines.append(f"| {label} | {r['best_s']:.2f} | {fmt(ratio(r['best_s'], x_best))} | "
                         f"{', '.join(f'{t:.2f}' for t in r['runs_s'])} | "
                         f"{r['metadata_rows']:,} | {r['partitions']} | {r['row_groups']} | "
                         f"{r['compression']} | {r['data_mb']} |")
    lines += ["", f"hats-import / xcat: **{fmt(s['ingest_ratio_hats_import_over_xcat'])}x** "
              "(ratio = tool best / xcat best; MiB = partition files on disk). "
              "xcat's time is `Store.open(create=True)` + `ingest_table` + `close`, "
              "end to end from the Parquet file; hats-import's is `pipeline_with_client` on "
              "an already running client.", ""]
    cones = res.get("cones")
    if cones:
        st = cones["setup"]
        lines += ["## Cone search (warm process, median ms per query)", "",
                  "| tool | " + " | ".join(f"{k} | ratio" for k in s["cone"]) + " |",
                  "|---|" + "---:|---:|" * len(s["cone"])]
        names = [("xcat", "xcat `store.cone(..., output=\"arrow\")`"),
                 ("lsdb", f"LSDB `cone_search().compute()` ({cones['lsdb_catalog']}, "
                          "dask threaded default)"),
                 ("lsdb_sync", "LSDB, synchronous scheduler"),
                 ("lsdb_client", "LSDB, dask distributed Client (2 workers)"),
                 ("lsdb_on_xcat_dir", "LSDB on xcat's catalog dir (threaded)"),
                 ("duckdb_ranges", "DuckDB SQL: healpix ranges + `ang_sep_deg`"),
                 ("duckdb_ranges_files", "DuckDB SQL: + Norder/Npix file pruning")]
        for key, label in names:
            cells = []
            for radius in s["cone"].values():
                if key == "xcat":
                    cells += [f"{radius['xcat_ms']:.2f}", "1"]
                elif f"{key}_ms" in radius:
                    cells += [f"{radius[f'{key}_ms']:.2f}", f"{radius[f'{key}_over_xcat']:.1f}x"]
                else:
                    cells += ["", ""]
            if any(cells):
                lines.append(f"| {label} | " + " | ".join(cells) + " |")
        rows = {k: v["xcat"]["mean_rows"] for k, v in cones["results"].items()}
        lines += ["", "Ratio = tool median / xcat median. Centres: "
                  f"{cones['n_queries']} (xcat), {cones['n_duckdb']} (DuckDB), "
                  f"{cones['n_lsdb']} (LSDB), uniform random, seeded; mean rows per cone "
                  + ", ".join(f"{k}: {v:.2f}" for k, v in rows.items()) + ".", "",
                  "Setup (not in the query times): xcat `Store.open` "
                  f"{st['xcat_store_open_s'] * 1e3:.0f} ms, first cone (opens partition footers) "
                  f"{st['xcat_first_cone_s'] * 1e3:.0f} ms; DuckDB first cone "
                  f"{st['duckdb_first_cone_s'] * 1e3:.0f} ms; `lsdb.open_catalog` "
                  f"{st['lsdb_open_catalog_s'] * 1e3:.0f} ms.", ""]
        if s.get("cone_on_source"):
            lines += ["Cones centred on catalog sources (never empty; same radii, "
                      f"{cones['n_queries']} centres for xcat, {cones['n_lsdb']} for LSDB):", "",
                      "| radius | xcat ms | rows/cone | LSDB ms | ratio |",
                      "|---|---:|---:|---:|---:|"]
            lines += [f"| {k} | {v['xcat_ms']:.2f} | {v['xcat_mean_rows']:.1f} | "
                      f"{v['lsdb_ms']:.2f} | {v['lsdb_over_xcat']:.1f}x |"
                      for k, v in s["cone_on_source"].items()]
            lines.append("")
        ag = cones["agreement"]
        lines += [f"Same ids as xcat: {ag['comparisons'] - len(ag['mismatches'])}/"
                  f"{ag['comparisons']} comparisons (largest cone compared: "
                  f"{ag['rows_compared_max']} rows).", ""]
    lines += ["## Targets", "", "| target | value | met |", "|---|---:|---|"]
    lines += [f"| {t['target']} | {t['value']} | {'yes' if t['met'] else '**no**'} |"
              for t in s["targets"]]
    lines += ["", "## Versions", "", "| package | version |", "|---|---|"]
    lines += [f"| {k} | {v or 'not installed'} |" for k, v in m["versions"].items()]
    if m.get("git"):
        lines += ["", f"xcat checkout {m['git']['commit']}"
                  + (" (with uncommitted changes)" if m["git"]["dirty"] else "")]
    return "\n".join(lines) + "\n"


def print_summary(res: dict[str, Any]) -> None:
    s = res["summary"]
    log("\n" + "=" * 78)
    log(f"SUMMARY ({res['data']['rows']:,} rows, {res['machine']['nproc']} CPUs, "
        f"load avg start {res['machine']['load_average_start']} "
        f"end {res['machine'].get('load_average_end')})")
    log("-" * 78)
    log("build/indexing (ingest, best of {}):".format(res["config"]["repeats"]))
    log(f"  xcat ingest_table          {fmt(s['ingest_xcat_s']):>8} s")
    log(f"  hats-import                {fmt(s['ingest_hats_import_s']):>8} s")
    log(f"  ratio hats-import / xcat   {fmt(s['ingest_ratio_hats_import_over_xcat']):>8} x")
    if s["ingest_hats_import_snappy_s"]:
        log(f"  hats-import, snappy        {fmt(s['ingest_hats_import_snappy_s']):>8} s   "
            f"({fmt(s['ingest_ratio_hats_import_snappy_over_xcat'])} x)")
    if "cones" in res:
        st = res["cones"]["setup"]
        log(f"  (query setup: xcat open {st['xcat_store_open_s'] * 1e3:.0f} ms + first cone "
            f"{st['xcat_first_cone_s'] * 1e3:.0f} ms; lsdb.open_catalog "
            f"{st['lsdb_open_catalog_s'] * 1e3:.0f} ms)")
    log("cone search, median ms per query (ratio = tool / xcat):")
    for key, row in s["cone"].items():
        log(f"  {key}:")
        log(f"    {'xcat':<22} {row['xcat_ms']:8.2f} ms")
        for name in ("lsdb", "lsdb_sync", "lsdb_client", "lsdb_on_xcat_dir", "duckdb_ranges",
                     "duckdb_ranges_files"):
            if f"{name}_ms" in row:
                log(f"    {name:<22} {row[f'{name}_ms']:8.2f} ms   "
                    f"{row[f'{name}_over_xcat']:6.1f} x")
    for key, row in s.get("cone_on_source", {}).items():
        log(f"  {key}, centred on sources ({row['xcat_mean_rows']:.1f} rows/cone): xcat "
            f"{row['xcat_ms']:.2f} ms, lsdb {row['lsdb_ms']:.2f} ms "
            f"({row['lsdb_over_xcat']:.1f} x)")
    if "cones" in res:
        ag = res["cones"]["agreement"]
        log(f"id agreement with xcat: {ag['comparisons'] - len(ag['mismatches'])}/"
            f"{ag['comparisons']}")
    log("targets:")
    for t in s["targets"]:
        log(f"  [{'MET ' if t['met'] else 'MISS'}] {t['target']}  (value {t['value']})")
    log("=" * 78)


# --------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=None, help="catalog rows (default 1e6, "
                   "1e5 with --quick)")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: 1e5 rows, one ingest run each, few queries")
    p.add_argument("--out", type=Path, default=HERE / "out",
                   help="output and scratch directory (default bench/out)")
    p.add_argument("--repeats", type=int, default=None, help="ingest runs per tool, best "
                   "taken (default 3, 1 with --quick)")
    p.add_argument("--queries", type=int, default=None, help="xcat cones per radius "
                   "(default 200, 50 with --quick)")
    p.add_argument("--lsdb-queries", type=int, default=None,
                   help="LSDB cones per radius and mode (default 50, 10 with --quick)")
    p.add_argument("--duckdb-queries", type=int, default=None,
                   help="DuckDB cones per radius and variant (default 100, 20 with --quick)")
    p.add_argument("--seed", type=int, default=20240601)
    p.add_argument("--skip-hats-import", action="store_true",
                   help="no hats-import run; LSDB then reads xcat's catalog")
    p.add_argument("--skip-snappy", action="store_true",
                   help="no extra hats-import run with snappy compression")
    p.add_argument("--skip-cones", action="store_true")
    p.add_argument("--strict", action="store_true", help="exit 3 when a target is missed")
    a = p.parse_args(argv)
    q = a.quick
    a.rows = a.rows or (100_000 if q else 1_000_000)
    a.repeats = a.repeats or (1 if q else 3)
    a.queries = a.queries or (50 if q else 200)
    a.lsdb_queries = a.lsdb_queries or (10 if q else 50)
    a.duckdb_queries = min(a.duckdb_queries or (20 if q else 100), a.queries)
    a.lsdb_queries = min(a.lsdb_queries, a.queries)
    return a


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    out = args.out.absolute()
    work = out / "scratch"
    work.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    res: dict[str, Any] = {"machine": machine_info(), "config": {
        k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "targets": TARGETS}
    log(f"xcat benchmark: {args.rows:,} rows, scratch {work}")

    src = work / f"input-{args.rows}-{args.seed}.parquet"
    t0 = time.perf_counter()
    res["data"] = make_catalog(src, args.rows, args.seed)
    log(f"data: {src.name} ({res['data']['file_mb']} MB) in {time.perf_counter() - t0:.1f} s")

    import pyarrow.parquet as pq

    src_table = pq.read_table(src, columns=["id", "ra", "dec"])
    failures: list[str] = []
    res["ingest"] = {}
    log(f"ingest: xcat, best of {args.repeats}")
    res["ingest"]["xcat"], xcat_store = bench_xcat_ingest(src, work, args.repeats)
    hats_dir = None
    if not args.skip_hats_import:
        log(f"ingest: hats-import, best of {args.repeats} (dask Client: 2 workers x 1 thread)")
        t0 = time.perf_counter()
        client = start_dask_client(work)
        res["ingest"]["dask_client_start_s"] = time.perf_counter() - t0
        try:
            res["ingest"]["hats_import"], hats_dir = bench_hats_import(
                src, work, args.repeats, client, "hats-import")
            if not args.skip_snappy:
                # like for like on the codec: hats writes zstd level 15 by default, xcat
                # (pyarrow's default) snappy
                log(f"ingest: hats-import with snappy compression, best of {args.repeats}")
                res["ingest"]["hats_import_snappy"], snappy_dir = bench_hats_import(
                    src, work, args.repeats, client, "hats-import-snappy",
                    {"compression": "snappy"})
                shutil.rmtree(snappy_dir.parent)
        finally:
            client.close()
    for name, r in res["ingest"].items():
        if isinstance(r, dict):
            got = {r["metadata_rows"], r["hats_total_rows"]} | (
                {r["registry_rows"]} if "registry_rows" in r else set())
            if got != {args.rows}:
                failures.append(f"{name} wrote {sorted(got)} rows, expected {args.rows}")

    if not args.skip_cones:
        log("cone search")
        res["cones"] = bench_cones(xcat_store, hats_dir, args.queries, args.lsdb_queries,
                                   args.duckdb_queries, args.seed,
                                   lambda: start_dask_client(work), src_table)
        for mm in res["cones"]["agreement"]["mismatches"]:
            failures.append(f"cone ids differ: {mm}")

    res["machine"]["load_average_end"] = _loadavg()
    res["summary"] = build_summary(res)
    res["failures"] = failures
    res["total_s"] = time.perf_counter() - t_start
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(res, indent=1, default=str) + "\n")
    (out / "results.md").write_text(markdown(res))
    print_summary(res)
    log(f"wrote {out / 'results.json'} and {out / 'results.md'} "
        f"(total {res['total_s']:.0f} s)")
    if failures:
        for f in failures:
            log(f"FAILED: {f}")
        return 1
    if args.strict and not all(t["met"] for t in res["summary"]["targets"]):
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
