"""Asynchronous TAP queries: an in-memory UWS 1.1 job list (IVOA Universal Worker Service).

A job holds its TAP parameters (and uploaded tables) and moves PENDING -> QUEUED ->
EXECUTING -> COMPLETED / ERROR / ABORTED. Jobs run on a few worker threads of their own
(``workers``), so async queries never take the threads the sync endpoint answers with;
an ABORT (or the job's executionDuration) interrupts its DuckDB query. The list keeps at
most ``max_jobs`` jobs and ``max_bytes`` of results and uploads; a job and its result are
removed at its destruction time (one day after creation by default). Nothing is written
to disk: a restart forgets the jobs. The HTTP resources are in :mod:`xcat.server.uws_routes`.

Examples
--------
>>> jobs = JobList(service, workers=2)                             # doctest: +SKIP
>>> job = jobs.create({"QUERY": "SELECT TOP 5 * FROM csc"}, {})    # doctest: +SKIP
>>> jobs.run(job.id)                                               # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from xcat.errors import XcatError

log = logging.getLogger("xcat.server")

PENDING, QUEUED, EXECUTING = "PENDING", "QUEUED", "EXECUTING"
COMPLETED, ERROR, ABORTED = "COMPLETED", "ERROR", "ABORTED"
ACTIVE = (PENDING, QUEUED, EXECUTING)
FINISHED = (COMPLETED, ERROR, ABORTED)
PHASES = (*ACTIVE, *FINISHED, "HELD", "SUSPENDED", "UNKNOWN", "ARCHIVED")
#: Defaults: worker threads, jobs kept, bytes of results and uploads kept, job lifetime.
WORKERS, MAX_JOBS, MAX_BYTES, LIFETIME = 2, 1000, 500_000_000, timedelta(days=1)
#: The latest destruction time a client may ask for, after creation.
MAX_LIFETIME = timedelta(days=7)


class Querier(Protocol):
    """What runs a job: ``TapService.query``."""

    def query(self, params: dict[str, str], parts: dict[str, bytes] | None = None,
              started: Callable[[Callable[[], None]], None] | None = None,
              ) -> tuple[bytes, str]:
        """Run one TAP request: (body, media type)."""


class NoSuchJobError(LookupError):
    """No job with this id (never was, deleted, or destroyed)."""


def now() -> datetime:
    """The time now, UTC."""
    return datetime.now(UTC)


def iso(t: datetime) -> str:
    """UTC ISO 8601 with milliseconds and Z, as UWS shows times."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def parse_time(text: str) -> datetime:
    """An ISO 8601 time (UTC unless it says otherwise); ``XcatError`` if it is not one."""
    try:
        t = datetime.fromisoformat(text.strip())
    except ValueError:
        raise XcatError(f"{text!r} is not an ISO 8601 time (e.g. 2025-01-31T12:00:00Z)") from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


@dataclass(eq=False)
class Job:
    """One asynchronous query and what became of it."""

    id: str
    params: dict[str, str]
    parts: dict[str, bytes]
    created: datetime
    destruction: datetime
    duration: int
    run_id: str | None = None
    phase: str = PENDING
    started: datetime | None = None
    ended: datetime | None = None
    result: bytes | None = None
    media: str | None = None
    error: str | None = None
    #: Bumped at each phase change (what a blocking WAIT watches).
    version: int = 0
    interrupt: Callable[[], None] | None = field(default=None, repr=False)
    stop: str | None = None  # why the query was interrupted: "abort" or "duration"
    running: bool = False  # a worker runs its query

    def size(self) -> int:
        """Bytes held: the result and the uploaded tables."""
        return len(self.result or b"") + sum(len(v) for v in self.parts.values())


class JobList:
    """The service's jobs, in memory, run by ``workers`` threads of their own."""

    def __init__(self, service: Querier, *, workers: int = WORKERS,
                 max_jobs: int = MAX_JOBS, max_bytes: int = MAX_BYTES,
                 lifetime: timedelta = LIFETIME, timeout_s: float = 60.0):
        self.service = service
        self.workers = workers
        self.max_jobs = max_jobs
        self.max_bytes = max_bytes
        self.lifetime = lifetime
        #: The longest executionDuration (the service's time limit), whole seconds.
        self.max_duration = max(1, int(timeout_s))
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._todo: deque[Job] = deque()  # jobs handed to the workers, in order
        self._ready = threading.Condition(self._lock)
        self._threads: list[threading.Thread] = []
        self._busy = 0  # jobs EXECUTING (each has a worker, or one is about to take it)

    # ------------------------------------------------------------------ the list
    def create(self, params: dict[str, str], parts: dict[str, bytes]) -> Job:
        """A new PENDING job with ``params`` (by upper-case name) and uploaded ``parts``;
        ``PHASE=RUN`` among them queues it at once.
        """
        params = dict(params)
        run = params.pop("PHASE", "").upper() == "RUN"
        run_id = params.pop("RUNID", None)
        t = now()
        t = t.replace(microsecond=t.microsecond // 1000 * 1000)  # as shown (AFTER=)
        job = Job(id=secrets.token_urlsafe(12), params=params, parts=dict(parts), created=t,
                  destruction=t + self.lifetime, duration=self.max_duration, run_id=run_id)
        with self._lock:
            self._sweep()
            self._make_room(job.size())
            self._jobs[job.id] = job
        if run:
            self.run(job.id)
        return job

    def get(self, job_id: str) -> Job:
        """The job ``job_id`` (``NoSuchJobError``)."""
        with self._lock:
            self._sweep()
            try:
                return self._jobs[job_id]
            except KeyError:
                raise NoSuchJobError(job_id) from None

    def jobs(self, phases: list[str] | None = None, after: datetime | None = None,
             last: int | None = None) -> list[Job]:
        """The jobs (UWS 1.1 filters): in one of ``phases``, created after ``after``, the
        ``last`` most recently created; newest first when ``last`` is given, else oldest
        first.
        """
        with self._lock:
            self._sweep()
            out = sorted(self._jobs.values(), key=lambda j: j.created)
        if phases:
            out = [j for j in out if j.phase in phases]
        if after is not None:
            out = [j for j in out if j.created > after]
        if last is not None:
            out = out[::-1][:last]
        return out

    def delete(self, job_id: str) -> None:
        """Remove a job and its result (an executing query is interrupted)."""
        with self._lock:
            job = self._jobs.pop(job_id, None)
            if job is None:
                raise NoSuchJobError(job_id)
            self._abort(job)

    def _sweep(self) -> None:
        """Remove jobs past their destruction time (lock held)."""
        t = now()
        for job in [j for j in self._jobs.values() if j.destruction <= t]:
            del self._jobs[job.id]
            self._abort(job)

    def _make_room(self, size: int) -> None:
        """Drop the oldest finished jobs while the list is full or would hold more than
        ``max_bytes`` with ``size`` more (lock held); refuse, dropping nothing, when the
        unfinished jobs alone leave no room.
        """
        done = sorted((j for j in self._jobs.values() if j.phase in FINISHED),
                      key=lambda j: j.created)
        active = len(self._jobs) - len(done)
        if active >= self.max_jobs:
            raise XcatError(f"the service holds {self.max_jobs} unfinished jobs; "
                            f"delete some or try later")
        held = sum(j.size() for j in done)
        if sum(j.size() for j in self._jobs.values()) - held + size > self.max_bytes:
            raise XcatError(f"the jobs' uploads and results would exceed "
                            f"{self.max_bytes // 1_000_000} MB; delete some jobs")
        total = sum(j.size() for j in self._jobs.values()) + size
        while done and (len(self._jobs) >= self.max_jobs or total > self.max_bytes):
            old = done.pop(0)
            total -= old.size()
            del self._jobs[old.id]

    # ------------------------------------------------------------------ one job
    def _changed(self, job: Job, phase: str) -> None:
        job.phase = phase
        job.version += 1

    def set_params(self, job_id: str, params: dict[str, str],
                   parts: dict[str, bytes]) -> Job:
        """Change a PENDING job's parameters (and add uploaded tables)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise NoSuchJobError(job_id)
            if job.phase != PENDING:
                raise XcatError(f"job {job_id} is {job.phase}: parameters may only change "
                                f"while it is PENDING")
            params = dict(params)
            params.pop("PHASE", None)
            if "RUNID" in params:
                job.run_id = params.pop("RUNID")
            extra = sum(len(v) for v in parts.values())
            self._make_room(extra)
            job.params.update(params)
            job.parts.update(parts)
            return job

    def set_duration(self, job_id: str, text: str) -> Job:
        """Set executionDuration in whole seconds (0 or more than the service's limit: the
        service's limit).
        """
        try:
            seconds = int(text)
        except ValueError:
            raise XcatError(f"EXECUTIONDURATION={text!r} is not a whole number of "
                            f"seconds") from None
        with self._lock:
            job = self.get_locked(job_id)
            if job.phase != PENDING:
                raise XcatError(f"job {job_id} is {job.phase}: executionDuration may only "
                                f"change while it is PENDING")
            job.duration = self.max_duration if seconds <= 0 else min(seconds,
                                                                      self.max_duration)
            return job

    def set_destruction(self, job_id: str, text: str) -> Job:
        """The destruction time (at most ``MAX_LIFETIME`` after creation)."""
        when = parse_time(text)
        with self._lock:
            job = self.get_locked(job_id)
            job.destruction = min(when, job.created + MAX_LIFETIME)
            return job

    def get_locked(self, job_id: str) -> Job:
        """``get`` with the lock held (no sweep)."""
        job = self._jobs.get(job_id)
        if job is None:
            raise NoSuchJobError(job_id)
        return job

    def run(self, job_id: str) -> Job:
        """PHASE=RUN: queue a PENDING job (other phases: nothing changes)."""
        with self._lock:
            job = self.get_locked(job_id)
            if job.phase != PENDING:
                return job
            self._start_workers()
            if self._busy < self.workers and not self._todo:
                # a worker is idle: the job is EXECUTING from now (a client's next WAIT
                # then waits for its end, not for a worker to pick it up)
                self._busy += 1
                job.started = now()
                self._changed(job, EXECUTING)
            else:
                self._changed(job, QUEUED)
            self._todo.append(job)
            self._ready.notify()
        return job

    def abort(self, job_id: str) -> Job:
        """PHASE=ABORT: a job not yet finished ends ABORTED (its query is interrupted)."""
        with self._lock:
            job = self.get_locked(job_id)
            self._abort(job)
            return job

    def _abort(self, job: Job) -> None:
        """(lock held)"""
        if job.phase in (PENDING, QUEUED):
            job.ended = now()
            job.error = "the job was aborted before it ran"
            self._changed(job, ABORTED)
        elif job.phase == EXECUTING and job.stop is None:
            job.stop, job.ended, job.error = "abort", now(), "the job was aborted"
            self._changed(job, ABORTED)  # now; its worker is free once the query stops
            self._interrupt(job)

    def _interrupt(self, job: Job) -> None:
        """Interrupt the job's query every 0.1 s while it runs (at most 10 s)."""
        def repeat() -> None:
            for _ in range(100):
                with self._lock:
                    if not job.running:
                        return
                    if job.interrupt is not None:
                        with contextlib.suppress(Exception):  # the query just ended
                            job.interrupt()
                time.sleep(0.1)

        threading.Thread(target=repeat, daemon=True).start()

    # ------------------------------------------------------------------ workers
    def _start_workers(self) -> None:
        """(lock held) Daemon threads: a running query never holds up the process's exit."""
        while len(self._threads) < self.workers:
            t = threading.Thread(target=self._work, name=f"uws-{len(self._threads)}",
                                 daemon=True)
            self._threads.append(t)
            t.start()

    def _work(self) -> None:
        while True:
            with self._ready:
                while not self._todo:
                    self._ready.wait()
                job = self._todo.popleft()
                if job.phase == QUEUED:
                    self._busy += 1
                    job.started = now()
                    self._changed(job, EXECUTING)
                elif job.stop is not None:  # aborted once handed to a worker
                    self._busy -= 1
                    continue
                elif job.phase != EXECUTING:
                    continue  # aborted or deleted while queued
                job.running = True
            try:
                self._execute(job)
            except Exception:  # never let a worker die
                log.exception("UWS job %s failed", job.id)
            finally:
                with self._lock:
                    self._busy -= 1

    def _execute(self, job: Job) -> None:
        """Run an EXECUTING job's query; record its result or error."""
        def started(interrupt: Callable[[], None]) -> None:
            with self._lock:
                job.interrupt = interrupt
                if job.stop is not None:
                    raise XcatError("stopped before it started")

        def over_time() -> None:
            with self._lock:
                if job.stop is None and job.running:
                    job.stop = "duration"
                    self._interrupt(job)

        timer = threading.Timer(job.duration, over_time)
        timer.daemon = True
        timer.start()
        body, media, error = None, None, None
        try:
            body, media = self.service.query(job.params, job.parts, started=started)
        except XcatError as exc:
            error = str(exc)
        except Exception:
            log.exception("UWS job %s failed", job.id)
            error = "internal error while running the query (see the server log)"
        finally:
            timer.cancel()
        with self._lock:
            job.interrupt, job.running = None, False
            job.parts = {}  # uploads are not needed any more
            if job.stop == "abort":
                return  # ABORTED since the ABORT
            job.ended = now()
            if job.stop == "duration":
                error = (f"the query ran longer than the job's executionDuration "
                         f"({job.duration} s) and was stopped")
            if error is None and body is not None and job.id in self._jobs:
                del self._jobs[job.id]  # room for the result, counting the others
                try:
                    self._make_room(len(body))
                except XcatError as exc:
                    error = str(exc)
                self._jobs[job.id] = job
            if error is not None:
                job.error = error
                self._changed(job, ERROR)
            else:
                job.result, job.media = body, media
                self._changed(job, COMPLETED)
