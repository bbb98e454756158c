"""Data and peers of ``bench/xmatch_bench.py``: the seeded catalogs, the pair-set check,
and astropy ``search_around_sky``, hats-import + LSDB ``crossmatch`` and a plain DuckDB
SQL zone/RA-bucket join, each returning (seconds, left ids, right ids) on the same Parquet
files the bench gives xcat.
"""

from __future__ import annotations

import gc
import math
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

#: astropy on 1e6 x 1e7 needs a few GB; skip it above this estimate.
ASTROPY_MAX_GIB = 12.0


def log(msg: str) -> None:
    print(msg, flush=True)


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def sky(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    return rng.uniform(0, 360, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))


def counterparts(rng: np.random.Generator, ra: np.ndarray, dec: np.ndarray, sigma: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    off = np.hypot(*rng.normal(0, sigma, (2, len(ra))))
    c = SkyCoord(ra * u.deg, dec * u.deg).directional_offset_by(
        rng.uniform(0, 360, len(ra)) * u.deg, off * u.arcsec)
    return np.mod(c.ra.deg, 360), c.dec.deg


def write(path: Path, ra: np.ndarray, dec: np.ndarray, start: int = 0) -> Path:
    pq.write_table(pa.table({"id": np.arange(start, start + len(ra)), "ra": ra, "dec": dec}),
                   path)
    return path


def make_data(work: Path, n_left: int, n_rights: list[int], seed: int, sigma: float
              ) -> tuple[Path, dict[int, Path], dict[str, np.ndarray]]:
    """Left (the same rows for every right size) and one right catalog per size."""
    rng = np.random.default_rng(seed)
    ra1, dec1 = sky(rng, n_left)
    left = write(work / f"left_{n_left}.parquet", ra1, dec1)
    true = np.arange(0, n_left, 2)
    ra_t, dec_t = counterparts(rng, ra1[true], dec1[true], sigma)
    rights, pos = {}, {"ra1": ra1, "dec1": dec1}
    for n in n_rights:
        ra_u, dec_u = sky(np.random.default_rng([seed, n]), n - len(true))
        perm = np.random.default_rng([seed, n, 1]).permutation(n)
        ra2, dec2 = np.concatenate([ra_t, ra_u])[perm], np.concatenate([dec_t, dec_u])[perm]
        rights[n] = write(work / f"right_{n}.parquet", ra2, dec2)
        pos[f"ra2_{n}"], pos[f"dec2_{n}"] = ra2, dec2
    return left, rights, pos


def codes(left_ids: Any, right_ids: Any, n_right: int) -> np.ndarray:
    """One sorted int64 per (left id, right id) pair, to compare pair sets."""
    return np.sort(np.asarray(left_ids, np.int64) * n_right + np.asarray(right_ids, np.int64))


def compare(name: str, got: np.ndarray, ref: np.ndarray, n_right: int, pos: dict[str, Any],
            res: dict[str, Any]) -> None:
    """Record whether a peer's pair set equals xcat's; describe differing pairs."""
    same = bool(np.array_equal(got, ref))
    res[f"{name}_pairs"], res[f"{name}_same_pairs"] = len(got), same
    if same:
        return
    from astropy import units as u
    from astropy.coordinates import SkyCoord

    diff = []
    for label, codes_ in (("only_xcat", np.setdiff1d(ref, got)),
                          ("only_" + name, np.setdiff1d(got, ref))):
        for c in codes_[:20]:
            i, j = divmod(int(c), n_right)
            c1 = SkyCoord(pos["ra1"][i] * u.deg, pos["dec1"][i] * u.deg)
            c2 = SkyCoord(pos[f"ra2_{n_right}"][j] * u.deg, pos[f"dec2_{n_right}"][j] * u.deg)
            diff.append({"in": label, "left_id": i, "right_id": j,
                         "sep_arcsec": float(c1.separation(c2).arcsec),
                         "left": [float(c1.ra.deg), float(c1.dec.deg)],
                         "right": [float(c2.ra.deg), float(c2.dec.deg)]})
    res[f"{name}_diff"] = {"only_xcat": len(np.setdiff1d(ref, got)),
                           "only_peer": len(np.setdiff1d(got, ref)), "examples": diff}
    log(f"  !! {name}: pair set differs from xcat's: {res[f'{name}_diff']}")


def make_huge(work: Path, n_left: int, n_right: int, seed: int, sigma: float,
              chunk: int = 10_000_000) -> tuple[Path, Path]:
    """Left ``n_left`` uniform rows; right ``n_right`` rows written chunk by chunk into one
    Parquet file (row groups of 1e6): counterparts of every other left row, then uniform.
    """
    rng = np.random.default_rng([seed, 8])
    ra1, dec1 = sky(rng, n_left)
    left = write(work / f"left_{n_left}.parquet", ra1, dec1)
    true = np.arange(0, n_left, 2)
    ra_t, dec_t = counterparts(rng, ra1[true], dec1[true], sigma)
    del ra1, dec1
    right = work / f"right_{n_right}.parquet"
    schema = pa.schema([("id", pa.int64()), ("ra", pa.float64()), ("dec", pa.float64())])
    with pq.ParquetWriter(right, schema) as w:
        done = 0
        while done < n_right:
            m = min(chunk, n_right - done)
            ra, dec = sky(rng, m)
            if done == 0:
                k = min(m, len(ra_t))
                ra[:k], dec[:k] = ra_t[:k], dec_t[:k]
            w.write_table(pa.table({"id": np.arange(done, done + m), "ra": ra, "dec": dec},
                                   schema=schema), row_group_size=1_000_000)
            done += m
    return left, right


def astropy_estimate_gib(n_left: int, n_right: int) -> float:
    """Rough peak of search_around_sky: SkyCoords + cartesian copies + KD-tree (~350 B/row)."""
    return 350.0 * (n_left + n_right) / 2**30


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


def hats_import(work: Path, files: dict[str, Path], client: Any, margin_of: str,
                margin_arcsec: float, log: Any) -> tuple[dict[str, float], dict[str, Path]]:
    """hats-import catalogs of ``files`` (name -> Parquet) and a margin cache of one."""
    from hats_import.catalog.arguments import ImportArguments
    from hats_import.margin_cache.margin_cache_arguments import MarginCacheArguments
    from hats_import.pipeline import pipeline_with_client

    out = fresh(work / "hats")
    times, paths = {}, {}
    for name, f in files.items():
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
        input_catalog_path=str(paths[margin_of]), output_path=str(out),
        output_artifact_name=f"{margin_of}_margin", margin_threshold=margin_arcsec,
        tmp_dir=str(fresh(work / "tmp-margin")), resume=False, progress_bar=False), client)
    times[f"{margin_of}_margin"] = time.perf_counter() - t0
    paths["margin"] = out / f"{margin_of}_margin"
    log(f"  hats-import margin cache of {margin_of} ({margin_arcsec}\"): "
        f"{times[f'{margin_of}_margin']:.1f} s")
    return times, paths


def lsdb_match(left: Path, right: Path, margin: Path, radius: float, k: int
               ) -> tuple[float, np.ndarray, np.ndarray]:
    """LSDB crossmatch (k nearest within the radius; k = the most candidates any left
    row has, so every pair is returned), computed on the running dask Client.
    """
    import lsdb

    lc = lsdb.open_catalog(str(left))
    rc = lsdb.open_catalog(str(right), margin_cache=str(margin))
    gc.collect()
    t0 = time.perf_counter()
    df = lc.crossmatch(rc, radius_arcsec=radius, n_neighbors=k,
                       suffixes=("_l", "_r")).compute(progress_bar=False)
    elapsed = time.perf_counter() - t0
    return elapsed, df["id_l"].to_numpy(), df["id_r"].to_numpy()


# Declination zones of height H = K radii; in each zone, RA buckets at least K times as
# wide as the largest RA half-width ``alpha`` of a radius-cap centred anywhere in that zone
# or its two neighbours (so a pair's right row lies in the left row's zone +-1 and, in that
# zone's bucketing, in the left row's bucket +-1, modulo the bucket count: RA 0/360 wraps;
# near the poles a zone has one bucket). A left row is sent only to the cells its cap can
# reach (the next zone when dec +- radius crosses the zone edge, the next bucket when
# ra +- alpha crosses the bucket edge; ~1.2 cells per row for K = 20), joined on
# (zone, bucket) equality, then the exact great-circle (Vincenty) test.
DUCKDB_SQL = """
WITH zones AS (
  SELECT z, alpha, greatest(1, floor(360.0 / (1.0001 * $k * alpha)))::BIGINT AS nb
  FROM (SELECT z, CASE WHEN d + $r >= 89.9 THEN 360.0
                  ELSE degrees(asin(sin(radians($r)) / cos(radians(d)))) END AS alpha
        FROM (SELECT range AS z, least(90.0, greatest(abs(-90.0 + range * $h),
                                                      abs(-90.0 + (range + 1) * $h)) + $h) AS d
              FROM range($nz)))
), r AS (
  SELECT id, ra, dec, zones.z, (floor(ra * nb / 360.0)::BIGINT) % nb AS b
  FROM (SELECT id, ra, dec, least(floor((dec + 90.0) / $h)::BIGINT, $nz - 1) AS z
        FROM read_parquet($right)) t JOIN zones USING (z)
), lz AS (
  SELECT id, ra, dec, least(floor((dec + 90.0) / $h)::BIGINT, $nz - 1) AS z0
  FROM read_parquet($left)
), l0 AS (
  SELECT id, ra, dec, z0 AS z FROM lz
  UNION ALL SELECT id, ra, dec, z0 - 1 FROM lz WHERE dec - $pad < -90.0 + z0 * $h
  UNION ALL SELECT id, ra, dec, z0 + 1 FROM lz WHERE dec + $pad >= -90.0 + (z0 + 1) * $h
), l1 AS (
  SELECT id, ra, dec, l0.z, nb, alpha * 1.0001 AS a, 360.0 / nb AS w,
         (floor(ra * nb / 360.0)::BIGINT) % nb AS b0
  FROM l0 JOIN zones USING (z)
), l AS (
  SELECT id, ra, dec, z, unnest(list_distinct([b0,
           CASE WHEN ra - a < b0 * w THEN (b0 + nb - 1) % nb ELSE b0 END,
           CASE WHEN ra + a >= (b0 + 1) * w THEN (b0 + 1) % nb ELSE b0 END])) AS b
  FROM l1
)
SELECT id_l, id_r FROM (
  SELECT l.id AS id_l, r.id AS id_r,
         atan2(sqrt(pow(cos(radians(r.dec)) * sin(radians(r.ra - l.ra)), 2)
                    + pow(cos(radians(l.dec)) * sin(radians(r.dec))
                          - sin(radians(l.dec)) * cos(radians(r.dec))
                            * cos(radians(r.ra - l.ra)), 2)),
               sin(radians(l.dec)) * sin(radians(r.dec))
               + cos(radians(l.dec)) * cos(radians(r.dec)) * cos(radians(r.ra - l.ra))
         ) AS sep
  FROM l JOIN r ON l.z = r.z AND l.b = r.b
) WHERE degrees(sep) <= $r
"""

#: Zone height and bucket width in radii (resp. cap half-widths).
DUCKDB_K = 20


def duckdb_match(left: Path, right: Path, radius: float, threads: int
                 ) -> tuple[float, np.ndarray, np.ndarray]:
    """The SQL above on the two Parquet files, to an Arrow table (a fresh connection)."""
    import duckdb

    r = radius / 3600.0
    h = DUCKDB_K * r
    nz = math.ceil(180.0 / h)
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute("SET enable_progress_bar = false")
    params = {"r": r, "h": h, "nz": nz, "k": DUCKDB_K, "pad": r * (1 + 1e-9) + 1e-12,
              "left": str(left), "right": str(right)}
    gc.collect()
    t0 = time.perf_counter()
    t = con.sql(DUCKDB_SQL, params=params).to_arrow_table()
    elapsed = time.perf_counter() - t0
    con.close()
    return elapsed, t["id_l"].to_numpy(), t["id_r"].to_numpy()
