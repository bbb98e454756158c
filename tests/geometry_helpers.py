"""Helpers shared by the geometry property tests (not a test module).

Independent oracles live here: random points on the sphere and in spherical caps
(sampled with numpy, distances checked with astropy ``SkyCoord.separation``) and a
brute-force cone search over every row of a catalog.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import healpy as hp
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord

# Points whose brute-force separation is this close to the radius are floating-point
# ties: xcat and astropy may round them to opposite sides of the circle, so they
# are left out of the comparison (they may or may not be returned).
TIE_ARCSEC = 1e-9


def uniform_sphere(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniform on the sphere, (ra, dec) in degrees."""
    ra = rng.uniform(0.0, 360.0, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    return ra, dec


def offset_points(ra0: float | np.ndarray, dec0: float | np.ndarray, sep_deg: np.ndarray,
                  pa_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points at ``sep_deg`` along position angle ``pa_deg`` from (ra0, dec0) (astropy).

    Arrays broadcast: one centre and many offsets, or one offset per centre.
    """
    c = SkyCoord(np.asarray(ra0) * u.deg, np.asarray(dec0) * u.deg)
    off = c.directional_offset_by(np.asarray(pa_deg) * u.deg, np.asarray(sep_deg) * u.deg)
    ra = np.mod(off.ra.deg, 360.0)
    dec = np.clip(off.dec.deg, -90.0, 90.0)
    return ra, dec


def cap_points(rng: np.random.Generator, ra0: float, dec0: float, radius_deg: float, n: int,
               edge_fraction: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points in the spherical cap of ``radius_deg`` around (ra0, dec0).

    Area-uniform in the cap, except ``edge_fraction`` of them sit within a relative
    1e-12..1e-6 of the rim (where a prefilter that under-covers would lose them).
    Rounding can push a point just outside: callers filter with astropy.
    """
    r = np.radians(radius_deg)
    cos_s = 1.0 - rng.uniform(0.0, 1.0, n) * (1.0 - np.cos(r))
    sep = np.degrees(np.arccos(np.clip(cos_s, -1.0, 1.0)))
    n_edge = int(n * edge_fraction)
    sep[:n_edge] = radius_deg * (1.0 - 10.0 ** rng.uniform(-12, -6, n_edge))
    sep[0] = 0.0
    return offset_points(ra0, dec0, sep, rng.uniform(0.0, 360.0, n))


def separation_arcsec(ra0: float, dec0: float, ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """Great-circle distance in arcsec from astropy ``SkyCoord.separation``."""
    return SkyCoord(ra0 * u.deg, dec0 * u.deg).separation(
        SkyCoord(np.asarray(ra) * u.deg, np.asarray(dec) * u.deg)).arcsec


class BruteForce:
    """Every row of a catalog, searched by astropy separation (the oracle)."""

    def __init__(self, ids: np.ndarray, ra: np.ndarray, dec: np.ndarray):
        self.ids = np.asarray(ids)
        self.ra = np.asarray(ra, dtype=np.float64)
        self.dec = np.asarray(dec, dtype=np.float64)
        self.coords = SkyCoord(self.ra * u.deg, self.dec * u.deg)

    def separations(self, ra0: float, dec0: float) -> np.ndarray:
        """Arcsec from (ra0, dec0) to every row."""
        return SkyCoord(ra0 * u.deg, dec0 * u.deg).separation(self.coords).arcsec

    def cone(self, ra0: float, dec0: float, radius_deg: float) -> tuple[set, set]:
        """``(inside, ties)``: ids within the radius, and ids too close to call."""
        sep = self.separations(ra0, dec0)
        r = radius_deg * 3600.0
        tie = np.abs(sep - r) <= TIE_ARCSEC
        inside = (sep <= r) & ~tie
        return set(self.ids[inside].tolist()), set(self.ids[tie].tolist())


def assert_same_ids(got: np.ndarray | list, oracle: tuple[set, set], what: str = "") -> None:
    """``got`` must equal the brute-force ids, ignoring floating ties; no duplicates."""
    inside, ties = oracle
    got = list(np.asarray(got).tolist())
    assert len(got) == len(set(got)), f"{what}: duplicate rows returned"
    got_set = set(got) - ties
    missing = sorted(inside - got_set)
    extra = sorted(got_set - inside)
    assert not missing and not extra, (
        f"{what}: {len(missing)} missing (e.g. {missing[:5]}), {len(extra)} extra "
        f"(e.g. {extra[:5]}) vs brute force ({len(inside)} rows)")


def pixel_vertices(order: int, pixel: int, step: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(ra, dec) of the corners (``step=1``) and edge points of a nested pixel (healpy)."""
    vec = hp.boundaries(1 << order, pixel, step=step, nest=True)
    ra, dec = hp.vec2ang(vec.T, lonlat=True)
    return np.mod(ra, 360.0), dec


def read_partitions(store, catalog: str) -> list[tuple[int, int]]:
    """``(order, pixel)`` rows of a catalog's ``partition_info.csv`` (live version)."""
    text = (store.catalog_dir(catalog) / "partition_info.csv").read_text()
    return [tuple(int(x) for x in line.split(",")) for line in text.split()[1:]]


def write_input(path: Path, ids: np.ndarray, ra: np.ndarray, dec: np.ndarray,
                rng: np.random.Generator) -> Path:
    """Write an input Parquet table (id, ra, dec, mag, flag) for ``ingest_table``."""
    n = len(ids)
    table = pa.table({"id": pa.array(ids, pa.int64()), "ra": ra, "dec": dec,
                      "mag": rng.normal(20.0, 2.0, n), "flag": rng.integers(0, 4, n)})
    pq.write_table(table, path)
    return path


@contextmanager
def small_row_groups(row_group_size: int) -> Iterator[None]:
    """Make ``ingest_table`` write Parquet row groups of ``row_group_size`` rows.

    So that one partition file holds many row groups and the cone search's
    row-group statistics filter is exercised too.
    """
    from xcat.catalog import hats as hats_writer

    original = hats_writer.write_catalog

    def write_catalog(*args, **kwargs):
        kwargs["row_group_size"] = row_group_size
        return original(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(hats_writer, "write_catalog", write_catalog)
        yield
