# SPDX-License-Identifier: GPL-3.0-or-later
"""The exceptions the Move client raises: one small family, with messages written for users."""
from __future__ import annotations


class MoveError(Exception):
    """Base of every error the client raises. `str(error)` says what failed and what to do next."""

    def __init__(self, message: str, *, status: int | None = None, operation: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status          # HTTP status when there was one
        self.operation = operation    # GraphQL operation or transfer that failed


class ConfigError(MoveError, ValueError):
    """The API key or the endpoint given to MoveClient cannot be used as it is."""


class AuthError(MoveError):
    """Move refused the API key (HTTP 401/403 on the API)."""


class NotFound(MoveError):
    """The file, take, job or volume does not exist for this API key."""


class RateLimited(MoveError):
    """Move kept answering HTTP 429 (too many requests) until the retry budget ran out."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw):
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(MoveError):
    """Move (or its storage) failed: HTTP 5xx, a malformed answer or a refused transfer link."""


class NetworkError(MoveError):
    """Move could not be reached, or the connection broke or timed out."""


class GraphQLError(MoveError):
    """The API answered with an `errors` list; carries the server's message and error type."""

    def __init__(self, message: str, *, server_message: str = "", error_type: str | None = None,
                 path: list | None = None, **kw):
        super().__init__(message, **kw)
        self.server_message = server_message
        self.error_type = error_type
        self.path = path


class Cancelled(MoveError):
    """The caller set the cancel event. No final file is half-written (a download keeps its .part to resume)."""


class WaitTimeout(MoveError, TimeoutError):
    """jobs.wait() gave up after its timeout while the job was still running."""


class OutputMissing(MoveError, KeyError):
    """The job has no output with the key or format asked for."""

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


class JobFailed(MoveError):
    """Move finished the job as FAILED; the message is its failure reason."""


class InsecureConnection(MoveError):
    """Refused before sending: a plain-http transfer link or redirect under an https endpoint.

    Nothing was sent to that address; the key, the video and the answer stay encrypted or stay home."""

    def __init__(self, message: str, *, url: str = "", **kw):
        super().__init__(message, **kw)
        self.url = url  # the refused address, without its query (presigned signature)


class DownloadTooLarge(MoveError):
    """A download went past the size announced for it, or past the hard cap when none was announced.

    The transfer was stopped and its partial file deleted; nothing of it is left on disk."""
