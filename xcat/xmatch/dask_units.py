"""The cross-match units on a Dask cluster (``xcat xmatch --engine dask``).

One Dask task per right partition runs :func:`xcat.xmatch.engine.unit_candidates`, the
kernel the thread pool runs, so both schedulers give the same pairs. A task carries the
left rows of its unit (positions, errors, ``_healpix_29``: the left side is an X-ray
catalog, read once here) and reads the right partition and its margin cache from the
store's files on the worker, so a right catalog far larger than this machine is never
read here. (A right side read through SQL, such as an X-ray catalog, has no files of its
own: its unit's rows travel with the task.) Each task writes its candidates as Parquet
in a staging folder under the store's ``runs/``; they are read back here as the units
finish and scored here, because ranks, mutual best pairs and association probabilities
need every candidate of a source. The run is recorded only when every unit has
finished; the staging folder is removed whatever happens.

Why Dask directly and not LSDB's ``crossmatch(algorithm=...)``: xcat's units are its
right partitions plus the left rows in them *and* the left rows in no right partition
near them (pairs LSDB's partition alignment drops), and the candidates carry row
numbers for scoring; LSDB's custom algorithms see one aligned partition pair at a time
and return a joined frame.

Examples
--------
>>> with client_for(None, 2) as client:                             # doctest: +SKIP
...     store.xmatch("erass1", "gaia", radius="3arcsec", engine="dask", client=client)

"""

from __future__ import annotations

import shutil
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from xcat.errors import XcatError
from xcat.remote.cluster import check_paths, client_for, distributed
from xcat.store import layout
from xcat.store.faults import crash_point
from xcat.store.upkeep import StagingLock
from xcat.xmatch.engine import Candidates, Plan, RightSide, Rows, unit_candidates
from xcat.xmatch.stored import StoredRight


@dataclass
class GivenUnit:
    """One unit's right rows, computed here (a right side without files of its own)."""

    own: Rows
    margin: Rows | None
    lo: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    hi: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))

    def unit(self, i: int, radius_deg: float) -> tuple[Rows, Rows | None]:
        """The rows given (``i`` is 0)."""
        return self.own, self.margin


def run_unit(left: Rows, left_h29: np.ndarray, right: RightSide, i: int, radius_deg: float,
             n_inside: int, order: int, out: str) -> int:
    """A Dask task: the candidates of one unit, left rows numbered within ``left`` (its
    first ``n_inside`` rows lie in the partition, the others are orphans near it),
    written as Parquet to ``out``; returns their number.
    """
    crash_point("dask_unit")
    n = len(left)
    c = unit_candidates(left, left_h29, right, i, radius_deg, np.arange(n_inside),
                        np.arange(n_inside, n), order)
    pq.write_table(pa.table({"left": c.left, "right_sigma": c.right_sigma,
                             "right_key": c.right_key, "sep": c.sep, "pa": c.pa}), out)
    return len(c.left)


def read_unit(path: Path) -> Candidates:
    """A unit's candidates as :func:`run_unit` wrote them."""
    t = pq.read_table(path)
    return Candidates(t.column("left").to_numpy(), t.column("right_sigma").to_numpy(),
                      t.column("right_key").combine_chunks(), t.column("sep").to_numpy(),
                      t.column("pa").to_numpy())


@dataclass
class DaskUnits:
    """Runs the units on the cluster of ``client`` (a ``distributed.Client``); the
    workers write each unit's candidates as Parquet in a staging folder of the store at
    ``root`` (``runs/.staging-dask-units-<token>/``, removed when the match ends; a
    killed client's is a leftover the next write session removes).
    """

    client: Any
    root: Path
    #: Tasks submitted so far (for the report).
    submitted: int = 0

    def units(self, left: Rows, left_h29: np.ndarray, right: RightSide, radius_deg: float,
              plan: Plan, todo: list[int], orders: np.ndarray) -> Iterator[Candidates]:
        """Submit one task per unit; yield each unit's candidates as it completes."""
        dist = distributed()
        files = isinstance(right, StoredRight)
        token = uuid.uuid4().hex[:12]
        folder = layout.run_staging_dir(self.root, "dask-units", token)
        # the store (for the candidates) and the right catalog's files (a registered HATS
        # catalog may live elsewhere) must be seen by every worker
        check_paths(self.client, [self.root] + ([right.cat.folder] if files else []))
        rows_of: dict[str, np.ndarray] = {}
        futures: list[Any] = []
        try:
            with StagingLock(self.root, token):
                folder.mkdir(parents=True)
                for i in todo:
                    futures.append(self._submit(left, left_h29, right, radius_deg, plan, i,
                                                int(orders[i]), folder, token, rows_of))
                self.submitted += len(futures)
                for fut in dist.as_completed(futures):
                    fut.result()
                    path = folder / f"{fut.key}.parquet"
                    c = read_unit(path)
                    path.unlink()
                    c.left = rows_of.pop(fut.key)[c.left]
                    fut.release()
                    yield c
        except dist.KilledWorker as exc:
            raise XcatError("a Dask worker died while matching (it ran out of memory or was "
                            "killed; see the worker logs): nothing was recorded") from exc
        except OSError as exc:  # a connection to the scheduler or a worker was lost
            raise XcatError(f"the Dask cluster failed while matching "
                            f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                            "): nothing was recorded") from exc
        finally:  # an error, a limit or Ctrl-C: the units still running are cancelled
            self.client.cancel([f for f in futures if f.key in rows_of])
            shutil.rmtree(folder, ignore_errors=True)

    def _submit(self, left: Rows, left_h29: np.ndarray, right: RightSide, radius_deg: float,
                plan: Plan, i: int, order: int, folder: Path, token: str,
                rows_of: dict[str, np.ndarray]) -> Any:
        sub = np.concatenate([plan.inside[i], plan.orphans[i]])
        rows = Rows(left.ra[sub], left.dec[sub], left.sigma[sub])
        if isinstance(right, StoredRight):
            side, at = right, i  # read on the worker
        else:
            own, margin = right.unit(i, radius_deg)
            side, at = GivenUnit(own, margin, right.lo[i:i + 1], right.hi[i:i + 1]), 0
        key = f"xcat-unit-{i}-{token}"
        # the unit's left rows are part of its task (not scattered): a task whose worker
        # dies is run again elsewhere, which scattered data would not allow
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Sending large graph")
            fut = self.client.submit(run_unit, rows, left_h29[sub], side, at, radius_deg,
                                     len(plan.inside[i]), order,
                                     str(folder / f"{key}.parquet"), pure=False, key=key)
        rows_of[key] = sub
        return fut


@contextmanager
def scheduler_for(root: Path, engine: str, client: Any = None, scheduler: str | None = None,
                  workers: int | None = None) -> Iterator[DaskUnits | None]:
    """Where a match on the store at ``root`` runs: None for ``engine="local"`` (the
    thread pool), else the units on ``client``, on the scheduler at ``scheduler``, or on
    a local cluster of ``workers`` processes started and closed here.
    """
    if engine == "local":
        if client is not None or scheduler is not None or workers is not None:
            raise XcatError("--scheduler and --workers go with --engine dask")
        yield None
        return
    if engine != "dask":
        raise XcatError(f"unknown engine '{engine}' (local or dask)")
    if client is not None:
        if scheduler is not None or workers is not None:
            raise XcatError("give a Dask client, or --scheduler/--workers, not both")
        yield DaskUnits(client, root)
        return
    with client_for(scheduler, workers) as made:
        yield DaskUnits(made, root)
