# SPDX-License-Identifier: GPL-3.0-or-later
"""One GraphQL request to Move: timeouts, the Authorization header, error mapping and the retry rule."""
from __future__ import annotations

import json
import logging
import threading
from typing import Callable

import requests

from . import documents, retry
from .errors import (AuthError, Cancelled, GraphQLError, InsecureConnection, MoveError, NetworkError, NotFound,
                     RateLimited, ServerError)
from .network import GuardedSession, NetworkRules, describe_url

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (10.0, 60.0)  # (connect, read) seconds for every request
# An API answer is read up to this size (a page of 50 jobs is ~100 KB): an endpoint that streams
# without end must not fill Blender's memory.
MAX_ANSWER_BYTES = 32 * 1024 * 1024
USER_AGENT = "move-ai-blender/1 (+requests)"

_NOT_FOUND_TYPES = {"MoveNotFoundError", "NotFound", "NotFoundError", "ResourceNotFound"}
_AUTH_TYPES = {"UnauthorizedException", "UnauthorizedError", "AccessDeniedException"}
# Errors of the server's own making (AppSync: a resolver that failed or timed out): the same request
# may work next time, and it may have run, so they are outcome-unknown rather than final.
_SERVER_SIDE_TYPES = {"InternalFailure", "InternalError", "InternalServerError", "ExecutionTimeout",
                      "ServiceUnavailable", "ServiceUnavailableException"}


def _read_bounded(response: requests.Response, limit: int) -> bytes | None:
    """The answer's body, or None once it goes past `limit` bytes (the rest is never read)."""
    parts, size = [], 0
    for block in response.iter_content(64 * 1024):
        size += len(block)
        if size > limit:
            return None
        parts.append(block)
    return b"".join(parts)


def network_reason(exc: BaseException) -> str:
    """A short, key-free description of a requests exception."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "the connection timed out"
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "the answer timed out"
    if isinstance(exc, requests.exceptions.SSLError):
        return "the secure connection failed (certificate or TLS problem)"
    if retry.outcome_of_exception(exc) == retry.REFUSED:
        return "the connection could not be made"
    return "the connection broke"


class Transport:
    """Sends GraphQL operations to one endpoint with one key. Thread-safe: one session per thread."""

    def __init__(self, api_key: str, endpoint: str, *, timeout=DEFAULT_TIMEOUT,
                 policy: retry.RetryPolicy | None = None, rules: NetworkRules | None = None,
                 verify: bool | str = True):
        self.endpoint = endpoint
        self.timeout = timeout
        self.policy = policy or retry.RetryPolicy()
        self.rules = rules or NetworkRules(endpoint)
        self.verify = verify  # requests' verify: True, or the path of a CA bundle (a self-signed server)
        self.__key = api_key  # name-mangled and never echoed: see scrub()
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"Transport(endpoint={self.endpoint!r})"

    @property
    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            # Every request (GraphQL, transfers, redirects) goes through the rules of network.py.
            session = self._local.session = GuardedSession(self.rules)
            session.headers["User-Agent"] = USER_AGENT
            session.verify = self.verify
        return session

    def scrub(self, text: str) -> str:
        """Text with the API key blanked out, should a server ever echo it back."""
        return text.replace(self.__key, "[API key]") if self.__key else text

    # -- one attempt -------------------------------------------------------------------------

    def _attempt(self, operation: str, query: str, variables: dict) -> dict:
        where = describe_url(self.endpoint)
        try:
            response = self.session.post(
                self.endpoint,
                json={"query": query, "variables": variables, "operationName": operation},
                headers={"Authorization": self.__key, "Content-Type": "application/json"},
                timeout=self.timeout, stream=True,
            )
            with response:
                content = _read_bounded(response, MAX_ANSWER_BYTES)
        except InsecureConnection as exc:
            # The endpoint itself is https (else nothing would be refused), so this was a redirect.
            raise InsecureConnection(
                f"Refused to follow the endpoint's redirect of {operation} to {exc.url}: the endpoint "
                "uses https and that address is plain http, which would carry the request unencrypted. "
                "Nothing was sent there. Check the endpoint in the add-on preferences.",
                operation=operation, url=exc.url) from None
        except requests.exceptions.RequestException as exc:
            raise retry.Failure(NetworkError(
                f"Could not reach Move at {where} for {operation}: {network_reason(exc)}. Check the "
                "internet connection and the endpoint in the add-on preferences, then try again.",
                operation=operation), retry.outcome_of_exception(exc)) from None

        status = response.status_code
        retry_after = retry.parse_retry_after(response.headers.get("Retry-After"))
        if content is None:
            raise retry.Failure(ServerError(
                f"Move's answer to {operation} was larger than {MAX_ANSWER_BYTES // (1024 * 1024)} MiB, "
                "far more than any answer of the API; it was cut off and refused. Check the endpoint in "
                "the add-on preferences.", status=status, operation=operation), retry.FINAL)
        if status in (401, 403):
            raise retry.Failure(AuthError(
                f"Move refused the API key (HTTP {status}) for {operation}. Check the API key in the "
                "add-on preferences.", status=status, operation=operation), retry.FINAL)
        if status == 429:
            raise retry.Failure(RateLimited(
                f"Move is receiving too many requests (HTTP 429) and refused {operation}. Wait a "
                "minute and try again.", retry_after=retry_after, status=status, operation=operation),
                retry.REFUSED, retry_after)
        if status >= 500:
            raise retry.Failure(ServerError(
                f"Move's server failed (HTTP {status}) on {operation}. Try again in a few minutes.",
                status=status, operation=operation), retry.outcome_of_status(status), retry_after)
        try:
            body = json.loads(content)
        except ValueError:  # UnicodeDecodeError included
            body = None
        if not isinstance(body, dict) or ("data" not in body and "errors" not in body):
            if status >= 400:
                raise retry.Failure(ServerError(
                    f"Move answered HTTP {status} to {operation}. Check the endpoint in the add-on "
                    "preferences.", status=status, operation=operation), retry.FINAL)
            # A cut or garbled answer: the operation may have run.
            raise retry.Failure(ServerError(
                f"Move sent an answer to {operation} that could not be read. Try again.",
                status=status, operation=operation), retry.UNKNOWN)
        errors = body.get("errors") or []
        if errors:
            error = self._graphql_error(operation, errors, variables, status)
            server_side = getattr(error, "error_type", None) in _SERVER_SIDE_TYPES
            raise retry.Failure(error, retry.UNKNOWN if server_side else retry.FINAL)
        data = body.get("data")
        # A null top-level field with no error is an answer without data too (not "nothing found").
        if status >= 400 or not isinstance(data, dict) or None in data.values():
            raise retry.Failure(ServerError(
                f"Move answered HTTP {status} to {operation} without data. Try again.",
                status=status, operation=operation), retry.UNKNOWN if status < 400 else retry.FINAL)
        return data

    def _graphql_error(self, operation: str, errors: list, variables: dict, status: int) -> MoveError:
        first = errors[0] if isinstance(errors[0], dict) else {"message": str(errors[0])}
        error_type = first.get("errorType") or (first.get("extensions") or {}).get("errorType")
        server_message = self.scrub(str(first.get("message") or "no message"))
        path = first.get("path")
        if error_type in _NOT_FOUND_TYPES:
            ids = ", ".join(str(v) for k, v in sorted(variables.items())
                            if isinstance(v, str) and (k == "id" or k.endswith("Id")))
            what = f" ({ids})" if ids else ""
            return NotFound(f"Move has no such item{what} for this API key: it may have been deleted or "
                            f"made with another key ({operation}: {server_message})", operation=operation,
                            status=status)
        if error_type in _AUTH_TYPES:
            return AuthError(f"Move refused the API key for {operation}: {server_message} Check the "
                             "API key in the add-on preferences.", operation=operation, status=status)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        message = f"Move refused {operation}: {server_message}{more}"
        if error_type in _SERVER_SIDE_TYPES:
            message = f"Move failed on {operation}: {server_message}{more} ({error_type}). Try again in a few minutes."
        return GraphQLError(message,
                            server_message=server_message, error_type=error_type, path=path,
                            operation=operation, status=status)

    # -- the retry loop ----------------------------------------------------------------------

    def execute(self, operation: str, variables: dict | None = None, *, kind: str = retry.QUERY,
                recover: Callable[[], dict | None] | None = None, cancel: threading.Event | None = None,
                policy: retry.RetryPolicy | None = None) -> dict:
        """Run the named document and return its `data`, retrying as the rule in retry.py allows.

        `recover` is for mutations that must not run twice: after an outcome-unknown failure it is
        called to look for what the first attempt may have made; it returns the `data` the mutation
        would have returned, or None to send the mutation again.
        """
        policy = policy or self.policy
        query = documents.load(operation)
        variables = {k: v for k, v in (variables or {}).items() if v is not None}
        look_up = None if recover is None else (lambda: self._recover(operation, recover, cancel))
        return retry.run(lambda: self._attempt(operation, query, variables), what=operation, kind=kind,
                         policy=policy, cancel=cancel, recover=look_up, scrub=self.scrub)

    def _recover(self, operation, recover, cancel) -> dict | None:
        retry.check_cancel(cancel)
        try:
            return recover()
        except Cancelled:
            raise
        except MoveError as exc:
            # Without knowing whether the first attempt ran, sending it again could duplicate it.
            raise type(exc)(f"{operation} may or may not have run, and looking it up failed: "
                            f"{exc.message}", operation=operation) from None
