"""Cross-match benchmark: xcat vs astropy ``search_around_sky`` vs LSDB ``crossmatch``.

All pairs within 3" of two seeded all-sky catalogs (default 1e6 x 1e6; half of the left
sources have a true counterpart offset by a Gaussian of sigma 0.5" per axis, the other
right rows are uniform), measured in the same run on the same data, with the pair sets
checked to be identical. Then 1e6 x 1e7 in a child process whose peak RSS is measured.
Build/indexing times (xcat ingest, hats-import + margin cache) are reported separately.

    python bench/xmatch_bench.py                 # full run (~8-10 min on 2 cores)
    python bench/xmatch_bench.py --quick         # 1e5 x 1e5, no 1e7 run (~1 min)
    python bench/xmatch_bench.py --skip-lsdb --skip-big
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
TARGETS = {"astropy_over_xcat_min": 5.0, "lsdb_over_xcat_min": 3.0, "big_peak_rss_gib_max": 4.0}


def log(msg: str) -> None:
    print(msg, flush=True)


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def make_catalogs(work: Path, n_left: int, n_right: int, seed: int, sigma_arcsec: float
                  ) -> tuple[Path, Path]:
    """Left: uniform; right: a counterpart for every other left row, the rest uniform."""
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    rng = np.random.default_rng(seed)
    ra1 = rng.uniform(0, 360, n_left)
    dec1 = np.degrees(np.arcsin(rng.uniform(-1, 1, n_left)))
    true = np.arange(0, n_left, 2)
    off = np.hypot(*rng.normal(0, sigma_arcsec, (2, len(true))))
    c = SkyCoord(ra1[true] * u.deg, dec1[true] * u.deg).directional_offset_by(
        rng.uniform(0, 360, len(true)) * u.deg, off * u.arcsec)
    n_rand = n_right - len(true)
    ra2 = np.concatenate([np.mod(c.ra.deg, 360), rng.uniform(0, 360, n_rand)])
    dec2 = np.concatenate([c.dec.deg, np.degrees(np.arcsin(rng.uniform(-1, 1, n_rand)))])
    perm = rng.permutation(n_right)
    left = work / f"left_{n_left}.parquet"
    right = work / f"right_{n_right}.parquet"
    pq.write_table(pa.table({"id": np.arange(n_left), "ra": ra1, "dec": dec1}), left)
    pq.write_table(pa.table({"id": np.arange(n_right), "ra": ra2[perm], "dec": dec2[perm]}),
                   right)
    return left, right


def codes(left_ids: np.ndarray, right_ids: np.ndarray, n_right: int) -> np.ndarray:
    """One sorted int64 per pair, to compare pair sets between tools."""
    return np.sort(np.asarray(left_ids, np.int64) * n_right + np.asarray(right_ids, np.int64))


def xcat_build(work: Path, files: dict[str, Path]) -> tuple[Any, dict[str, float]]:
    import xcat

    store = xcat.Store.open(fresh(work / "xcat-store") / "s", create=True)
    times = {}
    for name, f in files.items():
        t0 = time.perf_counter()
        store.ingest_table(f, name=name, key="id")
        times[name] = time.perf_counter() - t0
        log(f"  xcat ingest {name}: {times[name]:.1f} s")
    return store, times


def xcat_match(store: Any, left: str, right: str, radius: float, repeats: int
               ) -> tuple[list[float], pa.Table]:
    times, res = [], None
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        res = store.xmatch(left, right, radius=radius, density=False, record=False)
        times.append(time.perf_counter() - t0)
    assert res is not None
    return times, res.pairs


def astropy_match(left: Path, right: Path, radius: float) -> tuple[float, np.ndarray, np.ndarray]:
    from astropy import units as u
    from astropy.coordinates import SkyCoord, search_around_sky

    lt, rt = pq.read_table(left), pq.read_table(right)
    c1 = SkyCoord(lt["ra"].to_numpy() * u.deg, lt["dec"].to_numpy() * u.deg)
    c2 = SkyCoord(rt["ra"].to_numpy() * u.deg, rt["dec"].to_numpy() * u.deg)
    gc.collect()
    t0 = time.perf_counter()
    i, j, _, _ = search_around_sky(c1, c2, radius * u.arcsec)
    elapsed = time.perf_counter() - t0
    return elapsed, lt["id"].to_numpy()[i], rt["id"].to_numpy()[j]


def lsdb_build(work: Path, left: Path, right: Path, client: Any, margin_arcsec: float
               ) -> tuple[dict[str, float], dict[str, Path]]:
    from hats_import.catalog.arguments import ImportArguments
    from hats_import.margin_cache.margin_cache_arguments import MarginCacheArguments
    from hats_import.pipeline import pipeline_with_client

    out = fresh(work / "hats")
    times, paths = {}, {}
    for name, f in (("left", left), ("right", right)):
        t0 = time.perf_counter()
        pipeline_with_client(ImportArguments(
            output_path=str(out), output_artifact_name=name, input_file_list=[str(f)],
            file_reader="parquet", ra_column="ra", dec_column="dec",
            tmp_dir=str(fresh(work / f"tmp-{name}")), resume=False, progress_bar=False),
            client)
        times[name] = time.perf_counter() - t0
        paths[name] = out / name
        log(f"  hats-import {name}: {times[name]:.1f} s")
    t0 = time.perf_counter()
    pipeline_with_client(MarginCacheArguments(
        input_catalog_path=str(paths["right"]), output_path=str(out),
        output_artifact_name="right_margin", margin_threshold=margin_arcsec,
        tmp_dir=str(fresh(work / "tmp-margin")), resume=False, progress_bar=False), client)
    times["right_margin"] = time.perf_counter() - t0
    paths["right_margin"] = out / "right_margin"
    log(f"  hats-import margin cache: {times['right_margin']:.1f} s")
    return times, paths


def lsdb_match(paths: dict[str, Path], radius: float, k: int
               ) -> tuple[float, np.ndarray, np.ndarray]:
    import lsdb

    left = lsdb.open_catalog(str(paths["left"]))
    right = lsdb.open_catalog(str(paths["right"]), margin_cache=str(paths["right_margin"]))
    gc.collect()
    t0 = time.perf_counter()
    df = left.crossmatch(right, radius_arcsec=radius, n_neighbors=k,
                         suffixes=("_l", "_r")).compute(progress_bar=False)
    elapsed = time.perf_counter() - t0
    return elapsed, df["id_l"].to_numpy(), df["id_r"].to_numpy()


def big_child(store_dir: str, radius: float) -> None:
    """Run in a child process: the 1e6 x 1e7 match; print time and peak RSS as JSON."""
    import xcat

    store = xcat.Store.open(store_dir)
    t0 = time.perf_counter()
    res = store.xmatch("left", "right_big", radius=radius, density=False, record=True,
                       name="bench_big")
    elapsed = time.perf_counter() - t0
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"match_and_record_s": elapsed, "pairs": res.pairs.num_rows,
                      "peak_rss_gib": peak_kib / 2**20}))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--big-rows", type=int, default=10_000_000)
    p.add_argument("--radius", type=float, default=3.0, help="arcsec")
    p.add_argument("--sigma", type=float, default=0.5, help="counterpart offset, arcsec")
    p.add_argument("--seed", type=int, default=20260521)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out", type=Path, default=HERE / "out" / "xmatch")
    p.add_argument("--quick", action="store_true", help="1e5 rows, no 1e7 run")
    p.add_argument("--skip-lsdb", action="store_true")
    p.add_argument("--skip-astropy", action="store_true")
    p.add_argument("--skip-big", action="store_true")
    p.add_argument("--strict", action="store_true", help="exit 3 when a target is missed")
    p.add_argument("--big-child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.rows, args.skip_big, args.repeats = 100_000, True, 2
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.big_child:
        big_child(args.big_child, args.radius)
        return 0
    import warnings

    warnings.filterwarnings("ignore")
    logging.getLogger("distributed").setLevel(logging.ERROR)
    work = fresh(args.out / "scratch")
    n, r = args.rows, args.radius
    res: dict[str, Any] = {"rows": n, "radius_arcsec": r, "sigma_arcsec": args.sigma,
                           "seed": args.seed, "targets": TARGETS}
    log(f"data: {n:,} x {n:,}, all pairs within {r}\" ({args.sigma}\" offsets for 50%)")
    left, right = make_catalogs(work, n, n, args.seed, args.sigma)
    files = {"left": left, "right": right}
    store, build = xcat_build(work, files)
    res["xcat_build_s"] = build
    times, pairs = xcat_match(store, "left", "right", r, args.repeats)
    res["xcat_match_s"] = {"runs": times, "best": min(times)}
    log(f"  xcat xmatch (read store -> Arrow pairs): best {min(times):.2f} s of {times}")
    t0 = time.perf_counter()
    store.xmatch("left", "right", radius=r, record=True, name="bench")
    res["xcat_match_density_record_s"] = time.perf_counter() - t0
    log(f"  xcat xmatch + local density + p_chance + recorded run: "
        f"{res['xcat_match_density_record_s']:.2f} s")
    li = pairs.column("left_key").cast(pa.int64()).to_numpy()
    rj = pairs.column("right_key").cast(pa.int64()).to_numpy()
    ref = codes(li, rj, n)
    res["pairs"] = len(ref)
    k = int(np.max(pairs.column("n_candidates").to_numpy(), initial=1))
    store.close()
    if not args.skip_astropy:
        t, i, j = astropy_match(left, right, r)
        same = bool(np.array_equal(codes(i, j, n), ref))
        res["astropy_s"], res["astropy_same_pairs"] = t, same
        log(f"  astropy search_around_sky: {t:.2f} s, same pairs: {same}")
    if not args.skip_lsdb:
        from dask.distributed import Client

        client = Client(n_workers=2, threads_per_worker=1, processes=True,
                        dashboard_address=None, local_directory=str(work / "dask"))
        try:
            lb, lp = lsdb_build(work, left, right, client, margin_arcsec=max(10.0, 2 * r))
            res["lsdb_build_s"] = lb
            t, i, j = lsdb_match(lp, r, k)
            same = bool(np.array_equal(codes(i, j, n), ref))
            res["lsdb_s"], res["lsdb_same_pairs"], res["lsdb_n_neighbors"] = t, same, k
            log(f"  lsdb crossmatch (n_neighbors={k}, 2-worker Client): {t:.2f} s, "
                f"same pairs: {same}")
        finally:
            client.close()
    if not args.skip_big:
        nb = args.big_rows
        _, big = make_catalogs(work, n, nb, args.seed, args.sigma)  # same left rows
        import xcat

        with xcat.Store.open(work / "xcat-store" / "s") as s:
            t0 = time.perf_counter()
            s.ingest_table(big, name="right_big", key="id")
            res["xcat_build_big_s"] = time.perf_counter() - t0
        log(f"  xcat ingest right_big ({nb:,} rows): {res['xcat_build_big_s']:.1f} s")
        out = subprocess.run([sys.executable, __file__, "--big-child",
                              str(work / "xcat-store" / "s"), "--radius", str(r)],
                             capture_output=True, text=True, check=True)
        res["big"] = json.loads(out.stdout.strip().splitlines()[-1])
        log(f"  xcat 1e6 x {nb:.0e} (match + recorded run, child process): "
            f"{res['big']['match_and_record_s']:.2f} s, {res['big']['pairs']:,} pairs, "
            f"peak RSS {res['big']['peak_rss_gib']:.2f} GiB")
    best = res["xcat_match_s"]["best"]
    res["ratio_astropy_over_xcat"] = res.get("astropy_s", np.nan) / best
    res["ratio_lsdb_over_xcat"] = res.get("lsdb_s", np.nan) / best
    log(f"ratios: astropy/xcat {res['ratio_astropy_over_xcat']:.1f}x "
        f"(target >= {TARGETS['astropy_over_xcat_min']}), lsdb/xcat "
        f"{res['ratio_lsdb_over_xcat']:.1f}x (target >= {TARGETS['lsdb_over_xcat_min']})")
    (args.out / "results.json").write_text(json.dumps(res, indent=2, default=str))
    log(f"results: {args.out / 'results.json'}")
    wrong = [k for k in ("astropy_same_pairs", "lsdb_same_pairs") if res.get(k) is False]
    if wrong:
        log(f"FAIL: pair sets differ ({', '.join(wrong)})")
        return 1
    missed = (res["ratio_astropy_over_xcat"] < TARGETS["astropy_over_xcat_min"]
              or res["ratio_lsdb_over_xcat"] < TARGETS["lsdb_over_xcat_min"]
              or res.get("big", {}).get("peak_rss_gib", 0) > TARGETS["big_peak_rss_gib_max"])
    return 3 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
