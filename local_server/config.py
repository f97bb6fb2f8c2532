# SPDX-License-Identifier: GPL-3.0-or-later
"""Command line and on-disk settings of the local server: flags, data folder, API keys, URL secret."""
from __future__ import annotations

import argparse
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .processor_registry import PROCESSORS

API_KEY_ENV = "MOVE_LOCAL_API_KEY"


def default_data_dir() -> Path:
    """Per-user data folder, following XDG: $XDG_DATA_HOME/move-local-server."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "move-local-server"


@dataclass
class ServerConfig:
    host: str
    port: int
    data_dir: Path
    processor: str
    url_ttl: int
    workers: int
    api_keys: list[str]  # every accepted key; the first one is printed at start-up
    url_secret: bytes
    webhook_hosts: list[str] = field(default_factory=list)  # non-loopback hosts webhooks may be sent to
    webhook_retry_s: float = 2.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local_server",
        description="A Move-API-compatible server on this machine (GraphQL, presigned transfers, jobs).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to bind; 0 picks a free one (default 8765)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help=f"where state, uploads and outputs live (default {default_data_dir()})")
    parser.add_argument("--processor", default="reference",
                        help=f"what jobs compute: {', '.join(sorted(PROCESSORS))}, or module:Class (default reference)")
    parser.add_argument("--url-ttl", type=int, default=3600, help="presigned URL lifetime in seconds (default 3600)")
    parser.add_argument("--workers", type=int, default=1, help="job processing threads (default 1)")
    parser.add_argument("--webhook-allow-host", action="append", default=[], metavar="HOST",
                        help="also deliver webhooks to this host (default: loopback addresses only); repeatable")
    parser.add_argument("--webhook-retry-seconds", type=float, default=2.0,
                        help="first webhook retry delay; later ones double (default 2)")
    args = parser.parse_args(argv)
    if args.url_ttl < 1:
        parser.error("--url-ttl must be at least 1 second")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if not (0 <= args.port <= 65535):
        parser.error("--port must be between 0 and 65535")
    if args.processor not in PROCESSORS and ":" not in args.processor:
        parser.error(f"unknown processor {args.processor!r}; choose one of {', '.join(sorted(PROCESSORS))} "
                     "or give module:Class")
    return args


def _read_or_create_secret_file(path: Path, make: Callable[[], str]) -> str:
    """Read a small secret file, or create it readable by its owner only (0600)."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(value + "\n")
    return value


def load_config(argv: list[str] | None = None) -> ServerConfig:
    args = parse_args(argv)
    data_dir: Path = (args.data_dir or default_data_dir()).expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    # MOVE_LOCAL_API_KEY may hold several comma-separated keys: one client each (tests use two).
    env_keys = [k.strip() for k in os.environ.get(API_KEY_ENV, "").split(",") if k.strip()]
    if env_keys:
        keys = env_keys
    else:
        keys = [_read_or_create_secret_file(data_dir / "api_key", lambda: "mls_" + secrets.token_urlsafe(24))]
    secret = _read_or_create_secret_file(data_dir / "url_secret", lambda: secrets.token_hex(32))
    return ServerConfig(
        host=args.host, port=args.port, data_dir=data_dir, processor=args.processor,
        url_ttl=args.url_ttl, workers=args.workers, api_keys=keys, url_secret=bytes.fromhex(secret),
        webhook_hosts=args.webhook_allow_host, webhook_retry_s=args.webhook_retry_seconds,
    )
