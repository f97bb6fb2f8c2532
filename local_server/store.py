# SPDX-License-Identifier: GPL-3.0-or-later
"""The server's state in SQLite (WAL): clients, files, takes, jobs and their outputs, volumes, webhooks.

One connection guarded by a lock: the server is small and local, and a single writer keeps SQLite
free of "database is locked" retries. Every row a client can reach is keyed by its client id, so a
client can only ever find its own objects.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS clients (
    id TEXT PRIMARY KEY, key_hash TEXT UNIQUE NOT NULL, name TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}', created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, client_id TEXT NOT NULL,
    type TEXT NOT NULL, name TEXT, metadata TEXT NOT NULL DEFAULT '{}', created TEXT NOT NULL,
    kind TEXT NOT NULL, path TEXT NOT NULL, size INTEGER, etag TEXT, has_data INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS takes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, client_id TEXT NOT NULL,
    name TEXT, metadata TEXT NOT NULL DEFAULT '{}', created TEXT NOT NULL, take_type TEXT NOT NULL,
    sources TEXT NOT NULL, sync_method TEXT, volume_id TEXT);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, client_id TEXT NOT NULL,
    take_id TEXT NOT NULL, name TEXT, user_metadata TEXT NOT NULL DEFAULT '{}',
    server_metadata TEXT NOT NULL DEFAULT '{}', created TEXT NOT NULL, job_type TEXT NOT NULL,
    clip_window TEXT, options TEXT NOT NULL DEFAULT '{}', outputs_requested TEXT NOT NULL,
    number_of_actors INTEGER NOT NULL DEFAULT 1, rig TEXT NOT NULL, state TEXT NOT NULL,
    percentage INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS jobs_by_take ON jobs (client_id, take_id);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, seq);
CREATE TABLE IF NOT EXISTS job_outputs (
    job_id TEXT NOT NULL, key TEXT NOT NULL, format TEXT NOT NULL, file_id TEXT NOT NULL,
    PRIMARY KEY (job_id, key));
CREATE TABLE IF NOT EXISTS volumes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, client_id TEXT NOT NULL,
    name TEXT, metadata TEXT NOT NULL DEFAULT '{}', created TEXT NOT NULL, area_type TEXT NOT NULL,
    clip_window TEXT, human_height REAL NOT NULL, sources TEXT NOT NULL, sync_method TEXT,
    state TEXT NOT NULL, percentage INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS webhooks (
    client_id TEXT NOT NULL, uid TEXT NOT NULL, url TEXT NOT NULL, description TEXT,
    events TEXT NOT NULL DEFAULT '[]', metadata TEXT NOT NULL DEFAULT '{}', secret TEXT,
    PRIMARY KEY (client_id, uid));
CREATE TABLE IF NOT EXISTS volume_results (
    volume_id TEXT PRIMARY KEY, server_metadata TEXT NOT NULL DEFAULT '{}', output_file_id TEXT);
CREATE TABLE IF NOT EXISTS share_codes (
    code TEXT PRIMARY KEY, client_id TEXT NOT NULL, file_id TEXT NOT NULL, created TEXT NOT NULL,
    expires TEXT NOT NULL);
"""

PAGE_TABLES = {"takes", "jobs", "volumes"}


def now_iso() -> str:
    """AWSDateTime: ISO 8601 in UTC with milliseconds and a Z."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4()}"


def key_hash(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


class Store:
    def __init__(self, path: Path):
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- helpers -------------------------------------------------------------------------------
    def _one(self, sql: str, params: tuple = ()) -> dict | None:
        with self._lock:
            row = self._db.execute(sql, params).fetchone()
        return dict(row) if row else None

    def _all(self, sql: str, params: tuple = ()) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self._db.execute(sql, params).fetchall()]

    def _run(self, sql: str, params: tuple = ()) -> int:
        with self._lock:
            return self._db.execute(sql, params).rowcount

    def _insert(self, table: str, row: dict) -> dict:
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self._run(f"INSERT INTO {table} ({cols}) VALUES ({marks})", tuple(row.values()))
        return row

    def page(self, table: str, client_id: str, first: int, after_seq: int | None, descending: bool,
             where: str = "", params: tuple = ()) -> tuple[list[dict], int | None]:
        """One page of a client's rows in creation order; returns (rows, seq to continue after or None)."""
        assert table in PAGE_TABLES
        op, order = ("<", "DESC") if descending else (">", "ASC")
        sql = f"SELECT * FROM {table} WHERE client_id = ? {where}"
        args: tuple = (client_id, *params)
        if after_seq is not None:
            sql += f" AND seq {op} ?"
            args += (after_seq,)
        sql += f" ORDER BY seq {order} LIMIT ?"
        rows = self._all(sql, args + (first + 1,))
        more = len(rows) > first
        rows = rows[:first]
        return rows, (rows[-1]["seq"] if more and rows else None)

    # -- clients -------------------------------------------------------------------------------
    def ensure_client(self, api_key: str, name: str) -> dict:
        """The client an API key stands for, created on first sight (only the key's hash is stored)."""
        digest = key_hash(api_key)
        with self._lock:
            row = self._one("SELECT * FROM clients WHERE key_hash = ?", (digest,))
            if row is None:
                row = self._insert("clients", {"id": new_id("client"), "key_hash": digest, "name": name,
                                               "metadata": "{}", "created": now_iso()})
        return row

    def get_client(self, client_id: str) -> dict | None:
        return self._one("SELECT * FROM clients WHERE id = ?", (client_id,))

    def update_client(self, client_id: str, metadata: str) -> None:
        self._run("UPDATE clients SET metadata = ? WHERE id = ?", (metadata, client_id))

    # -- files ---------------------------------------------------------------------------------
    def create_file(self, client_id: str, file_type: str, name: str | None, metadata: str, kind: str,
                    path: str, file_id: str | None = None, size: int | None = None,
                    etag: str | None = None) -> dict:
        return self._insert("files", {
            "id": file_id or new_id("file"), "client_id": client_id, "type": file_type, "name": name,
            "metadata": metadata, "created": now_iso(), "kind": kind, "path": path, "size": size,
            "etag": etag, "has_data": int(size is not None),
        })

    def get_file(self, client_id: str, file_id: str) -> dict | None:
        return self._one("SELECT * FROM files WHERE id = ? AND client_id = ?", (file_id, client_id))

    def get_file_for_transfer(self, file_id: str) -> dict | None:
        """Any client's file: a valid signature is the authority on a transfer URL."""
        return self._one("SELECT * FROM files WHERE id = ?", (file_id,))

    def mark_file_uploaded(self, file_id: str, size: int, etag: str) -> None:
        self._run("UPDATE files SET size = ?, etag = ?, has_data = 1 WHERE id = ?", (size, etag, file_id))

    def update_file(self, client_id: str, file_id: str, name: str | None, metadata: str | None) -> None:
        if name is not None:
            self._run("UPDATE files SET name = ? WHERE id = ? AND client_id = ?", (name, file_id, client_id))
        if metadata is not None:
            self._run("UPDATE files SET metadata = ? WHERE id = ? AND client_id = ?", (metadata, file_id, client_id))

    # -- takes ---------------------------------------------------------------------------------
    def create_take(self, client_id: str, take_type: str, sources: list, name: str | None, metadata: str,
                    sync_method: dict | None = None, volume_id: str | None = None) -> dict:
        return self._insert("takes", {
            "id": new_id("take"), "client_id": client_id, "name": name, "metadata": metadata,
            "created": now_iso(), "take_type": take_type, "sources": json.dumps(sources),
            "sync_method": json.dumps(sync_method) if sync_method is not None else None, "volume_id": volume_id,
        })

    def get_take(self, client_id: str, take_id: str) -> dict | None:
        return self._one("SELECT * FROM takes WHERE id = ? AND client_id = ?", (take_id, client_id))

    def update_take(self, client_id: str, take_id: str, name: str | None, metadata: str | None) -> None:
        if name is not None:
            self._run("UPDATE takes SET name = ? WHERE id = ? AND client_id = ?", (name, take_id, client_id))
        if metadata is not None:
            self._run("UPDATE takes SET metadata = ? WHERE id = ? AND client_id = ?", (metadata, take_id, client_id))

    # -- jobs ----------------------------------------------------------------------------------
    def create_job(self, client_id: str, take_id: str, job_type: str, name: str | None, user_metadata: str,
                   clip_window: dict | None, options: dict, outputs: list[str], number_of_actors: int,
                   rig: str) -> dict:
        return self._insert("jobs", {
            "id": new_id("job"), "client_id": client_id, "take_id": take_id, "name": name,
            "user_metadata": user_metadata, "server_metadata": "{}", "created": now_iso(), "job_type": job_type,
            "clip_window": json.dumps(clip_window) if clip_window else None, "options": json.dumps(options),
            "outputs_requested": json.dumps(outputs), "number_of_actors": number_of_actors, "rig": rig,
            "state": "NOT_STARTED", "percentage": 0,
        })

    def get_job(self, client_id: str, job_id: str) -> dict | None:
        return self._one("SELECT * FROM jobs WHERE id = ? AND client_id = ?", (job_id, client_id))

    def get_job_any(self, job_id: str) -> dict | None:
        return self._one("SELECT * FROM jobs WHERE id = ?", (job_id,))

    def update_job(self, client_id: str, job_id: str, name: str | None, user_metadata: str | None) -> None:
        if name is not None:
            self._run("UPDATE jobs SET name = ? WHERE id = ? AND client_id = ?", (name, job_id, client_id))
        if user_metadata is not None:
            self._run("UPDATE jobs SET user_metadata = ? WHERE id = ? AND client_id = ?",
                      (user_metadata, job_id, client_id))

    def job_outputs(self, job_id: str) -> list[dict]:
        return self._all(
            "SELECT o.key, o.format, f.* FROM job_outputs o JOIN files f ON f.id = o.file_id WHERE o.job_id = ?",
            (job_id,))

    def requeue_interrupted(self, max_attempts: int, reason: str) -> tuple[list[str], list[str]]:
        """Jobs and volumes left RUNNING go back to the queue, keeping their place (seq); returns
        (requeued, failed): a job already tried `max_attempts` times ends FAILED with `reason` instead,
        since its processing keeps taking the server down with it."""
        with self._lock:
            running = self._all("SELECT * FROM jobs WHERE state = 'RUNNING'")
            failed = [job for job in running if job["attempts"] >= max_attempts]
            for job in failed:
                self.fail_job(job, reason)
            self._run("UPDATE jobs SET state = 'NOT_STARTED', percentage = 0 WHERE state = 'RUNNING'")
            self._run("UPDATE volumes SET state = 'NOT_STARTED', percentage = 0 WHERE state = 'RUNNING'")
        return [j["id"] for j in running if j not in failed], [j["id"] for j in failed]

    def uncount_stopped_attempts(self) -> None:
        """A clean stop interrupted the RUNNING jobs: that attempt does not count towards the cap."""
        self._run("UPDATE jobs SET attempts = MAX(0, attempts - 1) WHERE state = 'RUNNING'")

    def claim_next_job(self) -> dict | None:
        """Atomically take the oldest NOT_STARTED job and mark it RUNNING."""
        with self._lock:
            row = self._one("SELECT * FROM jobs WHERE state = 'NOT_STARTED' ORDER BY seq LIMIT 1")
            if row is None:
                return None
            self._run("UPDATE jobs SET state = 'RUNNING', percentage = 0, attempts = attempts + 1 WHERE id = ?",
                      (row["id"],))
            row.update(state="RUNNING", percentage=0, attempts=row["attempts"] + 1)
            return row

    def set_job_percentage(self, job_id: str, percentage: int) -> None:
        self._run("UPDATE jobs SET percentage = ? WHERE id = ? AND state = 'RUNNING'", (percentage, job_id))

    def finish_job(self, job: dict, outputs: list[tuple[str, str, str, str, int, str]], metadata: dict) -> None:
        """Register output files (key, format, type, path, size, etag) and mark the job FINISHED, at once."""
        server_meta = {**json.loads(job["server_metadata"] or "{}"), **metadata}
        server_meta.pop("failureReason", None)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM job_outputs WHERE job_id = ?", (job["id"],))
                for key, fmt, file_type, path, size, etag in outputs:
                    row = self.create_file(job["client_id"], file_type, f"{job['id']}-{key}{file_type}", "{}",
                                           "output", path, size=size, etag=etag)
                    self._db.execute("INSERT INTO job_outputs (job_id, key, format, file_id) VALUES (?, ?, ?, ?)",
                                     (job["id"], key, fmt, row["id"]))
                self._db.execute(
                    "UPDATE jobs SET state = 'FINISHED', percentage = 100, server_metadata = ? WHERE id = ?",
                    (json.dumps(server_meta), job["id"]))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def fail_job(self, job: dict, reason: str, metadata: dict | None = None) -> None:
        server_meta = {**json.loads(job["server_metadata"] or "{}"), **(metadata or {}), "failureReason": reason}
        self._run("UPDATE jobs SET state = 'FAILED', server_metadata = ? WHERE id = ?",
                  (json.dumps(server_meta), job["id"]))

    # -- volumes -------------------------------------------------------------------------------
    def create_volume(self, client_id: str, name: str | None, metadata: str, area_type: str,
                      clip_window: dict | None, human_height: float, sources: list,
                      sync_method: dict | None) -> dict:
        return self._insert("volumes", {
            "id": new_id("volume"), "client_id": client_id, "name": name, "metadata": metadata,
            "created": now_iso(), "area_type": area_type,
            "clip_window": json.dumps(clip_window) if clip_window else None, "human_height": human_height,
            "sources": json.dumps(sources), "sync_method": json.dumps(sync_method) if sync_method else None,
            "state": "NOT_STARTED", "percentage": 0,
        })

    def get_volume(self, client_id: str, volume_id: str) -> dict | None:
        return self._one("SELECT * FROM volumes WHERE id = ? AND client_id = ?", (volume_id, client_id))

    def unfinished_volumes(self) -> list[dict]:
        return self._all("SELECT * FROM volumes WHERE state IN ('NOT_STARTED', 'RUNNING') ORDER BY seq")

    def set_volume_state(self, volume_id: str, state: str, percentage: int) -> None:
        self._run("UPDATE volumes SET state = ?, percentage = ? WHERE id = ?", (state, percentage, volume_id))

    def finish_volume(self, volume: dict, metadata: dict, output: tuple[str, str, int, str] | None) -> None:
        """Store the calibration's metadata and its file (type, path, size, etag), and mark it FINISHED."""
        with self._lock:
            file_id = None
            if output is not None:
                file_type, path, size, etag = output
                file_id = self.create_file(volume["client_id"], file_type, f"{volume['id']}-cameras{file_type}", "{}",
                                           "output", path, size=size, etag=etag)["id"]
            self._run("INSERT OR REPLACE INTO volume_results (volume_id, server_metadata, output_file_id) "
                      "VALUES (?, ?, ?)", (volume["id"], json.dumps(metadata), file_id))
            self.set_volume_state(volume["id"], "FINISHED", 100)

    def fail_volume(self, volume: dict, reason: str) -> None:
        with self._lock:
            self._run("INSERT OR REPLACE INTO volume_results (volume_id, server_metadata, output_file_id) "
                      "VALUES (?, ?, NULL)", (volume["id"], json.dumps({"failureReason": reason})))
            self.set_volume_state(volume["id"], "FAILED", 0)

    def volume_result(self, volume_id: str) -> dict | None:
        return self._one("SELECT * FROM volume_results WHERE volume_id = ?", (volume_id,))

    # -- webhooks and share codes (kept minimal: stored and echoed back) -----------------------
    def upsert_webhook(self, client_id: str, uid: str, url: str, description: str | None, events: list,
                       metadata: str, secret: str | None) -> dict:
        self._run("INSERT OR REPLACE INTO webhooks (client_id, uid, url, description, events, metadata, secret) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?)", (client_id, uid, url, description, json.dumps(events), metadata,
                                                    secret))
        return self._one("SELECT * FROM webhooks WHERE client_id = ? AND uid = ?", (client_id, uid))

    def webhooks_of(self, client_id: str) -> list[dict]:
        return self._all("SELECT * FROM webhooks WHERE client_id = ?", (client_id,))

    def create_share_code(self, client_id: str, file_id: str, code: str, expires: str) -> dict:
        return self._insert("share_codes", {"code": code, "client_id": client_id, "file_id": file_id,
                                            "created": now_iso(), "expires": expires})
