# SPDX-License-Identifier: GPL-3.0-or-later
"""Command line and on-disk settings of the local server: flags, data folder, API keys, URL secret.

The server never starts without a key: a key file is written whole or not at all (temporary file,
fsync, then linked into place), and an empty or unreadable key file stops the start with a message
saying what to do, rather than turning authentication off. A non-loopback `--host` needs
`--allow-remote`. The data folder is private to its owner (0700).
"""
from __future__ import annotations

import argparse
import ipaddress
import os
import secrets
import socket
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .processor_registry import PROCESSORS

API_KEY_ENV = "MOVE_LOCAL_API_KEY"
DEFAULT_PROCESSOR = "mediapipe"  # `make server` gives a user real motion; tests ask for `reference` by name
DEFAULT_MAX_CONNECTIONS = 64
DEFAULT_MAX_JOB_FRAMES = 18_000  # 10 minutes at 30 fps: about 15 minutes of MediaPipe on 2 cores
MIN_URL_SECRET_BYTES = 16


class ConfigError(Exception):
    """The server cannot start as asked; the message says why and what to do."""


def is_loopback_host(host: str) -> bool:
    """True when every address `host` names is loopback (127.0.0.0/8, ::1); wildcards are not."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    if not host:
        return False
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0].split("%")[0]).is_loopback for info in infos)


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
    allow_remote: bool = False
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    max_job_frames: int = DEFAULT_MAX_JOB_FRAMES
    webhook_hosts: list[str] = field(default_factory=list)  # non-loopback hosts webhooks may be sent to
    webhook_retry_s: float = 2.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local_server",
        description="A Move-API-compatible server on this machine (GraphQL, presigned transfers, jobs).",
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1); an address off loopback needs --allow-remote")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a non-loopback --host such as 0.0.0.0: the key, videos and results then "
                             "cross the network unencrypted (plain HTTP)")
    parser.add_argument("--port", type=int, default=8765, help="port to bind; 0 picks a free one (default 8765)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help=f"where state, uploads and outputs live (default {default_data_dir()})")
    parser.add_argument("--processor", default=DEFAULT_PROCESSOR,
                        help=f"what jobs compute: {', '.join(sorted(PROCESSORS))}, or module:Class "
                             f"(default {DEFAULT_PROCESSOR}: real motion capture; reference is a test fixture)")
    parser.add_argument("--url-ttl", type=int, default=3600, help="presigned URL lifetime in seconds (default 3600)")
    parser.add_argument("--workers", type=int, default=1, help="job processing threads (default 1)")
    parser.add_argument("--max-connections", type=int, default=DEFAULT_MAX_CONNECTIONS,
                        help="connections served at once, one thread each; more wait in the listen queue "
                             f"(default {DEFAULT_MAX_CONNECTIONS})")
    parser.add_argument("--max-job-frames", type=int, default=DEFAULT_MAX_JOB_FRAMES,
                        help="longest job in video frames (of the clip window, or the whole video); longer "
                             f"jobs end FAILED with the reason (default {DEFAULT_MAX_JOB_FRAMES})")
    parser.add_argument("--webhook-allow-host", action="append", default=[], metavar="HOST",
                        help="also deliver webhooks to this host (default: loopback addresses only); repeatable")
    parser.add_argument("--webhook-retry-seconds", type=float, default=2.0,
                        help="first webhook retry delay; later ones double (default 2)")
    args = parser.parse_args(argv)
    if args.url_ttl < 1:
        parser.error("--url-ttl must be at least 1 second")
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.max_connections < 1:
        parser.error("--max-connections must be at least 1")
    if args.max_job_frames < 1:
        parser.error("--max-job-frames must be at least 1")
    if not (0 <= args.port <= 65535):
        parser.error("--port must be between 0 and 65535")
    if args.processor not in PROCESSORS and ":" not in args.processor:
        parser.error(f"unknown processor {args.processor!r}; choose one of {', '.join(sorted(PROCESSORS))} "
                     "or give module:Class")
    if not args.allow_remote and not is_loopback_host(args.host):
        parser.error(f"--host {args.host} would serve the API key's data, videos and results to the network "
                     "in plain HTTP, unencrypted. Keep the default (127.0.0.1), or add --allow-remote "
                     "if that is what you want.")
    return args


def _read_secret_file(path: Path, what: str) -> str | None:
    """The stripped text of a secret file; None if there is none; ConfigError if it is unusable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"The {what} file {path} cannot be read ({reason}). Make it readable by you, "
                          "or delete it to have a new one made at the next start.") from None
    value = text.strip()
    if not value:
        # A full disk at first start leaves the file empty; an empty key must never mean "no key".
        raise ConfigError(f"The {what} file {path} is empty (a disk that was full when it was written "
                          "leaves it so). Delete it to have a new one made at the next start, or write "
                          "one into it.")
    return value


def _write_secret_file(path: Path, value: str, what: str) -> str:
    """Write a new secret readable by its owner only (0600), whole or not at all; returns the value kept.

    Written to a temporary file and fsynced, then hard-linked into place: the name never points at
    a half-written file, and a concurrent start that linked first wins (its value is returned).
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(value + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.link(temporary, path)
    except FileExistsError:
        return _read_secret_file(path, what) or value
    except OSError as exc:
        raise ConfigError(f"Could not write the {what} file {path}: {exc.strerror or exc}. Free some space "
                          "(or fix the folder's permissions) and start again.") from None
    finally:
        temporary.unlink(missing_ok=True)
    return value


def _read_or_create_secret_file(path: Path, make: Callable[[], str], what: str) -> str:
    return _read_secret_file(path, what) or _write_secret_file(path, make(), what)


def prepare_data_dir(data_dir: Path) -> None:
    """Create the data folder, or make an existing one of ours private (0700)."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = data_dir.stat()
    except OSError as exc:
        raise ConfigError(f"The data folder {data_dir} cannot be used: {exc.strerror or exc}. "
                          "Choose another with --data-dir.") from None
    if stat.S_IMODE(info.st_mode) & 0o077:
        if info.st_uid != os.geteuid():
            raise ConfigError(f"The data folder {data_dir} is open to other users and belongs to someone "
                              "else; uploads, outputs and the key would be readable there. Choose a folder "
                              "of your own with --data-dir.")
        data_dir.chmod(0o700)


def load_config(argv: list[str] | None = None) -> ServerConfig:
    args = parse_args(argv)
    data_dir: Path = (args.data_dir or default_data_dir()).expanduser().resolve()
    prepare_data_dir(data_dir)
    # MOVE_LOCAL_API_KEY may hold several comma-separated keys: one client each (tests use two).
    env_keys = [k.strip() for k in os.environ.get(API_KEY_ENV, "").split(",") if k.strip()]
    if env_keys:
        keys = env_keys
    else:
        keys = [_read_or_create_secret_file(data_dir / "api_key", lambda: "mls_" + secrets.token_urlsafe(24),
                                            "API key")]
    secret_path = data_dir / "url_secret"
    secret_text = _read_or_create_secret_file(secret_path, lambda: secrets.token_hex(32), "URL secret")
    try:
        secret = bytes.fromhex(secret_text)
    except ValueError:
        secret = b""
    if len(secret) < MIN_URL_SECRET_BYTES:
        raise ConfigError(f"The URL secret file {secret_path} does not hold at least {MIN_URL_SECRET_BYTES} "
                          "hex-encoded bytes, so presigned URLs could be forged. Delete it to have a new one "
                          "made at the next start (URLs given out before stop working).")
    return ServerConfig(
        host=args.host, port=args.port, data_dir=data_dir, processor=args.processor,
        url_ttl=args.url_ttl, workers=args.workers, api_keys=keys, url_secret=secret,
        allow_remote=args.allow_remote, max_connections=args.max_connections,
        max_job_frames=args.max_job_frames,
        webhook_hosts=args.webhook_allow_host, webhook_retry_s=args.webhook_retry_seconds,
    )
