# SPDX-License-Identifier: GPL-3.0-or-later
"""Small hostile servers the security tests make for themselves (no tests here).

- `HostileServer`: an HTTP(S) server on loopback whose answers each test writes: a GraphQL handler
  by operation name, storage routes that stream without end, lie about their length or name files
  `../x.py`, redirects. It records every request it receives (method, path, headers).
- `RecordingProxy`: an HTTP proxy on 127.0.0.1 that records whatever reaches it (plain requests and
  CONNECT tunnels) and answers 502: a test that sets HTTP(S)_PROXY to it expects zero requests.
- `self_signed_certificate`: a certificate for 127.0.0.1/localhost made with the openssl CLI.
"""
from __future__ import annotations

import http.server
import json
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

KEY = "hostile-test-key-0123456789"
MIB = 1024 * 1024


@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    operation: str | None = None


@dataclass
class Reply:
    """What a route answers. `body` may be bytes or an iterable of byte chunks (sent chunked)."""
    status: int = 200
    headers: dict = field(default_factory=dict)
    body: object = b""


def graphql(data: dict) -> Reply:
    return Reply(200, {"Content-Type": "application/json"}, json.dumps({"data": data}).encode())


def chunks(total: int, size: int = 64 * 1024):
    """`total` bytes in chunks of `size` (a stream that, for a client, has no announced end)."""
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        yield b"\0" * n
        sent += n


Route = Callable[["Handler", bytes], Reply]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, *args):  # quiet
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        operation = None
        if body[:1] == b"{":
            try:
                operation = json.loads(body).get("operationName")
            except ValueError:
                pass
        seen = Seen(self.command, self.path, dict(self.headers), operation)
        self.server.owner.seen.append(seen)
        route = self.server.owner.route_for(self.command, self.path.split("?")[0], operation)
        reply = route(self, body) if route else Reply(404, {}, b"no such route")
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        try:
            if isinstance(reply.body, (bytes, bytearray)):
                if "Content-Length" not in reply.headers:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            else:  # an iterable of chunks, sent chunked (whatever Content-Length the route claimed)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in reply.body:
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = _handle


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    owner: "HostileServer"


class _Server6(_Server):
    address_family = socket.AF_INET6


class HostileServer:
    """A loopback server with routes set by the test; `seen` lists every request it received."""

    def __init__(self, host: str = "127.0.0.1", certificate: tuple[Path, Path] | None = None):
        server_class = _Server6 if ":" in host else _Server
        self.httpd = server_class((host, 0), Handler)
        self.httpd.owner = self
        self.scheme = "http"
        if certificate is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(certificate[0]), str(certificate[1]))
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.host = host
        self.port = self.httpd.server_address[1]
        self.seen: list[Seen] = []
        self.routes: dict[tuple[str, str], Route] = {}
        self.operations: dict[str, Route] = {}
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def endpoint(self) -> str:
        return self.base_url + "/ugc/graphql"

    def url(self, path: str, host: str | None = None) -> str:
        if host is None:
            return self.base_url + path
        return f"{self.scheme}://{host}:{self.port}{path}"

    def route(self, method: str, path: str, route: Route) -> None:
        self.routes[(method, path)] = route

    def answer(self, operation: str, data_or_route) -> None:
        """The GraphQL answer to `operation` (a data dict, or a route for anything else)."""
        self.operations[operation] = data_or_route if callable(data_or_route) else \
            (lambda handler, body, data=data_or_route: graphql(data))

    def route_for(self, method: str, path: str, operation: str | None) -> Route | None:
        if (method, path) in self.routes:
            return self.routes[(method, path)]
        if method == "POST" and path == "/ugc/graphql" and operation in self.operations:
            return self.operations[operation]
        return None

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path.split("?")[0] == path]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _record(self):
        self.server.seen.append(Seen(self.command, self.path, dict(self.headers)))  # type: ignore[attr-defined]
        self.send_response(502)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    do_GET = do_POST = do_PUT = do_CONNECT = _record


class RecordingProxy:
    """An HTTP proxy on 127.0.0.1 that forwards nothing: it notes each request and answers 502."""

    def __init__(self):
        self.httpd = _Server(("127.0.0.1", 0), _ProxyHandler)
        self.httpd.seen = []  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def seen(self) -> list[Seen]:
        return self.httpd.seen  # type: ignore[attr-defined]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """(certificate, private key) for CN 127.0.0.1 with 127.0.0.1, ::1 and localhost as names."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key


def ipv6_loopback_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


# -- canned API answers --------------------------------------------------------------------------

def job_answer(job_id: str, outputs: list[dict], name: str | None = "walk") -> dict:
    """A FINISHED job as getJob answers it; outputs as {key, format, type, url}."""
    return {"getJob": {
        "id": job_id, "name": name, "state": "FINISHED", "metadata": "{}", "created": None,
        "progress": {"state": "FINISHED", "percentageComplete": 100},
        "inputs": None, "rig": None, "take": {"id": "take-1"}, "client": None,
        "outputs": [{"key": o["key"], "format": o.get("format", o["key"]),
                     "file": {"id": f"file-{i}", "type": o["type"], "presignedUrl": o["url"],
                              "name": None, "created": None, "metadata": None}}
                    for i, o in enumerate(outputs)]}}


def file_answer(operation_field: str, url: str, file_id: str = "file-up-1") -> dict:
    return {operation_field: {"id": file_id, "type": "mp4", "presignedUrl": url, "name": "walk.mp4",
                              "created": None, "metadata": None, "client": None, "thumbnailUrl": None}}


CLIENT_ANSWER = {"client": {"id": "client-hostile", "name": "hostile", "created": None, "portal": None,
                            "metadata": None}}
