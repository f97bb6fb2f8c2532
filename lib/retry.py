# SPDX-License-Identifier: GPL-3.0-or-later
"""When a failed request may be sent again, and how long to wait first (capped backoff with jitter).

Every failure is sorted into one of three outcomes:
  REFUSED  the server did not run the request (429, 502, 503, 504, no connection made): anything
           may be sent again;
  UNKNOWN  the request may have run (timeout, connection reset mid-answer, 500, malformed answer,
           an answer without data, a GraphQL error of the server's own making such as
           InternalFailure): only idempotent requests (queries, transfers, `createFile`) may be
           sent again; other mutations must first look for what they may have created;
  FINAL    sending it again cannot help (401, 404, GraphQL errors about the request, other 4xx).
"""
from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

import requests
import urllib3.exceptions as u3

from .errors import Cancelled, MoveError

log = logging.getLogger(__name__)

T = TypeVar("T")

REFUSED, UNKNOWN, FINAL = "refused", "unknown", "final"

# What a request is, as far as repeating it goes.
QUERY = "query"            # reads: always safe to repeat
REPEATABLE = "repeatable"  # writes whose repetition costs nothing (createFile: an unused file)
MUTATION = "mutation"      # writes that must never happen twice (takes, jobs, volumes)
TRANSFER = "transfer"      # presigned PUT/GET: repeating replaces the same object

_REFUSED_STATUSES = {429, 502, 503, 504}


def outcome_of_status(status: int) -> str:
    """Outcome of an HTTP answer that was not a success."""
    if status in _REFUSED_STATUSES:
        return REFUSED
    if status >= 500:
        return UNKNOWN
    return FINAL


def outcome_of_exception(exc: BaseException) -> str:
    """Outcome of a requests exception raised before any answer arrived."""
    # ConnectTimeout and refused/unresolvable connections never delivered a byte of the request.
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return REFUSED
    if isinstance(exc, requests.exceptions.SSLError):
        return FINAL  # a certificate or TLS problem does not fix itself between retries
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = exc.args[0] if exc.args else None
        inner = getattr(reason, "reason", None)  # urllib3 MaxRetryError wraps the real cause
        if isinstance(inner, (u3.NewConnectionError, u3.ConnectTimeoutError)) or \
                isinstance(reason, (u3.NewConnectionError, u3.ConnectTimeoutError)):
            return REFUSED
        return UNKNOWN  # reset or closed after the request went out
    if isinstance(exc, (requests.exceptions.Timeout, requests.exceptions.ChunkedEncodingError)):
        return UNKNOWN
    return FINAL


def may_repeat(kind: str, outcome: str) -> bool:
    """Whether a request of this kind may simply be sent again after this outcome."""
    if outcome == REFUSED:
        return True
    if outcome == UNKNOWN:
        return kind in (QUERY, REPEATABLE, TRANSFER)
    return False


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta seconds or an HTTP date); None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry. Tests pass tiny delays; the defaults suit the real API."""

    attempts: int = 5             # tries in all, the first one included
    base_delay: float = 1.0       # seconds before the first retry, doubled each time
    max_delay: float = 30.0       # cap of the backoff
    max_retry_after: float = 120.0  # a server's Retry-After is honoured up to this many seconds
    jitter: float = 0.5           # the backoff is scaled by a random factor in [1 - jitter, 1]

    def __post_init__(self):
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or not 0 <= self.jitter <= 1:
            raise ValueError("RetryPolicy delays must be >= 0 and jitter within 0..1")

    def delay(self, retry_number: int, retry_after: float | None = None,
              rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number `retry_number` (1 for the first retry)."""
        backoff = min(self.max_delay, self.base_delay * (2 ** max(0, retry_number - 1)))
        # Jitter spreads out clients that failed together so they do not retry together.
        backoff *= 1.0 - self.jitter * (rng or random).random()
        if retry_after is not None:
            backoff = max(backoff, min(retry_after, self.max_retry_after))
        return backoff


def sleep(seconds: float, cancel: threading.Event | None) -> None:
    """Wait, waking at once and raising Cancelled when the cancel event is set."""
    if cancel is None:
        time.sleep(seconds)
        return
    if cancel.wait(seconds):
        raise Cancelled("Cancelled.")


def check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled("Cancelled.")


class Failure(Exception):
    """An attempt that failed: the error a user would see, whether the request ran (its outcome),
    and the server's Retry-After when it gave one. Raised by an attempt for `run` to judge."""

    def __init__(self, error: MoveError, outcome: str, retry_after: float | None = None):
        super().__init__(error.message)
        self.error, self.outcome, self.retry_after = error, outcome, retry_after


def _final(error: MoveError, attempt: int) -> MoveError:
    if attempt > 1:
        error.message += f" (tried {attempt} times)"
        error.args = (error.message,)
    return error


def run(attempt_once: Callable[[], T], *, what: str, kind: str, policy: RetryPolicy,
        cancel: threading.Event | None = None, recover: Callable[[], T | None] | None = None,
        scrub: Callable[[str], str] | None = None) -> T:
    """The one retry loop (GraphQL requests and transfers): call `attempt_once` until it returns,
    judging each `Failure` by the rule at the top of this module.

    A failure that may be repeated waits `policy.delay` and tries again, up to `policy.attempts`
    tries. An outcome-unknown failure of a request that must not run twice calls `recover` after the
    pause instead: a result found is returned, None sends the request again. Any other exception
    (Cancelled, a final MoveError raised directly) goes to the caller as it is.
    """
    attempt = 0
    while True:
        check_cancel(cancel)
        attempt += 1
        try:
            return attempt_once()
        except Failure as failure:
            error = failure.error
            if scrub is not None:
                error.message = scrub(error.message)
                error.args = (error.message,)
            repeat = may_repeat(kind, failure.outcome)
            look_first = not repeat and failure.outcome == UNKNOWN and recover is not None
            if not (repeat or look_first) or (attempt >= policy.attempts and not look_first):
                raise _final(error, attempt) from None
            delay = policy.delay(attempt, failure.retry_after)
            log.info("%s failed (%s); %s in %.2fs (attempt %d of %d)", what, type(error).__name__,
                     "looking for its result" if look_first else "retrying", delay, attempt,
                     policy.attempts)
            sleep(delay, cancel)
            if look_first:
                # Even after the last attempt: what it made must be found, not made again by the user.
                found = recover()
                if found is not None:
                    log.info("%s had run before its answer was lost; using its result", what)
                    return found
                if attempt >= policy.attempts:
                    raise _final(error, attempt) from None
