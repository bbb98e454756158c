"""The TAP ``/async`` resources (UWS 1.1 over the job list of :mod:`xcat.server.uws`).

=====================================  ==================================================
``GET /async``                         the job list (``uws:jobs``; PHASE=, AFTER=, LAST=)
``POST /async``                        a new job (TAP parameters, uploads; PHASE=RUN
                                       starts it): 303 to the job
``GET /async/{id}``                    the job (``uws:job``); WAIT=seconds blocks while
                                       it is active (PHASE=: while in that phase)
``POST /async/{id}``                   ACTION=DELETE: 303 to the list; other parameters
                                       change a PENDING job
``DELETE /async/{id}``                 delete: 303 to the list
``/async/{id}/phase``                  GET the phase; POST PHASE=RUN or ABORT
``/async/{id}/executionduration``      GET; POST EXECUTIONDURATION=seconds
``/async/{id}/destruction``            GET; POST DESTRUCTION=ISO 8601 time
``/async/{id}/quote``, ``/owner``      GET (unknown, no owner: empty)
``/async/{id}/parameters``             GET ``uws:parameters``; POST changes a PENDING job
``/async/{id}/results``                GET ``uws:results``
``/async/{id}/results/result``         GET the result (its own media type)
``/async/{id}/error``                  GET the DALI error document of an ERROR job
=====================================  ==================================================
Unknown jobs are 404; a request the job's state does not allow is 400 (text/plain).
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from xcat.errors import XcatError
from xcat.server import tap, uws
from xcat.server.uws import Job, JobList, NoSuchJobError

NS = ('xmlns:uws="http://www.ivoa.net/xml/UWS/v1.0" '
      'xmlns:xlink="http://www.w3.org/1999/xlink" '
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')
HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
#: The longest a WAIT blocks, seconds.
MAX_WAIT = 60.0
#: How often a blocked WAIT looks at the job: every 5 ms at first, then less often, at
#: least every 0.1 s (seconds).
POLL = (0.005, 1.5, 0.1)


def _time(name: str, t: datetime | None) -> str:
    if t is None:
        return f'  <uws:{name} xsi:nil="true"/>\n'
    return f"  <uws:{name}>{uws.iso(t)}</uws:{name}>\n"


def parameters_xml(job: Job, top: bool = False) -> str:
    """``uws:parameters`` (ids lower-case; ``top``: with the namespaces)."""
    ns = f" {NS}" if top else ""
    out = [f"  <uws:parameters{ns}>\n"]
    for name, value in sorted(job.params.items()):
        out.append(f"    <uws:parameter id={quoteattr(name.lower())}>"
                   f"{escape(_clean(value))}</uws:parameter>\n")
    out.append("  </uws:parameters>\n")
    return "".join(out)


def results_xml(job: Job, base: str, top: bool = False) -> str:
    """``uws:results``: the one result of a COMPLETED job."""
    ns = f" {NS}" if top else ""
    if job.phase != uws.COMPLETED or job.result is None:
        return f"  <uws:results{ns}/>\n"
    href = f"{base}/{job.id}/results/result"
    return (f"  <uws:results{ns}>\n    <uws:result id=\"result\" xlink:type=\"simple\" "
            f"xlink:href={quoteattr(href)} size=\"{len(job.result)}\" "
            f"mime-type={quoteattr(job.media or '')}/>\n  </uws:results>\n")


def job_xml(job: Job, base: str) -> bytes:
    """The ``uws:job`` document (UWS 1.1 element order)."""
    run_id = f"  <uws:runId>{escape(_clean(job.run_id))}</uws:runId>\n" if job.run_id else ""
    error = ""
    if job.phase in (uws.ERROR, uws.ABORTED) and job.error:
        error = ('  <uws:errorSummary type="fatal" hasDetail="true">\n'
                 f"    <uws:message>{escape(_clean(job.error))}</uws:message>\n"
                 "  </uws:errorSummary>\n")
    return (HEAD + f'<uws:job version="1.1" {NS}>\n'
            f"  <uws:jobId>{escape(job.id)}</uws:jobId>\n{run_id}"
            '  <uws:ownerId xsi:nil="true"/>\n'
            f"  <uws:phase>{job.phase}</uws:phase>\n"
            '  <uws:quote xsi:nil="true"/>\n'
            + _time("creationTime", job.created) + _time("startTime", job.started)
            + _time("endTime", job.ended)
            + f"  <uws:executionDuration>{job.duration}</uws:executionDuration>\n"
            + _time("destruction", job.destruction)
            + parameters_xml(job) + results_xml(job, base) + error
            + "</uws:job>\n").encode()


def jobs_xml(jobs: list[Job], base: str) -> bytes:
    """The ``uws:jobs`` list."""
    out = [HEAD, f'<uws:jobs version="1.1" {NS}>\n']
    for job in jobs:
        run_id = (f"    <uws:runId>{escape(_clean(job.run_id))}</uws:runId>\n"
                  if job.run_id else "")
        out.append(f"  <uws:jobref id={quoteattr(job.id)} xlink:type=\"simple\" "
                   f"xlink:href={quoteattr(f'{base}/{job.id}')}>\n"
                   f"    <uws:phase>{job.phase}</uws:phase>\n{run_id}"
                   '    <uws:ownerId xsi:nil="true"/>\n'
                   f"    <uws:creationTime>{uws.iso(job.created)}</uws:creationTime>\n"
                   "  </uws:jobref>\n")
    out.append("</uws:jobs>\n")
    return "".join(out).encode()


def _clean(text: str) -> str:
    """Text without the characters XML 1.0 cannot hold."""
    return "".join(c for c in text if c in "\t\n\r" or ord(c) >= 0x20)


def _xml(body: bytes | str) -> Response:
    return Response(body, media_type="text/xml")


def _text(body: str, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type="text/plain")


def _multi(request: Request, name: str) -> list[str]:
    return [v for k, v in request.query_params.multi_items() if k.upper() == name]


def routes(service: tap.TapService, jobs: JobList | None = None) -> list[Route]:
    """The ``/async`` routes (mounted at ``/tap`` beside ``tap.routes``); ``jobs``: the
    job list (a new one by default, its time limit the service's).
    """
    if jobs is None:
        jobs = JobList(service, timeout_s=service.sandbox.timeout_s)

    def base(request: Request) -> str:
        return str(request.url_for("uws_jobs")).rstrip("/")

    def to_job(request: Request, job_id: str) -> Response:
        return RedirectResponse(f"{base(request)}/{job_id}", status_code=303)

    async def job_list(request: Request) -> Response:
        if request.method == "POST":
            try:
                params, parts = await tap.read_request(request)
                job = jobs.create(params, parts)
            except XcatError as exc:
                return _text(str(exc), 503 if "jobs" in str(exc) else 400)
            except Exception as exc:
                return _text(f"cannot read the request: {exc}", 400)
            return to_job(request, job.id)
        try:
            phases = [p.upper() for p in _multi(request, "PHASE")]
            bad = [p for p in phases if p not in uws.PHASES]
            if bad:
                raise XcatError(f"PHASE={bad[0]!r} is not a UWS phase")
            after = [uws.parse_time(t) for t in _multi(request, "AFTER")]
            last = [int(n) for n in _multi(request, "LAST")]
            if any(n < 0 for n in last):
                raise XcatError("LAST must be >= 0")
        except ValueError:
            return _text("LAST must be a whole number", 400)
        except XcatError as exc:
            return _text(str(exc), 400)
        found = jobs.jobs(phases or None, max(after) if after else None,
                          min(last) if last else None)
        return _xml(jobs_xml(found, base(request)))

    async def job(request: Request) -> Response:
        job_id = request.path_params["job_id"]
        try:
            if request.method == "DELETE":
                jobs.delete(job_id)
                return RedirectResponse(base(request), status_code=303)
            if request.method == "POST":
                params, parts = await tap.read_request(request)
                if params.get("ACTION", "").upper() == "DELETE":
                    jobs.delete(job_id)
                    return RedirectResponse(base(request), status_code=303)
                if "ACTION" in params:
                    return _text(f"ACTION={params['ACTION']!r} is not known (DELETE)", 400)
                jobs.set_params(job_id, params, parts)
                return to_job(request, job_id)
            found = jobs.get(job_id)
            wait = request.query_params.get("WAIT") or request.query_params.get("wait")
            if wait is not None:
                found = await _wait(found, wait, request.query_params.get("PHASE"))
            return _xml(job_xml(found, base(request)))
        except NoSuchJobError:
            return _text(f"no job {job_id!r} (never created, deleted or destroyed)", 404)
        except XcatError as exc:
            return _text(str(exc), 400)

    async def _wait(found: Job, wait: str, phase: str | None) -> Job:
        try:
            seconds = float(wait)
        except ValueError:
            raise XcatError(f"WAIT={wait!r} is not a number of seconds") from None
        seconds = MAX_WAIT if seconds < 0 else min(seconds, MAX_WAIT)
        if found.phase not in uws.ACTIVE or (phase and found.phase != phase.upper()):
            return found
        version, end = found.version, time.monotonic() + seconds
        pause, grow, most = POLL
        while found.version == version and time.monotonic() < end:
            await asyncio.sleep(pause)
            pause = min(pause * grow, most)
        return found

    async def part(request: Request) -> Response:
        job_id, what = request.path_params["job_id"], request.path_params["what"]
        try:
            found = jobs.get(job_id)
            if request.method == "POST":
                params, parts = await tap.read_request(request)
                if what == "phase":
                    value = params.get("PHASE", "").upper()
                    if value == "RUN":
                        jobs.run(job_id)
                    elif value == "ABORT":
                        jobs.abort(job_id)
                    else:
                        return _text("PHASE must be RUN or ABORT", 400)
                elif what == "executionduration":
                    jobs.set_duration(job_id, params.get("EXECUTIONDURATION", ""))
                elif what == "destruction":
                    jobs.set_destruction(job_id, params.get("DESTRUCTION", ""))
                elif what == "parameters":
                    jobs.set_params(job_id, params, parts)
                else:
                    return _text(f"{what} cannot be changed", 405)
                return to_job(request, job_id)
            return _resource(found, what, base(request))
        except NoSuchJobError:
            return _text(f"no job {job_id!r} (never created, deleted or destroyed)", 404)
        except XcatError as exc:
            return _text(str(exc), 400)

    async def result(request: Request) -> Response:
        job_id = request.path_params["job_id"]
        try:
            found = jobs.get(job_id)
        except NoSuchJobError:
            return _text(f"no job {job_id!r} (never created, deleted or destroyed)", 404)
        if found.phase != uws.COMPLETED or found.result is None:
            return _text(f"job {job_id} has no result (it is {found.phase})", 404)
        return Response(found.result, media_type=found.media)

    return [
        Route("/async", job_list, methods=["GET", "POST"], name="uws_jobs"),
        Route("/async/{job_id}", job, methods=["GET", "POST", "DELETE"]),
        Route("/async/{job_id}/results/result", result),
        Route("/async/{job_id}/{what}", part, methods=["GET", "POST"]),
    ]


def _resource(job: Job, what: str, base: str) -> Response:
    """GET ``/async/{id}/{what}``."""
    if what == "phase":
        return _text(job.phase)
    if what == "executionduration":
        return _text(str(job.duration))
    if what == "destruction":
        return _text(uws.iso(job.destruction))
    if what in ("quote", "owner"):
        return _text("")
    if what == "parameters":
        return _xml(HEAD + parameters_xml(job, top=True))
    if what == "results":
        return _xml(HEAD + results_xml(job, base, top=True))
    if what == "error":
        if job.phase not in (uws.ERROR, uws.ABORTED):
            return _text(f"job {job.id} has no error (it is {job.phase})", 404)
        return tap.error(job.error or "the job failed", 200)
    return _text(f"no resource {what!r} (phase, executionduration, destruction, quote, "
                 f"owner, parameters, results, error)", 404)

