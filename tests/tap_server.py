"""A local TAP service for offline tests: a threaded ``http.server`` on 127.0.0.1 that
implements the TAP ``/sync`` endpoint (GET, POST form, POST multipart with UPLOAD),
records every request, and answers with whatever the test's responder returns.

pyvo talks to it exactly as to a real service; nothing leaves the machine.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from astropy.io.votable import from_table, parse_single_table
from astropy.io.votable.tree import Info


@dataclass
class TapRequest:
    """One request the service received."""

    method: str
    path: str
    params: dict[str, str]
    uploads: dict[str, bytes] = field(default_factory=dict)

    @property
    def query(self) -> str:
        return self.params.get("QUERY", "")

    def upload_table(self, name: str):
        """An uploaded table (``UPLOAD=name,param:part``) as an astropy Table."""
        spec = dict(item.split(",", 1) for item in self.params["UPLOAD"].split(";"))
        part = spec[name].removeprefix("param:")
        return parse_single_table(io.BytesIO(self.uploads[part])).to_table()


@dataclass
class Reply:
    """What the service sends back."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/x-votable+xml"
    delay: float = 0.0


Responder = Callable[[TapRequest], Reply]


class TapServer:
    """``with TapServer(responder) as tap:`` serves ``tap.url``; ``tap.requests`` lists calls."""

    def __init__(self, responder: Responder):
        self.responder = responder
        self.requests: list[TapRequest] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_GET(self):
                parts = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(parts.query).items()}
                self._answer(TapRequest("GET", parts.path, params))

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                ctype = self.headers.get("Content-Type", "")
                params, uploads = {}, {}
                if ctype.startswith("multipart/form-data"):
                    msg = BytesParser(policy=email_policy).parsebytes(
                        f"Content-Type: {ctype}\r\n\r\n".encode() + body)
                    for part in msg.iter_parts():
                        name = part.get_param("name", header="content-disposition")
                        data = part.get_payload(decode=True)
                        if part.get_filename() is not None:
                            uploads[name] = data
                        else:
                            params[name] = data.decode()
                else:
                    params = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                self._answer(TapRequest("POST", urlsplit(self.path).path, params, uploads))

            def _answer(self, request: TapRequest) -> None:
                server.requests.append(request)
                reply = server.responder(request)
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> TapServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def votable_bytes(table, *, status: str = "OK", message: str = "") -> bytes:
    """A TAP result document: RESOURCE type="results" with INFO QUERY_STATUS."""
    vot = from_table(table)
    resource = vot.resources[0]
    resource.type = "results"
    info = Info(name="QUERY_STATUS", value=status)
    info.content = message or None
    resource.infos.append(info)
    out = io.BytesIO()
    vot.to_xml(out)
    return out.getvalue()


def error_document(message: str) -> bytes:
    """A TAP error document (QUERY_STATUS=ERROR), as services send for a bad query."""
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<VOTABLE version="1.3" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">\n'
            b'<RESOURCE type="results">\n'
            b'<INFO name="QUERY_STATUS" value="ERROR">' + message.encode() + b'</INFO>\n'
            b'</RESOURCE>\n</VOTABLE>\n')
