"""Plain HTTP for product services: one GET for a small answer (a DataLink links
table) and resumable, checksummed downloads of product files.

Both use ``requests`` with the service's timeout, retries and backoff from the services
config (:mod:`xcat.remote.services`). Every failure is one ``XcatError`` line naming the
URL: no connection, a timeout, an HTTP error status, a file cut short, a checksum that
does not match.

A download goes to ``<file>.part`` first. When the connection drops, the bytes received
stay there and the next attempt (a retry, or the next run) asks for the rest with an
HTTP ``Range`` header; a server that ignores it sends the whole file again, which
replaces the partial one. A finished file is checked (size, then the stated checksum)
and only then renamed to its final name, so a file under its final name is always
complete. A checksum mismatch removes the partial file and raises.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xcat.errors import XcatError
from xcat.remote.services import Service, connection_reason, first_line

#: Suffix of a file still being downloaded.
PART_SUFFIX = ".part"
#: Bytes read per chunk.
CHUNK = 1 << 16


@dataclass(frozen=True)
class Fetched:
    """A complete file on disk and what was checked about it."""

    path: Path
    sha256: str
    size: int
    downloaded: int          # bytes added by this call (0: the file was already there)
    resumed_from: int        # bytes already in the .part file when the call began


def get_bytes(service: Service, url: str, params: dict[str, str] | None = None,
              *, session: Any = None) -> bytes:
    """Body of a GET to ``url`` (connection errors and 5xx retried; 4xx and timeouts not).

    Examples
    --------
    >>> get_bytes(service, "http://127.0.0.1:8080/links", {"ID": "x"})  # doctest: +SKIP

    """
    def once() -> bytes:
        response = _request(service, session, url, params=params)
        try:
            _check_status(service, url, response)
            return response.content
        finally:
            response.close()

    return _with_retries(service, url, once)


def fetch_file(service: Service, url: str, dest: Path, *, expected_size: int | None = None,
               checksum: str | None = None, session: Any = None,
               on_bytes: Callable[[int], None] | None = None) -> Fetched:
    """Download ``url`` to ``dest`` (resuming ``dest.part``), check it, return what it is.

    Parameters
    ----------
    service : Service
        Timeout, retries and backoff (and the name errors use).
    url : str
        The file's URL.
    dest : Path
        Final path. When it exists already it is not downloaded again: its SHA-256 is
        returned (and checked against ``checksum``).
    expected_size : int, optional
        Size the product service stated, bytes; a complete file of another size is an
        error.
    checksum : str, optional
        ``"sha256:<hex>"`` or ``"md5:<hex>"`` the service stated; a mismatch removes
        the partial file and raises.
    session : requests.Session, optional
        Session to use (default: a plain ``requests.get``).
    on_bytes : callable, optional
        Called with the number of bytes of each chunk written (progress).

    Examples
    --------
    >>> fetch_file(service, url, Path("products/x_lc3.fits")).sha256  # doctest: +SKIP

    """
    algo, want = parse_checksum(checksum)
    if dest.exists():
        sha, digest, size = file_digests(dest, algo)
        _verify(url, dest, size, expected_size, algo, want, digest, remove=False)
        return Fetched(dest, sha, size, 0, size)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + PART_SUFFIX)
    start = part.stat().st_size if part.exists() else 0
    if not (expected_size is not None and start == expected_size):  # else: all there
        _with_retries(service, url, lambda: _download(service, session, url, part, on_bytes))
    sha, digest, size = file_digests(part, algo)
    _verify(url, part, size, expected_size, algo, want, digest, remove=True)
    part.replace(dest)
    return Fetched(dest, sha, size, size - start, start)


def parse_checksum(text: str | None) -> tuple[str | None, str | None]:
    """``("sha256", hex)`` from ``"sha256:<hex>"`` (also md5, or a bare 64/32-digit hex);
    ``(None, None)`` for none or an algorithm xcat cannot check (it is then not checked).

    Examples
    --------
    >>> parse_checksum("SHA256:AB12")
    ('sha256', 'ab12')
    >>> parse_checksum("d41d8cd98f00b204e9800998ecf8427e")
    ('md5', 'd41d8cd98f00b204e9800998ecf8427e')
    >>> parse_checksum("crc32:1234"), parse_checksum(None)
    ((None, None), (None, None))

    """
    if not text or not str(text).strip():
        return None, None
    algo, sep, value = str(text).strip().partition(":")
    if not sep:
        algo, value = {64: "sha256", 32: "md5"}.get(len(algo), ""), algo
    algo = algo.lower().replace("-", "")
    value = value.strip().lower()
    if algo not in ("sha256", "md5") or not re.fullmatch(r"[0-9a-f]+", value):
        return None, None
    return algo, value


def file_digests(path: Path, algo: str | None = None) -> tuple[str, str | None, int]:
    """SHA-256 of a file, its ``algo`` digest too (md5 or sha256), and its size."""
    sha = hashlib.sha256()
    other = hashlib.md5(usedforsecurity=False) if algo == "md5" else None
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk)
            if other is not None:
                other.update(chunk)
            size += len(chunk)
    hexdigest = sha.hexdigest()
    return hexdigest, (other.hexdigest() if other is not None else
                       hexdigest if algo == "sha256" else None), size


# ---------------------------------------------------------------------------- internals
def _download(service: Service, session: Any, url: str, part: Path,
              on_bytes: Callable[[int], None] | None) -> int:
    """One request: append the rest of the file to ``part``; return the bytes written."""
    have = part.stat().st_size if part.exists() else 0
    headers = {"Accept-Encoding": "identity"}  # byte ranges of the file itself
    if have:
        headers["Range"] = f"bytes={have}-"
    response = _request(service, session, url, headers=headers, stream=True)
    try:
        if have and response.status_code == 416:  # nothing left to send: restart cleanly
            part.unlink()
            raise _RetryableError("the server refused to resume (HTTP 416)")
        _check_status(service, url, response)
        resumed = have and response.status_code == 206
        total = _total_size(response, have if resumed else 0)
        written = 0
        # a connection closed early ends the body (the size is checked below) instead of
        # raising with the last bytes read still unwritten
        if hasattr(response.raw, "enforce_content_length"):
            response.raw.enforce_content_length = False
        with part.open("ab" if resumed else "wb") as f:
            try:
                for chunk in response.iter_content(CHUNK):
                    f.write(chunk)
                    written += len(chunk)
                    if on_bytes:
                        on_bytes(len(chunk))
            except Exception as exc:
                if not _is_network_error(exc):
                    raise
                got = (have if resumed else 0) + written
                if _is_timeout(exc):
                    raise XcatError(f"{service.name}: {url}: no data for {service.timeout:g} s "
                                    f"after {got} bytes (timeout); the partial file is kept "
                                    "and the next run resumes it") from exc
                raise _CutError(got, total) from exc
        got = (have if resumed else 0) + written
        if total is not None and got < total:
            raise _CutError(got, total)
        return written
    finally:
        response.close()


class _RetryableError(Exception):
    """A failure worth another attempt (connection refused/reset, HTTP 5xx, a cut)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class _CutError(_RetryableError):
    def __init__(self, got: int, total: int | None):
        of = f" of {total}" if total is not None else ""
        super().__init__(f"the connection dropped after {got}{of} bytes; the partial file "
                         "is kept and the next run resumes it")


def _with_retries(service: Service, url: str, attempt: Callable[[], Any]) -> Any:
    attempts = service.retries + 1
    last = ""
    for i in range(attempts):
        if i:
            time.sleep(service.backoff * 2 ** (i - 1))
        try:
            return attempt()
        except _RetryableError as exc:
            last = exc.message
    raise XcatError(f"{service.name}: {url}: {last} (gave up after {attempts} "
                    f"attempt{'s' if attempts > 1 else ''})")


def _request(service: Service, session: Any, url: str, **kwargs: Any) -> Any:
    """``session.get`` with the service's timeout; network failures as ``_RetryableError`` or
    ``XcatError`` (a timeout is not retried: the service said nothing for that long).
    """
    import requests

    http = session or requests
    try:
        return http.get(url, timeout=service.timeout, **kwargs)
    except requests.exceptions.RequestException as exc:
        if _is_timeout(exc):
            raise XcatError(f"{service.name}: {url}: no answer within {service.timeout:g} s "
                            "(timeout; raise it in the services config)") from exc
        if isinstance(exc, requests.exceptions.ConnectionError):
            raise _RetryableError(f"cannot connect ({connection_reason(exc)})") from exc
        raise XcatError(f"{service.name}: {url}: request failed ({first_line(exc)})"
                        ) from exc


def _check_status(service: Service, url: str, response: Any) -> None:
    code = response.status_code
    if code < 400:
        return
    if code >= 500:
        raise _RetryableError(f"HTTP {code} {response.reason}")
    hint = " (no such product at the service)" if code in (404, 410) else ""
    raise XcatError(f"{service.name}: {url}: HTTP {code} {response.reason}{hint}")


def _total_size(response: Any, offset: int) -> int | None:
    """Full size of the file from Content-Range (206) or Content-Length (200)."""
    crange = response.headers.get("Content-Range", "")
    if "/" in crange and crange.rsplit("/", 1)[1].strip().isdigit():
        return int(crange.rsplit("/", 1)[1])
    length = response.headers.get("Content-Length")
    if length and length.isdigit() and "Content-Encoding" not in response.headers:
        return offset + int(length)
    return None


def _verify(url: str, path: Path, size: int, expected_size: int | None, algo: str | None,
            want: str | None, got: str | None, *, remove: bool) -> None:
    problem = None
    if expected_size is not None and size != expected_size:
        problem = f"has {size} bytes, the service stated {expected_size}"
    elif want is not None and got != want:
        problem = f"{algo} {got} does not match the service's {want}"
    if problem is None:
        return
    if remove:
        path.unlink(missing_ok=True)
    raise XcatError(f"{url}: the downloaded file {problem}; "
                    + ("it was removed and not registered" if remove else
                       f"{path} is not registered (remove it to fetch it again)"))


def _is_network_error(exc: Exception) -> bool:
    import requests
    from urllib3.exceptions import HTTPError as Urllib3Error

    return isinstance(exc, requests.exceptions.RequestException | Urllib3Error | OSError)


def _is_timeout(exc: Exception) -> bool:
    import requests
    from urllib3.exceptions import ReadTimeoutError

    if isinstance(exc, requests.exceptions.Timeout):
        return True
    return any(isinstance(a, ReadTimeoutError) for a in getattr(exc, "args", ()))
