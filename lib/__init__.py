# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure-Python client of the Move API (no bpy): MoveClient, its errors and its result types."""
from .client import MoveClient
from .credentials import DEFAULT_ENDPOINT
from .errors import (AuthError, Cancelled, ConfigError, DownloadTooLarge, GraphQLError, InsecureConnection,
                     JobFailed, MoveError, NetworkError, NotFound, OutputMissing, RateLimited, ServerError,
                     WaitTimeout)
from .models import ClientInfo, File, Job, Output, Page, Source, Take, Volume
from .retry import RetryPolicy

__all__ = [
    "MoveClient", "DEFAULT_ENDPOINT", "RetryPolicy",
    "MoveError", "ConfigError", "AuthError", "NotFound", "RateLimited", "ServerError", "NetworkError",
    "GraphQLError", "Cancelled", "WaitTimeout", "OutputMissing", "JobFailed", "InsecureConnection",
    "DownloadTooLarge",
    "ClientInfo", "File", "Job", "Output", "Page", "Source", "Take", "Volume",
]
