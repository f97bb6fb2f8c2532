# SPDX-License-Identifier: GPL-3.0-or-later
"""`python -m local_server`: run the Move-compatible server in the foreground until Ctrl-C or SIGTERM."""
from __future__ import annotations

import signal
import sys
import threading

from .config import ServerConfig, load_config
from .faults import FaultBook
from .graphql_api import MoveGraphQL
from .http_server import MoveHTTPServer, ServerParts
from .job_runner import JobRunner
from .webhooks import WebhookDispatcher
from .processor_registry import ProcessorSlot
from .server_log import log
from .signing import UrlSigner
from .store import Store


def url_host(host: str) -> str:
    """The host to put in printed URLs: a wildcard bind is reached through loopback."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def serve(config: ServerConfig) -> int:
    store = Store(config.data_dir / "state.sqlite3")
    resumed = store.requeue_interrupted()
    if resumed:
        log(f"resuming {len(resumed)} job(s) interrupted by the last stop: {', '.join(resumed)}")
    clients_by_key = {}
    for i, key in enumerate(config.api_keys):
        clients_by_key[key] = store.ensure_client(key, "Local user" if i == 0 else f"Local user {i + 1}")["id"]

    signer = UrlSigner(config.url_secret, config.url_ttl)
    faults = FaultBook()
    processor = ProcessorSlot(config.processor)
    webhooks = WebhookDispatcher(store, config.webhook_hosts, config.webhook_retry_s)
    runner = JobRunner(store, processor, faults, config.data_dir / "outputs", config.workers, on_event=webhooks.notify)
    graphql = MoveGraphQL(store, signer, processor, config.data_dir / "uploads", on_work=runner.wake)

    httpd = MoveHTTPServer(config.host, config.port)
    port = httpd.server_address[1]
    base_url = f"http://{url_host(config.host)}:{port}"
    httpd.parts = ServerParts(store, signer, graphql, faults, clients_by_key, base_url)

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    webhooks.start()
    runner.start()
    serving = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2}, name="http", daemon=True)
    serving.start()
    log(f"Data dir: {config.data_dir}")
    log(f"Processor: {config.processor}; workers: {config.workers}; presigned URLs last {config.url_ttl}s")
    print(f"Endpoint: {base_url}/ugc/graphql", flush=True)
    print(f"API key: {config.api_keys[0]}", flush=True)
    while not stop.wait(0.5):
        pass

    log("stopping...")
    httpd.shutdown()
    all_stopped = runner.stop(timeout=10.0)
    webhooks.stop()
    httpd.server_close()
    if all_stopped:
        store.close()
    else:
        log("a job was still running; it stays RUNNING and resumes at the next start")
    log("stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    return serve(load_config(argv))


if __name__ == "__main__":
    sys.exit(main())
