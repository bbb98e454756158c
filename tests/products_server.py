"""A local product service for offline tests: a threaded ``http.server`` on 127.0.0.1
(a free port) with a DataLink ``/links?ID=...`` endpoint, the CSC archive's
``/csccli/browse?packageset=...`` (file names as JSON; ``[]`` for an unknown packageset),
and product files served under ``/csccli/retrieveFile?filename=...`` (the CSC's
file-service URL shape) and ``/files/``.

Files honour HTTP ``Range`` (206 Partial Content). Each file has a behaviour the test
sets: ``ok``; ``cut`` (send the headers with the full length, then half the bytes, then
close; later requests are answered normally); ``404``; ``slow`` (wait before answering);
``no-range`` (ignore Range, always send the whole file). Every request is recorded.

All products served are synthetic (made by the tests); nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
import io
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

import numpy as np
from astropy.io import fits
from astropy.io.votable import from_table
from astropy.table import MaskedColumn, Table


class _Quiet(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that hung up (timeout and cut tests) is expected


@dataclass
class Served:
    """One file the server holds."""

    body: bytes
    mode: str = "ok"
    delay: float = 0.0
    cuts_left: int = 1


@dataclass
class Seen:
    method: str
    path: str
    params: dict[str, str]
    range: str | None


@dataclass
class ProductServer:
    """``with ProductServer() as srv:``; ``srv.files[name] = Served(...)``; ``srv.links``."""

    links: dict[str, bytes] = field(default_factory=dict)   # ID -> links VOTable
    browse: dict[str, bytes] = field(default_factory=dict)  # csccli packageset -> answer
    files: dict[str, Served] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)

    def __post_init__(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                parts = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(parts.query).items()}
                server.requests.append(Seen("GET", parts.path, params,
                                            self.headers.get("Range")))
                if parts.path == "/links":
                    body = server.links.get(params.get("ID", ""))
                    if body is None:
                        return self._send(404, b"no such ID", "text/plain")
                    return self._send(200, body, "application/x-votable+xml;content=datalink")
                if parts.path == "/csccli/browse":
                    body = server.browse.get(params.get("packageset", ""), b"[]")
                    return self._send(200, body, "application/json")
                name = params.get("filename") or parts.path.rsplit("/", 1)[-1]
                served = server.files.get(name)
                if served is None or served.mode == "404":
                    return self._send(404, b"not found", "text/plain")
                if served.delay:
                    time.sleep(served.delay)
                return self._file(served)

            def _file(self, served: Served):
                body, start = served.body, 0
                rng = self.headers.get("Range")
                if rng and served.mode != "no-range":
                    start = int(rng.removeprefix("bytes=").split("-")[0])
                if start:
                    self.send_response(206)
                    self.send_header("Content-Range",
                                     f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Type", "application/fits")
                self.send_header("Content-Length", str(len(body) - start))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                rest = body[start:]
                try:
                    if served.mode == "cut" and served.cuts_left > 0:
                        served.cuts_left -= 1
                        self.wfile.write(rest[: len(rest) // 2])
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    self.wfile.write(rest)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _send(self, status, body, ctype):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

        self._httpd = _Quiet(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> ProductServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def file_url(self, name: str, filetype: str) -> str:
        """The CSC retrieveFile URL shape for a served file."""
        return (f"{self.url}/csccli/retrieveFile?version=rel2.1&filetype={filetype}"
                f"&filename={quote(name)}")

    def file_requests(self, name: str) -> list[Seen]:
        return [r for r in self.requests
                if r.params.get("filename") == name or r.path.endswith("/" + name)]


def links_votable(source_id: str, rows: list[dict]) -> bytes:
    """A DataLink 1.1 links document: the standard columns plus ``checksum``.

    Each row: access_url, semantics, content_type, content_length (None: unknown),
    description, and optional error_message, service_def, checksum.
    """
    def col(name, default=""):
        return [r.get(name, default) or "" for r in rows]

    lengths = [r.get("content_length") for r in rows]
    table = Table()
    table["ID"] = [source_id] * len(rows)
    table["access_url"] = col("access_url")
    table["service_def"] = col("service_def")
    table["error_message"] = col("error_message")
    table["semantics"] = col("semantics", "#this")
    table["description"] = col("description")
    table["content_type"] = col("content_type")
    table["content_length"] = MaskedColumn([v or 0 for v in lengths], dtype=np.int64,
                                           mask=[v is None for v in lengths])
    table["checksum"] = col("checksum")
    vot = from_table(table)
    vot.resources[0].type = "results"
    out = io.BytesIO()
    vot.to_xml(out)
    return out.getvalue()


def synthetic_lc(n: int = 400, seed: int = 1) -> bytes:
    """A small FITS light curve (SYNTHETIC: Poisson counts in 100 s bins)."""
    rng = np.random.default_rng(seed)
    time_s = 3.0e8 + 100.0 * np.arange(n)
    counts = rng.poisson(5.0, n)
    hdu = fits.BinTableHDU.from_columns([
        fits.Column("TIME", "D", unit="s", array=time_s),
        fits.Column("COUNTS", "J", unit="count", array=counts),
        fits.Column("COUNT_RATE", "D", unit="count/s", array=counts / 100.0)],
        name="LIGHTCURVE")
    hdu.header["COMMENT"] = "SYNTHETIC light curve made by xcat's tests; not CSC data"
    out = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(out)
    return out.getvalue()


def synthetic_pha(channels: int = 1024, seed: int = 2) -> bytes:
    """A small FITS PHA spectrum (SYNTHETIC: Poisson counts per channel)."""
    rng = np.random.default_rng(seed)
    hdu = fits.BinTableHDU.from_columns([
        fits.Column("CHANNEL", "J", array=np.arange(1, channels + 1)),
        fits.Column("COUNTS", "J", unit="count", array=rng.poisson(3.0, channels))],
        name="SPECTRUM")
    hdu.header["HDUCLASS"] = "OGIP"
    hdu.header["HDUCLAS1"] = "SPECTRUM"
    hdu.header["EXPOSURE"] = 40000.0
    hdu.header["COMMENT"] = "SYNTHETIC spectrum made by xcat's tests; not CSC data"
    out = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(out)
    return out.getvalue()
