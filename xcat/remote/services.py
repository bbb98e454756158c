"""Remote VO services: where they are, how long to wait, and the one TAP call every
remote ingest makes.

URLs, timeouts and retries live in ``config/services.toml``; a TOML file named by
``$XCAT_SERVICES_CONFIG`` overrides any part of it (the tests point every service at
127.0.0.1 that way). Every failure (no connection, timeout, HTTP error, a TAP error
document, a truncated answer) becomes one ``XcatError`` line naming the service; the
caller fetches and checks before it opens the store, so the store is never touched.
"""

from __future__ import annotations

import hashlib
import io
import os
import time
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xcat import resources
from xcat.errors import XcatError

CONFIG_ENV = "XCAT_SERVICES_CONFIG"
CONFIG_FILE = "services.toml"


@dataclass(frozen=True)
class Service:
    """One remote service: its name in the config, base URL and network settings."""

    name: str
    url: str
    title: str = ""
    timeout: float = 120.0
    retries: int = 3
    backoff: float = 2.0
    schema: str = ""
    protocol: str = ""   # how a product service is asked: "datalink" (default) or "csccli"
    release: str = ""    # csccli: the catalog release of the files (version=rel2.1)

    def label(self) -> str:
        """How errors name the service: ``csc21 (http://cda.cfa.harvard.edu/csc21tap)``."""
        return f"{self.name} ({self.url})"


@dataclass(frozen=True)
class TapAnswer:
    """A checked TAP answer: the rows, the exact bytes received and their SHA-256."""

    service: Service
    adql: str
    table: Any  # astropy.table.Table
    content: bytes

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the response bytes (the catalog's provenance hash)."""
        return hashlib.sha256(self.content).hexdigest()


def load_services() -> dict[str, Service]:
    """Every configured service, the user's ``$XCAT_SERVICES_CONFIG`` file applied.

    Examples
    --------
    >>> load_services()["csc21"].url
    'http://cda.cfa.harvard.edu/csc21tap'

    """
    data = _read_toml(resources.config_dir() / CONFIG_FILE)
    user = os.environ.get(CONFIG_ENV)
    if user:
        override = _read_toml(Path(user).expanduser())
        data.setdefault("defaults", {}).update(override.get("defaults", {}))
        for name, entry in override.get("services", {}).items():
            data.setdefault("services", {}).setdefault(name, {}).update(entry)
    defaults = data.get("defaults", {})
    out = {}
    for name, entry in data.get("services", {}).items():
        merged = {**defaults, **entry}
        if not merged.get("url"):
            raise XcatError(f"services config: service '{name}' has no url")
        try:
            out[name] = Service(name=name, url=str(merged["url"]).rstrip("/"),
                                title=str(merged.get("title", "")),
                                timeout=float(merged.get("timeout", 120)),
                                retries=int(merged.get("retries", 3)),
                                backoff=float(merged.get("backoff", 2.0)),
                                schema=str(merged.get("schema", "")),
                                protocol=str(merged.get("protocol", "")),
                                release=str(merged.get("release", "")))
        except (TypeError, ValueError) as exc:
            raise XcatError(f"services config: service '{name}': {exc}") from exc
        if out[name].timeout <= 0 or out[name].retries < 0 or out[name].backoff < 0:
            raise XcatError(f"services config: service '{name}' needs timeout > 0, "
                            "retries >= 0 and backoff >= 0")
    return out


def get_service(name: str) -> Service:
    """The configured service ``name`` (``csc21``, ``csc20``, ``heasarc``).

    Examples
    --------
    >>> get_service("heasarc").url
    'https://heasarc.gsfc.nasa.gov/xamin/vo/tap'

    """
    services = load_services()
    if name not in services:
        raise XcatError(f"no service '{name}' in the services config "
                        f"(known: {', '.join(sorted(services))})")
    return services[name]


def run_tap(service: Service, adql: str, *, uploads: dict[str, Any] | None = None,
            session: Any = None) -> TapAnswer:
    """Send ``adql`` to the service's TAP ``/sync`` endpoint and return the checked answer.

    Connection errors and HTTP 5xx are retried ``service.retries`` times with
    exponential backoff; a timeout, an HTTP 4xx, a TAP error document
    (``QUERY_STATUS=ERROR``) or a truncated answer (``OVERFLOW``) is not.

    Parameters
    ----------
    service : Service
        Where to send it (see :func:`get_service`).
    adql : str
        The query, sent as it is.
    uploads : dict, optional
        ``{name: astropy Table}`` sent inline as ``tap_upload.<name>``.
    session : requests.Session, optional
        Session to use (default: one that applies ``service.timeout``).

    Examples
    --------
    >>> answer = run_tap(get_service("heasarc"), "SELECT TOP 1 * FROM rass2rxs")
    ... # doctest: +SKIP
    >>> answer.table["name"][0], answer.sha256[:8]                  # doctest: +SKIP

    """
    from pyvo.dal.tap import TAPQuery

    query = TAPQuery(service.url, adql, mode="sync", uploads=uploads or None,
                     session=session or _session(service.timeout))
    content = _fetch(service, query)
    return TapAnswer(service, adql, _parse(service, content), content)


def resolve_name(name: str) -> tuple[float, float]:
    """ICRS (RA, Dec) in degrees of an object name, resolved by Sesame through astropy.

    Offline, or for a name Sesame does not know, raises one ``XcatError`` line.

    Examples
    --------
    >>> resolve_name("M101")                                         # doctest: +SKIP
    (210.802429, 54.34875)

    """
    from astropy.coordinates import SkyCoord

    if not (name or "").strip():
        raise XcatError("--object needs a name (e.g. --object M101)")
    try:
        coord = SkyCoord.from_name(name.strip(), frame="icrs")
    except Exception as exc:  # NameResolveError, no network, a resolver outage ...
        raise XcatError(f"cannot resolve '{name}' to a position with Sesame "
                        f"({first_line(exc)}); give --cone \"RA DEC\" instead") from exc
    return float(coord.ra.deg), float(coord.dec.deg)


def _fetch(service: Service, query: Any) -> bytes:
    """POST the query, retrying connection errors and 5xx; return the body of a 2xx/4xx."""
    import requests

    last = ""
    attempts = service.retries + 1
    for attempt in range(attempts):
        if attempt:
            time.sleep(service.backoff * 2 ** (attempt - 1))
        try:
            response = query.submit()
            content = response.content
        except requests.exceptions.RequestException as exc:
            if _is_read_timeout(exc):
                raise XcatError(f"{service.label()}: no answer within {service.timeout:g} s "
                                "(timeout; raise it in the services config)") from exc
            if not isinstance(exc, requests.exceptions.ConnectionError):
                raise XcatError(f"{service.label()}: request failed ({first_line(exc)})"
                                ) from exc
            last = f"cannot connect ({connection_reason(exc)})"
            continue
        code = response.status_code
        if code < 400:
            return content
        tap_error = _tap_error(content)
        if tap_error:
            raise XcatError(f"{service.label()} rejected the query: {tap_error}")
        if code < 500:
            raise XcatError(f"{service.label()}: HTTP {code} {response.reason}")
        last = f"HTTP {code} {response.reason}"
    raise XcatError(f"{service.label()}: {last} (gave up after {attempts} "
                    f"attempt{'s' if attempts > 1 else ''})")


def _parse(service: Service, content: bytes) -> Any:
    """The result table of a TAP VOTable answer; error documents become ``XcatError``."""
    from astropy.io.votable import parse
    from astropy.units import UnitsWarning
    from pyvo.dal import DALFormatError, DALQueryError, TAPResults

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            votable = parse(io.BytesIO(content), verify="ignore")
        except Exception as exc:
            start = content[:80].decode("utf-8", "replace").strip().splitlines()
            raise XcatError(f"{service.label()}: the answer is not a VOTable "
                            f"({start[0] if start else 'empty answer'})") from exc
        try:
            results = TAPResults(votable, url=service.url)
        except DALQueryError as exc:
            raise XcatError(f"{service.label()} rejected the query: "
                            f"{first_line(exc.reason)}") from exc
        except DALFormatError as exc:
            raise XcatError(f"{service.label()}: malformed answer ({first_line(exc)})"
                            ) from exc
        if results.status[0].lower() == "overflow":
            raise XcatError(f"{service.label()}: the service truncated the answer at "
                            f"{len(results)} rows (QUERY_STATUS=OVERFLOW); use a smaller "
                            "cone or an --adql query with a row limit you choose")
        warnings.simplefilter("ignore", UnitsWarning)
        return results.to_table()


def _tap_error(content: bytes) -> str | None:
    """The message of a TAP error document (``QUERY_STATUS=ERROR``), else None."""
    if b"QUERY_STATUS" not in content[:20000]:
        return None
    from astropy.io.votable import parse

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            votable = parse(io.BytesIO(content), verify="ignore")
    except Exception:
        return None
    infos = list(votable.infos)
    for resource in votable.resources:
        infos.extend(resource.infos)
    for info in infos:
        if info.name.upper() == "QUERY_STATUS" and str(info.value).upper() == "ERROR":
            return first_line(info.content or "no reason given")
    return None


def _session(timeout: float) -> Any:
    """A requests session (pyvo's user agent) that applies ``timeout`` to every request."""
    from pyvo.utils.http import create_session

    session = create_session()
    send = session.request

    def request(method: str, url: str, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", timeout)
        return send(method, url, **kwargs)

    session.request = request
    return session


def _is_read_timeout(exc: Exception) -> bool:
    """A read timeout (requests wraps one met while reading the body as ConnectionError)."""
    import requests
    from urllib3.exceptions import ReadTimeoutError

    if isinstance(exc, requests.exceptions.ReadTimeout):
        return True
    return any(isinstance(a, ReadTimeoutError) for a in getattr(exc, "args", ()))


def connection_reason(exc: Exception) -> str:
    """The useful part of a requests/urllib3 connection error."""
    text = str(exc)
    for marker, reason in (("NameResolutionError", "the host name does not resolve; offline?"),
                           ("Failed to resolve", "the host name does not resolve; offline?"),
                           ("Connection refused", "connection refused"),
                           ("timed out", "connection timed out"),
                           ("Connection reset", "connection reset"),
                           ("RemoteDisconnected", "the server closed the connection")):
        if marker in text:
            return reason
    return first_line(exc)


def first_line(exc: object) -> str:
    """The first line of an error (its type's name when it has no text)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise XcatError(f"{path}: services config not found (${CONFIG_ENV} or {CONFIG_FILE})")
    try:
        return tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise XcatError(f"{path}: not a valid TOML services config ({exc})") from exc
