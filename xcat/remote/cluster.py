"""A Dask cluster for the work that no longer fits one machine (``--engine dask``).

``client_for(None, n)`` starts a ``LocalCluster`` with ``n`` worker processes on
127.0.0.1 and closes it afterwards; ``client_for("tcp://host:8786", None)`` connects to
a running scheduler (``dask scheduler`` / ``dask worker``, or dask-jobqueue on SLURM)
and leaves it running. Workers read the store's catalogs by path, so the store must be
on storage every worker sees: :func:`check_paths` asks each worker and names the one
that cannot.

Examples
--------
>>> with client_for(None, 2) as client:                            # doctest: +SKIP
...     check_paths(client, [store.path])

"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from xcat.errors import XcatError

#: Seconds to wait for a scheduler before giving up.
CONNECT_TIMEOUT = 10
#: Default local worker processes.
LOCAL_WORKERS = 2


def distributed() -> Any:
    """The ``distributed`` package, or a clear error naming the extra to install."""
    try:
        import distributed as dist
    except ImportError as exc:
        raise XcatError("--engine dask needs the dask extra: pip install 'xcat[dask]'") from exc
    return dist


@contextmanager
def client_for(scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """A ``distributed.Client``: connected to ``scheduler``, or to a local cluster of
    ``workers`` processes (default :data:`LOCAL_WORKERS`) started here and closed on exit.
    """
    dist = distributed()
    if scheduler is not None and workers is not None:
        raise XcatError("give --scheduler (a running cluster) or --workers (a local one), "
                        "not both")
    if workers is not None and not workers >= 1:
        raise XcatError(f"--workers {workers} must be at least 1")
    if scheduler is not None:
        try:
            client = dist.Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise XcatError(f"cannot reach the Dask scheduler at {scheduler} "
                            f"({str(exc).splitlines()[0] if str(exc) else type(exc).__name__}):"
                            " start one with 'dask scheduler' and 'dask worker ADDRESS'") from exc
        try:
            yield client
        finally:
            client.close()
        return
    cluster = dist.LocalCluster(n_workers=workers or LOCAL_WORKERS, threads_per_worker=1,
                                processes=True, host="127.0.0.1", dashboard_address=":0")
    client = dist.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def check_paths(client: Any, paths: list[Path]) -> None:
    """Refuse when a worker cannot see one of ``paths`` (the store is not on shared
    storage).
    """
    wanted = [str(Path(p).resolve()) for p in paths]
    seen = client.run(_sees, wanted)
    for worker, ok in sorted(seen.items()):
        missing = [p for p, yes in zip(wanted, ok, strict=True) if not yes]
        if missing:
            raise XcatError(f"Dask worker {worker} cannot see {missing[0]}: the store must be "
                            "on storage every worker shares (a network or cluster file "
                            "system mounted at the same path)")


def _sees(paths: list[str]) -> list[bool]:
    return [Path(p).exists() for p in paths]
