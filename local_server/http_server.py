# SPDX-License-Identifier: GPL-3.0-or-later
"""The HTTP side of the local server: GraphQL at /ugc/graphql, presigned transfers, /_faults.

Stdlib ThreadingHTTPServer speaking HTTP/1.1 with keep-alive: every answer carries its length, and
a request body that is not read is either drained or the connection is closed, so the next request
on the same connection never reads leftovers. One log line per request, without query strings
(they hold signatures) and without headers (they hold the key).

What the server serves before authentication (the rule every route follows):
- nothing is parsed before the caller is known: GraphQL reads only the Authorization and
  Content-Length headers, then answers 401 (or 413 past MAX_GRAPHQL_BODY) at once; a transfer checks
  its URL's signature before anything else (403); /_faults checks the caller's address and key;
- when bound to loopback, a request whose Host header names anything but a loopback address or
  `localhost` is refused (403) before it is routed: a web page on another site that re-points its
  DNS name at 127.0.0.1 (DNS rebinding) reaches nothing; presigned URLs are built from the
  server's own configured address, never from the Host header;
- a refused body is drained (bounded) or the connection closed; fault rules and their counts are
  only spent on requests that passed authentication;
- one thread per connection, at most `max_connections` of them: further connections wait in the
  listen queue (LISTEN_BACKLOG), and a connection that sends no complete request head within
  REQUEST_HEAD_TIMEOUT seconds is closed, so idle or half-open connections cannot pile up threads.
After authentication, a query is bounded too (local_server.query_limits: size, depth, width, aliases).
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import mimetypes
import os
import re
import secrets
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

from .faults import FaultBook, FaultRule, FaultSpecError, graphql_fault_body
from .graphql_api import MoveGraphQL, RequestContext, root_field_names
from .query_limits import QueryTooLarge
from .signing import DOWNLOAD_PREFIX, UPLOAD_PREFIX, UrlSigner
from .server_log import log
from .store import Store

GRAPHQL_PATH = "/ugc/graphql"
FAULTS_PATH = "/_faults"
UNAUTHORIZED = {"errors": [{"errorType": "UnauthorizedException",
                            "message": "You are not authorized to make this call."}]}
MAX_GRAPHQL_BODY = 1024 * 1024  # query and variables; the client's largest request is a few KB
MAX_UPLOAD = 5 * 1024 ** 3  # one S3 PUT
DRAIN_LIMIT = 256 * 1024 * 1024  # refused bodies up to this size are read so the client sees the answer
CHUNK = 1024 * 1024
MAX_FAULT_BODY = 64 * 1024
PARTIAL_SUFFIX = ".part"  # an upload being received; left over only by a kill, removed at the next start
LISTEN_BACKLOG = 128  # the socketserver default of 5 overflowed under 50 clients
REQUEST_HEAD_TIMEOUT = 20  # seconds to send a request line and headers (also the keep-alive idle time)
DEFAULT_MAX_CONNECTIONS = 64
HOST_HEADER = re.compile(r"\[([0-9a-f:.]+)\](?::\d+)?|([a-z0-9.\-]+)(?::\d+)?")
FOREIGN_HOST = {"errors": [{"errorType": "ForbiddenException",
                            "message": "This local server answers only requests addressed to a loopback name "
                                       "(127.0.0.1, [::1] or localhost); the Host header named another."}]}
FAULT_ERROR_TYPES = {429: "TooManyRequestsException", 500: "InternalFailure", 502: "BadGateway",
                     503: "ServiceUnavailable", 504: "GatewayTimeout"}
S3_CODES = {403: "AccessDenied", 404: "NoSuchKey", 429: "SlowDown", 500: "InternalError", 503: "SlowDown"}


@dataclass
class ServerParts:
    store: Store
    signer: UrlSigner
    graphql: MoveGraphQL
    faults: FaultBook
    clients_by_key: dict[str, str]  # API key -> client id (in memory only); never an empty key
    base_url: str  # http://host:port as configured: the base of every presigned URL
    host_names: frozenset[str] | None = None  # Host header names accepted besides loopback; None = any


def is_loopback_name(name: str) -> bool:
    """A Host name that can only mean this machine: a loopback address, localhost or *.localhost."""
    if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: never resolved off the machine
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class MoveHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, host: str, port: int, parts: ServerParts | None = None,
                 max_connections: int = DEFAULT_MAX_CONNECTIONS):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._slots = threading.BoundedSemaphore(max_connections)
        self._closing = threading.Event()
        super().__init__((host, port), MoveRequestHandler)
        self.parts = parts

    def process_request(self, request, client_address):
        """Serve the connection in a thread once one of `max_connections` slots is free; until then
        it waits here, and later ones in the listen queue."""
        while not self._slots.acquire(timeout=0.2):
            if self._closing.is_set():
                self.shutdown_request(request)
                return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def shutdown(self):
        self._closing.set()
        super().shutdown()


class MoveRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "MoveLocalServer/1.0"
    timeout = 120  # for a request in progress (its body); waiting for a request: REQUEST_HEAD_TIMEOUT
    # Headers and body go out in separate writes; with Nagle on, each answer would wait ~40 ms
    # for the client's delayed ACK.
    disable_nagle_algorithm = True
    server: MoveHTTPServer

    # -- plumbing ------------------------------------------------------------------------------
    def log_message(self, format, *args):  # noqa: A002 - the default logs the full request line
        pass

    def send_response(self, code, message=None):
        self._status = code
        super().send_response(code, message)

    def handle_one_request(self):
        # Waiting for a request line and headers: a short timeout, so idle and half-open connections
        # give their thread back; _dispatch allows `timeout` for the body once the head is complete.
        self.connection.settimeout(REQUEST_HEAD_TIMEOUT)
        super().handle_one_request()

    def do_GET(self):
        self._dispatch()

    def do_HEAD(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def _dispatch(self) -> None:
        started = time.monotonic()
        self.connection.settimeout(self.timeout)
        self._status, self._note, self._headers_sent = None, "", False
        split = urlsplit(self.path)
        path = split.path
        try:
            if not self._host_allowed():
                self._note = " (foreign Host refused)"
                return self._send_json(403, FOREIGN_HOST, close=not self._discard_body(MAX_GRAPHQL_BODY))
            self._route(path, {k: v[0] for k, v in parse_qs(split.query).items()})
        except (ConnectionError, TimeoutError, socket.timeout):
            self._note = " (connection lost)"
            self.close_connection = True
        except Exception:  # noqa: BLE001 - a bug must not kill the connection thread silently
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            if not self._headers_sent:
                self._send_json(500, {"errors": [{"errorType": "InternalFailure",
                                                  "message": "An internal error occurred in the local server."}]})
        finally:
            elapsed = (time.monotonic() - started) * 1000
            shown = path.encode("ascii", "backslashreplace").decode()
            log(f"{self.command} {shown} {self._status or '-'} {elapsed:.0f}ms{self._note}")

    def _route(self, path: str, query: dict[str, str]) -> None:
        method = self.command
        if path == GRAPHQL_PATH:
            if method == "POST":
                return self._graphql()
            return self._send_json(405, {"message": "POST GraphQL requests here."}, {"Allow": "POST"},
                                   close=self._has_body())
        if path.startswith(UPLOAD_PREFIX) and method == "PUT":
            return self._upload(path, query)
        if path.startswith(DOWNLOAD_PREFIX) and method in ("GET", "HEAD"):
            return self._download(path, query)
        if path == FAULTS_PATH and method in ("GET", "POST", "DELETE"):
            return self._faults()
        self._send_json(404, {"message": "Not found."}, close=self._has_body())

    @property
    def parts(self) -> ServerParts:
        return self.server.parts

    def _has_body(self) -> bool:
        return bool(self.headers.get("Content-Length", "0") not in ("", "0") or self.headers.get("Transfer-Encoding"))

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None,
              close: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if close:
            self.send_header("Connection", "close")  # also sets close_connection
        self.end_headers()
        self._headers_sent = True
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, payload, headers: dict | None = None, close: bool = False) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", headers, close)

    def _send_s3_error(self, status: int, code: str, message: str, close: bool = False) -> None:
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
                f"<RequestId>{secrets.token_hex(8)}</RequestId></Error>").encode()
        self._send(status, body, "application/xml", close=close)

    def _content_length(self) -> int | None:
        """The declared body length, or None after answering 411 for chunked or missing lengths."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self._send_json(411, {"message": "Send a Content-Length; chunked bodies are not accepted."}, close=True)
            return None
        text = self.headers.get("Content-Length")
        if text is None or not text.strip().isdigit():
            self._send_json(411, {"message": "A Content-Length header is required."}, close=True)
            return None
        return int(text)

    def _discard_body(self, limit: int = DRAIN_LIMIT) -> bool:
        """Read and drop a body we refuse, so that the client reads our answer; False = close instead."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return False
        text = self.headers.get("Content-Length", "0")
        if not text.isdigit() or int(text) > limit:
            return False
        left = int(text)
        while left:
            chunk = self.rfile.read(min(CHUNK, left))
            if not chunk:
                return False
            left -= len(chunk)
        return True

    def _client_id(self) -> str | None:
        given = self.headers.get("Authorization") or ""
        found = None
        for key, client_id in self.parts.clients_by_key.items():
            if key and hmac.compare_digest(given.encode(), key.encode()):  # an empty key never matches
                found = client_id
        return found

    def _host_allowed(self) -> bool:
        names = self.parts.host_names
        if names is None:
            return True
        hosts = self.headers.get_all("Host") or []
        if not hosts:
            return True  # an HTTP/1.0 request without Host: not what a browser sends
        match = HOST_HEADER.fullmatch(hosts[0].strip().lower()) if len(hosts) == 1 else None
        if match is None:
            return False
        name = match.group(1) or match.group(2)
        return is_loopback_name(name) or name in names

    def _is_loopback_caller(self) -> bool:
        address = ipaddress.ip_address(self.client_address[0].split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return address.is_loopback

    # -- GraphQL -------------------------------------------------------------------------------
    def _graphql(self) -> None:
        length = self._content_length()
        if length is None:
            return
        if length > MAX_GRAPHQL_BODY:
            return self._send_json(413, {"errors": [{"errorType": "BadRequestException",
                                                     "message": "The request body is too large."}]}, close=True)
        client_id = self._client_id()
        if client_id is None:  # before the body is parsed: an unknown caller costs no CPU
            return self._send_json(401, UNAUTHORIZED, close=not self._discard_body(MAX_GRAPHQL_BODY))
        raw = self.rfile.read(length)
        if len(raw) < length:
            raise ConnectionError("request body cut short")
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = None
        document, errors, operations = None, None, None
        if body is not None:
            try:
                document, errors = self.parts.graphql.parse_request(body)
            except QueryTooLarge as exc:
                return self._send_json(413, {"errors": [{"errorType": "BadRequestException", "message": str(exc)}]})
            if document is not None:
                operations = [body.get("operationName")] + root_field_names(document, body.get("operationName"))
        latency, rule = self.parts.faults.take("graphql", operations)
        if latency:
            time.sleep(latency / 1000)
        if rule is not None and rule.when == "before":
            return self._graphql_fault(rule, None, operations)
        status, payload = self._graphql_answer(client_id, body, document, errors)
        if rule is not None:
            return self._graphql_fault(rule, json.dumps(payload).encode(), operations)
        self._send_json(status, payload)

    def _graphql_answer(self, client_id: str, body, document, errors) -> tuple[int, dict]:
        if body is None:
            return 400, {"errors": [{"errorType": "MalformedHttpRequestException",
                                     "message": "The request body is not a JSON object."}]}
        if errors:
            return 200, {"data": None, "errors": errors}
        return 200, self.parts.graphql.run(document, body, RequestContext(client_id, self.parts.base_url))

    def _graphql_fault(self, rule: FaultRule, answer: bytes | None, operations: list[str] | None) -> None:
        self._note = f" (fault {rule.id}, {rule.when})"
        if rule.errors or rule.data_null:  # HTTP 200 in AppSync's shapes, not an HTTP failure
            self._send_json(200, graphql_fault_body(rule, (operations or [None])[1:]))
        elif rule.drop:
            self.close_connection = True  # no answer at all: the client sees the connection end
            self._status = "dropped"
        elif rule.malformed:
            text = answer if answer else b'{"data": {"'
            self._send(200, text[:max(1, len(text) // 2)], "application/json")
        else:
            error_type = FAULT_ERROR_TYPES.get(rule.status, "InjectedFault")
            self._send_json(rule.status, {"errors": [{"errorType": error_type,
                                                      "message": f"Injected fault: HTTP {rule.status}."}]})

    # -- presigned transfers -------------------------------------------------------------------
    def _transfer_fault_answer(self, rule: FaultRule, upload: bool) -> None:
        self._note = f" (fault {rule.id})"
        close = upload and not self._discard_body()
        if rule.expired:
            self._send_s3_error(403, "AccessDenied", "Request has expired", close=close)
        else:
            self._send_s3_error(rule.status, S3_CODES.get(rule.status, "InjectedFault"),
                                f"Injected fault: HTTP {rule.status}.", close=close)

    def _refuse_signature(self, problem: str, upload: bool) -> None:
        close = upload and not self._discard_body()
        if problem == "expired":
            self._send_s3_error(403, "AccessDenied", "Request has expired", close=close)
        else:
            self._send_s3_error(403, "SignatureDoesNotMatch",
                                "The request signature we calculated does not match the signature you provided.",
                                close=close)

    def _upload(self, path: str, query: dict[str, str]) -> None:
        problem = self.parts.signer.check("PUT", path, query)
        if problem:
            return self._refuse_signature(problem, upload=True)
        latency, rule = self.parts.faults.take("upload")
        if latency:
            time.sleep(latency / 1000)
        if rule is not None and rule.drop:
            return self._drop_upload(rule)
        if rule is not None and (rule.expired or rule.when == "before"):
            return self._transfer_fault_answer(rule, upload=True)
        row = self.parts.store.get_file_for_transfer(unquote(path[len(UPLOAD_PREFIX):]))
        if row is None or row["kind"] != "upload":
            return self._send_s3_error(404, "NoSuchKey", "The specified key does not exist.",
                                       close=not self._discard_body())
        length = self._content_length()
        if length is None:
            return
        if length > MAX_UPLOAD:
            return self._send_s3_error(400, "EntityTooLarge", "One PUT is limited to 5 GiB.", close=True)
        target = Path(row["path"])
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{target.name}.{secrets.token_hex(4)}{PARTIAL_SUFFIX}")
        digest, left = hashlib.md5(), length
        try:
            with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
                while left:
                    chunk = self.rfile.read(min(CHUNK, left))
                    if not chunk:
                        raise ConnectionError("upload cut short")
                    digest.update(chunk)
                    out.write(chunk)
                    left -= len(chunk)
            os.replace(partial, target)
        finally:
            if partial.exists():
                partial.unlink()
        etag = f'"{digest.hexdigest()}"'
        self.parts.store.mark_file_uploaded(row["id"], length, etag)
        if rule is not None:  # a status fault "after": the data is stored, the answer says otherwise
            return self._transfer_fault_answer(rule, upload=False)
        self._send(200, b"", "application/xml", {"ETag": etag})

    def _drop_upload(self, rule: FaultRule) -> None:
        """Read part of the body, then close without an answer: a connection lost mid-upload."""
        self._note, self._status = f" (fault {rule.id})", "dropped"
        self.close_connection = True
        text = self.headers.get("Content-Length", "")
        half = int(text) // 2 if text.isdigit() else CHUNK
        while half > 0:
            chunk = self.rfile.read(min(CHUNK, half))
            if not chunk:
                break
            half -= len(chunk)
        # Closing with unread data makes the kernel reset the connection, as a real cut would.

    def _download(self, path: str, query: dict[str, str]) -> None:
        problem = self.parts.signer.check("GET", path, query)
        if problem:
            return self._refuse_signature(problem, upload=False)
        latency, rule = self.parts.faults.take("download")
        if latency:
            time.sleep(latency / 1000)
        if rule is not None and not rule.drop:
            return self._transfer_fault_answer(rule, upload=False)
        file_id = unquote(path[len(DOWNLOAD_PREFIX):].split("/", 1)[0])
        row = self.parts.store.get_file_for_transfer(file_id)
        target = Path(row["path"]) if row and row["has_data"] else None
        if target is None or not target.is_file():
            return self._send_s3_error(404, "NoSuchKey", "The specified key does not exist.")
        size = target.stat().st_size
        span = self._range(size)
        if span == "unsatisfiable":
            return self._send(416, b"", "application/xml", {"Content-Range": f"bytes */{size}"})
        start, end = span if span else (0, size - 1)
        self.send_response(206 if span else 200)
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(max(0, end - start + 1)))
        self.send_header("Accept-Ranges", "bytes")
        if row["etag"]:
            self.send_header("ETag", row["etag"])
        if span:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        self._headers_sent = True
        if self.command == "HEAD":
            return
        left = end - start + 1
        if rule is not None:  # drop: headers promise everything, half of it arrives, then the line goes dead
            self._note, self.close_connection = f" (fault {rule.id}, dropped)", True
            left //= 2
        with open(target, "rb") as source:
            source.seek(start)
            while left > 0:
                chunk = source.read(min(CHUNK, left))
                if not chunk:
                    break
                self.wfile.write(chunk)
                left -= len(chunk)

    def _range(self, size: int):
        """(start, end) for a satisfiable single `Range: bytes=...`, "unsatisfiable", or None for the whole."""
        header = self.headers.get("Range")
        match = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header or "")
        if not match or not (match.group(1) or match.group(2)):
            return None
        first, last = match.groups()
        if first:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
            if start >= size or (last and int(last) < start):
                return "unsatisfiable"
        else:
            suffix = int(last)
            if suffix == 0:
                return "unsatisfiable"
            start, end = max(0, size - suffix), size - 1
        return start, end

    # -- fault injection -----------------------------------------------------------------------
    def _faults(self) -> None:
        if not self._is_loopback_caller():
            return self._send_json(403, {"error": "fault injection is only open to loopback callers"},
                                   close=not self._discard_body(MAX_FAULT_BODY))
        if self._client_id() is None:
            return self._send_json(401, UNAUTHORIZED, close=not self._discard_body(MAX_FAULT_BODY))
        body = b""
        if self._has_body():
            length = self._content_length()
            if length is None:
                return
            if length > MAX_FAULT_BODY:
                return self._send_json(413, {"error": "fault rules are small JSON objects"}, close=True)
            body = self.rfile.read(length)
        faults = self.parts.faults
        if self.command == "GET":
            return self._send_json(200, faults.snapshot())
        if self.command == "DELETE":
            faults.clear()
            return self._send_json(200, {"cleared": True})
        try:
            rule = faults.add(json.loads(body or b"null"))
        except ValueError as exc:  # FaultSpecError and bad JSON
            message = str(exc) if isinstance(exc, FaultSpecError) else "the body must be JSON"
            return self._send_json(400, {"error": message})
        log(f"fault added: {json.dumps(rule)}")
        self._send_json(201, rule)
