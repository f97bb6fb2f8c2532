# SPDX-License-Identifier: GPL-3.0-or-later
"""`python -m local_server`: run the Move-compatible server in the foreground until Ctrl-C or SIGTERM."""
from __future__ import annotations

import os
import signal
import socket
import sys
import threading
from pathlib import Path

from .config import ConfigError, ServerConfig, is_loopback_host, load_config
from .faults import FaultBook
from .graphql_api import MoveGraphQL
from .http_server import PARTIAL_SUFFIX, MoveHTTPServer, ServerParts
from .job_runner import CRASHED_FAILURE, MAX_JOB_ATTEMPTS, JobRunner
from .webhooks import WebhookDispatcher
from .processor_registry import ProcessorSlot
from .server_log import log
from .signing import UrlSigner
from .store import Store


def primary_address() -> str | None:
    """This machine's address on its default route (what a wildcard bind is reached at), if any."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # UDP connect sends nothing; it only picks the outgoing address
        return probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()


def url_host(host: str) -> str:
    """The host to put in printed and presigned URLs: the real address, also for a wildcard bind."""
    if host in ("0.0.0.0", "", "::"):
        return primary_address() or "127.0.0.1"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def remove_partial_uploads(uploads_dir: Path) -> int:
    """Delete uploads a kill cut short (a clean stop never leaves one); returns how many."""
    removed = 0
    for partial in uploads_dir.glob(f"*{PARTIAL_SUFFIX}") if uploads_dir.is_dir() else ():
        partial.unlink(missing_ok=True)
        removed += 1
    return removed


def serve(config: ServerConfig) -> int:
    if not config.api_keys or not all(config.api_keys):
        raise ConfigError("No API key to serve with: the server never serves without one.")
    store = Store(config.data_dir / "state.sqlite3")
    resumed, given_up = store.requeue_interrupted(MAX_JOB_ATTEMPTS, CRASHED_FAILURE)
    if resumed:
        log(f"resuming {len(resumed)} job(s) interrupted by the last stop: {', '.join(resumed)}")
    if given_up:
        log(f"FAILED {len(given_up)} job(s) after {MAX_JOB_ATTEMPTS} attempts that each ended with the "
            f"server stopping unexpectedly: {', '.join(given_up)}")
    removed = remove_partial_uploads(config.data_dir / "uploads")
    if removed:
        log(f"removed {removed} partial upload(s) left by an unexpected stop")
    clients_by_key = {}
    for i, key in enumerate(config.api_keys):
        clients_by_key[key] = store.ensure_client(key, "Local user" if i == 0 else f"Local user {i + 1}")["id"]

    signer = UrlSigner(config.url_secret, config.url_ttl)
    faults = FaultBook()
    processor = ProcessorSlot(config.processor)
    webhooks = WebhookDispatcher(store, config.webhook_hosts, config.webhook_retry_s)
    runner = JobRunner(store, processor, faults, config.data_dir / "outputs", config.workers,
                       max_job_frames=config.max_job_frames, on_event=webhooks.notify)
    graphql = MoveGraphQL(store, signer, processor, config.data_dir / "uploads", on_work=runner.wake)

    httpd = MoveHTTPServer(config.host, config.port, max_connections=config.max_connections)
    port = httpd.server_address[1]
    base_url = f"http://{url_host(config.host)}:{port}"
    loopback = is_loopback_host(config.host)
    # Bound to loopback: only loopback names in Host (DNS rebinding); the configured name is one.
    host_names = frozenset({config.host.lower()}) if loopback else None
    httpd.parts = ServerParts(store, signer, graphql, faults, clients_by_key, base_url, host_names)

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    webhooks.start()
    runner.start()
    serving = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2}, name="http", daemon=True)
    serving.start()
    log(f"Data dir: {config.data_dir}")
    log(f"Processor: {config.processor}; workers: {config.workers}; presigned URLs last {config.url_ttl}s")
    if not loopback:
        print(f"WARNING: serving on {config.host} (--allow-remote), reachable from the network at {base_url}. "
              "The traffic is unencrypted (plain HTTP): the API key, videos and results can be read by "
              "anyone on the way. Use it only on a network you trust.", flush=True)
    print(f"Endpoint: {base_url}/ugc/graphql", flush=True)
    print(f"API key: {config.api_keys[0]}", flush=True)
    while not stop.wait(0.5):
        pass

    log("stopping...")
    httpd.shutdown()
    all_stopped = runner.stop(timeout=10.0)
    store.uncount_stopped_attempts()  # a job this stop interrupted did not crash the server
    webhooks.stop()
    httpd.server_close()
    if all_stopped:
        store.close()
    else:
        log("a job was still running; it stays RUNNING and resumes at the next start")
    log("stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # every file and folder the server (and its ffmpeg/Blender children) makes is private
    try:
        return serve(load_config(argv))
    except ConfigError as exc:
        print(f"local_server: cannot start: {exc}", file=sys.stderr, flush=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
