# SPDX-License-Identifier: GPL-3.0-or-later
"""The Move GraphQL API over the store: the schema from lib/schema.graphql with resolvers, AppSync error shapes.

Resolvers return plain dicts keyed by GraphQL field names; nested objects are callables, so a
related row is only read when a query asks for it.
"""
from __future__ import annotations

import json
import random
import re
import secrets
import sys
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from graphql import (GraphQLError, GraphQLSchema, OperationDefinitionNode, build_schema, execute, validate,
                     value_from_ast_untyped)
from graphql.language import DocumentNode, FieldNode

from .output_types import MULTI_CAM_DEFAULTS, OUTPUTS, SINGLE_CAM_DEFAULTS
from .processor_registry import ProcessorSlot
from .query_limits import QueryRefused, parse_bounded
from .signing import UrlSigner
from .store import Store, new_id

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "lib" / "schema.graphql"
RIGS = ["move_mo"]
# Lens names for createVolumeWithHuman; each gives calibration its first focal length guess (multicam/volume.py).
LENSES = ["iphone-main-wide", "iphone-ultra-wide", "android-main-wide", "gopro-linear", "generic-35mm"]
SINGLE_CAM_MODELS = {"S1", "S2"}
MULTI_CAM_MODELS = {"M1", "M2"}
DEFAULT_PAGE, MAX_PAGE = 20, 100
NOT_FOUND_MESSAGE = "Resource not found in move-ugc-api."


class MoveApiError(Exception):
    """An error a resolver answers with: AppSync's errorType plus a message a user can act on."""

    def __init__(self, error_type: str, message: str):
        super().__init__(message)
        self.error_type = error_type
        self.message = message


def not_found() -> MoveApiError:
    return MoveApiError("MoveNotFoundError", NOT_FOUND_MESSAGE)


def bad_request(message: str) -> MoveApiError:
    return MoveApiError("BadRequestException", message)


@dataclass
class RequestContext:
    client_id: str
    base_url: str  # http://host:port of the server as configured (never the Host header), for presigned URLs


# -- AWSJSON: JSON documents carried as strings ------------------------------------------------
def _awsjson_serialize(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _awsjson_parse_value(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise GraphQLError("AWSJSON value is not valid JSON.") from None
    return value  # an already-decoded object is accepted as is


def _awsjson_parse_literal(node, variables=None) -> Any:
    return _awsjson_parse_value(value_from_ast_untyped(node, variables))


def load_schema(path: Path = SCHEMA_PATH) -> GraphQLSchema:
    schema = build_schema(path.read_text(encoding="utf-8"))
    awsjson = schema.type_map["AWSJSON"]
    awsjson.serialize = _awsjson_serialize
    awsjson.parse_value = _awsjson_parse_value
    awsjson.parse_literal = _awsjson_parse_literal
    schema.type_map["Volume"].resolve_type = lambda value, info, abstract: "HumanVolume"
    return schema


def root_field_names(document: DocumentNode, operation_name: str | None) -> list[str]:
    """Top-level field names of the operation a request runs (for fault rules restricted to one)."""
    names = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            if operation_name and (definition.name is None or definition.name.value != operation_name):
                continue
            names += [s.name.value for s in definition.selection_set.selections if isinstance(s, FieldNode)]
    return names


def _json_text(value: Any, *, require_object: bool = False, field: str = "metadata") -> str:
    """Metadata as stored: JSON text, "{}" when absent."""
    if value is None:
        return "{}"
    if require_object and not isinstance(value, dict):
        raise bad_request(f"{field} must be a JSON object.")
    return json.dumps(value)


def _safe_filename(name: str, fallback: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name or "").strip("._")
    return cleaned[:120] or fallback


class MoveGraphQL:
    def __init__(self, store: Store, signer: UrlSigner, processor: ProcessorSlot, uploads_dir: Path,
                 on_work: Callable[[], None] = lambda: None, schema_path: Path = SCHEMA_PATH):
        self.store = store
        self.uploads_dir = uploads_dir
        self.signer = signer
        self.processor = processor
        self.on_work = on_work  # wakes the job runner when a job or volume is created
        self.schema = load_schema(schema_path)
        for type_name, resolvers in (("Query", self._query_resolvers()), ("Mutation", self._mutation_resolvers())):
            fields = self.schema.type_map[type_name].fields
            for name, fn in resolvers.items():
                fields[name].resolve = fn
        missing = [f"{t}.{n}" for t in ("Query", "Mutation") for n, f in self.schema.type_map[t].fields.items()
                   if f.resolve is None]
        assert not missing, f"fields without a resolver: {missing}"

    # -- running a request ---------------------------------------------------------------------
    def parse_request(self, body: Any) -> tuple[DocumentNode | None, list[dict] | None]:
        """Parse and validate the query; returns (document, None) or (None, AppSync errors).

        Raises QueryTooLarge (query_limits) for a query text past the size limit.
        """
        query = body.get("query")
        if not isinstance(query, str) or not query.strip():
            return None, [self._error_entry(None, "BadRequestException", "The request has no query.")]
        try:
            document = parse_bounded(query)
        except QueryRefused as err:
            return None, [self._error_entry(None, "BadRequestException", str(err))]
        except GraphQLError as err:
            return None, [self._format(err, "ValidationError")]
        errors = validate(self.schema, document)
        if errors:
            return None, [self._format(e, "ValidationError") for e in errors]
        return document, None

    def run(self, document: DocumentNode, body: dict, ctx: RequestContext) -> dict:
        variables = body.get("variables")
        if variables is not None and not isinstance(variables, dict):
            return {"data": None, "errors": [self._error_entry(None, "BadRequestException",
                                                                 "variables must be a JSON object.")]}
        result = execute(self.schema, document, variable_values=variables or {},
                         operation_name=body.get("operationName"), context_value=ctx)
        answer: dict = {"data": result.data}
        if result.errors:
            answer["errors"] = [self._format(e, "ValidationError") for e in result.errors]
        return answer

    @staticmethod
    def _error_entry(path, error_type: str, message: str, locations=None) -> dict:
        return {"path": path, "data": None, "errorType": error_type, "errorInfo": None,
                "locations": locations or [], "message": message}

    def _format(self, err: GraphQLError, default_type: str) -> dict:
        original = err.original_error
        if isinstance(original, MoveApiError):
            error_type, message = original.error_type, original.message
        elif original is not None and not isinstance(original, GraphQLError):
            # A bug on our side: keep details in the server log, tell the caller plainly.
            traceback.print_exception(type(original), original, original.__traceback__, file=sys.stderr)
            error_type, message = "InternalFailure", "An internal error occurred in the local server."
        else:
            error_type, message = default_type, err.message
        locations = [{"line": loc.line, "column": loc.column, "sourceName": None} for loc in (err.locations or [])]
        return self._error_entry(err.path, error_type, message, locations)

    # -- views: rows -> GraphQL-shaped dicts ---------------------------------------------------
    def client_view(self, client_id: str) -> dict:
        row = self.store.get_client(client_id)
        return {"id": row["id"], "name": row["name"], "created": row["created"], "metadata": row["metadata"],
                "portal": None}

    def _client_ref(self, client_id: str) -> Callable:
        return lambda info: self.client_view(client_id)

    def file_view(self, row: dict, ctx: RequestContext) -> dict:
        if row["has_data"]:
            filename = _safe_filename(row["name"], row["id"] + ("" if row["type"].startswith(".") else ".")
                                      + row["type"])
            url = self.signer.download_url(ctx.base_url, row["id"], filename)
        else:
            url = self.signer.upload_url(ctx.base_url, row["id"])
        return {"id": row["id"], "type": row["type"], "name": row["name"], "metadata": row["metadata"],
                "created": row["created"], "presignedUrl": url, "thumbnailUrl": None,
                "client": self._client_ref(row["client_id"])}

    def _file_ref(self, file_id: str, ctx: RequestContext) -> Callable:
        def resolve(info):
            row = self.store.get_file(ctx.client_id, file_id)
            return self.file_view(row, ctx) if row else None
        return resolve

    def _source_view(self, source: dict, ctx: RequestContext) -> dict:
        return {"deviceLabel": source["deviceLabel"], "format": source["format"],
                "cameraSettings": source.get("cameraSettings"), "file": self._file_ref(source["fileId"], ctx)}

    def take_view(self, row: dict, ctx: RequestContext) -> dict:
        sources = json.loads(row["sources"])
        volume_id = row["volume_id"]
        return {
            "id": row["id"], "name": row["name"], "metadata": row["metadata"], "created": row["created"],
            "client": self._client_ref(row["client_id"]), "takeType": row["take_type"],
            "sources": [self._source_view(s, ctx) for s in sources],
            "videoFile": self._file_ref(sources[0]["fileId"], ctx) if sources else None,
            "syncMethod": json.loads(row["sync_method"]) if row["sync_method"] else None,
            "volume": (lambda info: self._volume_or_none(volume_id, ctx)) if volume_id else None,
            "additionalFiles": [],
        }

    def _volume_or_none(self, volume_id: str, ctx: RequestContext) -> dict | None:
        row = self.store.get_volume(ctx.client_id, volume_id)
        return self.volume_view(row, ctx) if row else None

    def job_view(self, row: dict, ctx: RequestContext) -> dict:
        metadata = {**json.loads(row["user_metadata"] or "{}"), **json.loads(row["server_metadata"] or "{}")}
        state = row["state"]
        job_id, take_id = row["id"], row["take_id"]

        def outputs(info):
            if state != "FINISHED":
                return []
            items = [{"key": o["key"], "format": o["format"], "file": self.file_view(o, ctx)}
                     for o in self.store.job_outputs(job_id)]
            random.shuffle(items)  # Move gives no stable order; clients must select by key/format
            return items

        def take(info):
            take_row = self.store.get_take(ctx.client_id, take_id)
            return self.take_view(take_row, ctx) if take_row else None

        return {
            "id": job_id, "name": row["name"], "created": row["created"], "metadata": json.dumps(metadata),
            "client": self._client_ref(row["client_id"]), "take": take,
            "inputs": {"clipWindow": json.loads(row["clip_window"]) if row["clip_window"] else None,
                       "numberOfActors": row["number_of_actors"], "options": json.loads(row["options"])},
            "outputs": outputs, "progress": {"state": state, "percentageComplete": row["percentage"]},
            "rig": {"name": row["rig"]},
            "state": "NOT STARTED" if state == "NOT_STARTED" else state,  # the deprecated spelling seen live
        }

    def volume_view(self, row: dict, ctx: RequestContext) -> dict:
        result = self.store.volume_result(row["id"]) or {}
        metadata = row["metadata"]
        if result.get("server_metadata"):  # the calibration's cameras (or failureReason) beside what the user sent
            metadata = json.dumps({**json.loads(row["metadata"] or "{}"), **json.loads(result["server_metadata"])})
        outputs = []
        if result.get("output_file_id"):
            file_row = self.store.get_file(ctx.client_id, result["output_file_id"])
            if file_row:
                outputs = [{"key": "cameras", "format": "toml", "file": self.file_view(file_row, ctx)}]
        return {
            "id": row["id"], "name": row["name"], "metadata": metadata, "created": row["created"],
            "client": self._client_ref(row["client_id"]), "areaType": row["area_type"],
            "clipWindow": json.loads(row["clip_window"]) if row["clip_window"] else None,
            "humanHeight": row["human_height"],
            "sources": [self._source_view(s, ctx) for s in json.loads(row["sources"])],
            "state": row["state"], "progress": {"state": row["state"], "percentageComplete": row["percentage"]},
            "outputs": outputs,
        }

    # -- argument checks -----------------------------------------------------------------------
    def _page_args(self, first, after, sort_direction) -> tuple[int, int | None, bool]:
        first = DEFAULT_PAGE if first is None else first
        if not 1 <= first <= MAX_PAGE:
            raise bad_request(f"first must be between 1 and {MAX_PAGE}.")
        after_seq = None
        if after is not None:
            if not (isinstance(after, dict) and isinstance(after.get("seq"), int)):
                raise bad_request("after is not a page cursor from this server.")
            after_seq = after["seq"]
        return first, after_seq, (sort_direction or "DESC") == "DESC"

    def _page(self, table: str, ctx: RequestContext, view: Callable, first, after, sort_direction,
              where: str = "", params: tuple = ()) -> dict:
        first, after_seq, descending = self._page_args(first, after, sort_direction)
        rows, next_seq = self.store.page(table, ctx.client_id, first, after_seq, descending, where, params)
        return {"items": [view(r, ctx) for r in rows], "first": first,
                "after": {"seq": next_seq} if next_seq is not None else None}

    def _sources(self, sources, ctx: RequestContext, *, need_lens: bool = False) -> list[dict]:
        checked = []
        for source in sources or []:
            row = self.store.get_file(ctx.client_id, source["fileId"])
            if row is None:
                raise not_found()
            if not row["has_data"]:
                raise bad_request(f"File {row['id']} has no data yet: PUT the video to its presignedUrl first.")
            if not source["deviceLabel"].strip():
                raise bad_request("deviceLabel must not be empty.")
            lens = (source.get("cameraSettings") or {}).get("lens")
            if need_lens and lens not in LENSES:
                raise bad_request(f"cameraSettings.lens must be one of listCameraSettings: {', '.join(LENSES)}.")
            checked.append({"deviceLabel": source["deviceLabel"], "fileId": row["id"], "format": source["format"],
                            "cameraSettings": {"lens": lens} if lens else None})
        return checked

    @staticmethod
    def _clip_window(window) -> dict | None:
        if window is None:
            return None
        start, end = window["startTime"], window["endTime"]
        if start < 0 or end <= start:
            raise bad_request("clipWindow needs 0 <= startTime < endTime (seconds of the source video).")
        return {"startTime": float(start), "endTime": float(end)}

    @staticmethod
    def _options(options, models: set[str], kind: str) -> dict:
        options = {k: v for k, v in (options or {}).items() if v is not None}
        model = options.get("mocapModel")
        if model is not None and model not in models:
            raise bad_request(f"mocapModel {model} is not for {kind} jobs; use one of {', '.join(sorted(models))}.")
        return options

    def _outputs(self, requested, defaults: list[str]) -> list[str]:
        supported = set(OUTPUTS)
        declared = self.processor.supported_outputs()
        if declared is not None:
            supported &= declared
        if not requested:
            return [o for o in defaults if o in supported]
        chosen = list(dict.fromkeys(o for o in requested if o is not None))
        unsupported = [o for o in chosen if o not in supported]
        if unsupported:
            raise bad_request(f"Output type {', '.join(unsupported)} is not supported by this local server "
                              f"(processor {self.processor.name!r}); supported: {', '.join(sorted(supported))}.")
        return chosen

    def _own_take(self, take_id: str, ctx: RequestContext) -> dict:
        row = self.store.get_take(ctx.client_id, take_id)
        if row is None:
            raise not_found()
        return row

    # -- resolvers -----------------------------------------------------------------------------
    def _query_resolvers(self) -> dict[str, Callable]:
        s = self

        def get_or_404(row, view, ctx):
            if row is None:
                raise not_found()
            return view(row, ctx)

        return {
            "client": lambda _, info: s.client_view(info.context.client_id),
            "getFile": lambda _, info, fileId: get_or_404(
                s.store.get_file(info.context.client_id, fileId), s.file_view, info.context),
            "getJob": lambda _, info, jobId: get_or_404(
                s.store.get_job(info.context.client_id, jobId), s.job_view, info.context),
            "getTake": lambda _, info, takeId: get_or_404(
                s.store.get_take(info.context.client_id, takeId), s.take_view, info.context),
            "getVolume": lambda _, info, id: get_or_404(
                s.store.get_volume(info.context.client_id, id), s.volume_view, info.context),
            "listCameraSettings": lambda _, info: {"items": [{"lens": lens} for lens in LENSES],
                                                   "first": len(LENSES), "after": None},
            "listRigs": lambda _, info: {"items": [{"name": r} for r in RIGS], "first": len(RIGS), "after": None},
            "listTakes": lambda _, info, first=None, after=None, sortDirection=None: s._page(
                "takes", info.context, s.take_view, first, after, sortDirection),
            "listVolumes": lambda _, info, first=None, after=None, sortDirection=None: s._page(
                "volumes", info.context, s.volume_view, first, after, sortDirection),
            "listJobs": s._list_jobs,
        }

    def _list_jobs(self, _, info, first=None, after=None, sortDirection=None, takeId=None):
        where, params = ("AND take_id = ?", (takeId,)) if takeId else ("", ())
        return self._page("jobs", info.context, self.job_view, first, after, sortDirection, where, params)

    def _mutation_resolvers(self) -> dict[str, Callable]:
        return {
            "createFile": self._create_file,
            "updateFile": self._update_file,
            "generateShareCode": self._generate_share_code,
            "createSingleCamTake": self._create_single_cam_take,
            "createMultiCamTake": self._create_multi_cam_take,
            "updateTake": self._update_take,
            "createSingleCamJob": self._create_single_cam_job,
            "createMultiCamJob": self._create_multi_cam_job,
            "updateJob": self._update_job,
            "createVolumeWithHuman": self._create_volume,
            "updateClient": self._update_client,
            "upsertWebhookEndpoint": self._upsert_webhook,
        }

    def _create_file(self, _, info, type, metadata=None, name=None):
        ctx: RequestContext = info.context
        file_type = type.strip().lstrip(".").lower()
        if not re.fullmatch(r"[a-z0-9]{1,16}", file_type):
            raise bad_request("type must be a file extension such as mp4, mov or avi.")
        file_id = new_id("file")
        path = self.uploads_dir / f"{file_id}.{file_type}"
        row = self.store.create_file(ctx.client_id, file_type, name, _json_text(metadata), "upload", str(path),
                                     file_id=file_id)
        return self.file_view(row, ctx)

    def _update_file(self, _, info, id, metadata=None, name=None):
        ctx = info.context
        if self.store.get_file(ctx.client_id, id) is None:
            raise not_found()
        self.store.update_file(ctx.client_id, id, name, None if metadata is None else _json_text(metadata))
        return self.file_view(self.store.get_file(ctx.client_id, id), ctx)

    def _generate_share_code(self, _, info, fileId):
        ctx = info.context
        row = self.store.get_file(ctx.client_id, fileId)
        if row is None:
            raise not_found()
        expires = (datetime.now(timezone.utc) + timedelta(seconds=self.signer.ttl)).isoformat(
            timespec="milliseconds").replace("+00:00", "Z")
        share = self.store.create_share_code(ctx.client_id, fileId, secrets.token_urlsafe(9), expires)
        view = self.file_view(row, ctx)
        return {"code": share["code"], "created": share["created"], "expires": expires, "file": view,
                "url": view["presignedUrl"] if row["has_data"] else None}

    def _create_single_cam_take(self, _, info, sources=None, metadata=None, name=None):
        ctx = info.context
        checked = self._sources(sources, ctx)
        if len(checked) != 1:
            raise bad_request("A single-camera take needs exactly one source.")
        row = self.store.create_take(ctx.client_id, "SINGLE_CAM", checked, name, _json_text(metadata))
        return self.take_view(row, ctx)

    def _create_multi_cam_take(self, _, info, volumeId, sources=None, syncMethod=None, metadata=None, name=None):
        ctx = info.context
        volume = self.store.get_volume(ctx.client_id, volumeId)
        if volume is None:
            raise not_found()
        if volume["state"] == "FAILED":
            reason = json.loads((self.store.volume_result(volumeId) or {}).get("server_metadata") or "{}").get(
                "failureReason", "")
            raise bad_request(f"Volume {volumeId} FAILED and cannot take recordings: {reason} "
                              "Calibrate a new volume.")
        if volume["state"] != "FINISHED":
            raise bad_request(f"Volume {volumeId} is not calibrated yet (state {volume['state']}); "
                              "poll getVolume until FINISHED.")
        checked = self._sources(sources, ctx)
        if len(checked) < 2:
            raise bad_request("A multi-camera take needs at least two sources.")
        row = self.store.create_take(ctx.client_id, "MULTI_CAM", checked, name, _json_text(metadata),
                                     sync_method=syncMethod, volume_id=volumeId)
        return self.take_view(row, ctx)

    def _update_take(self, _, info, id, metadata=None, name=None):
        ctx = info.context
        self._own_take(id, ctx)
        self.store.update_take(ctx.client_id, id, name, None if metadata is None else _json_text(metadata))
        return self.take_view(self.store.get_take(ctx.client_id, id), ctx)

    def _create_job(self, ctx, takeId, take_type, kind, models, defaults, clipWindow, options, outputs,
                    metadata, name, number_of_actors=1, rig=RIGS[0]):
        take = self._own_take(takeId, ctx)
        if take["take_type"] != take_type:
            other = "createMultiCamJob" if take_type == "SINGLE_CAM" else "createSingleCamJob"
            raise bad_request(f"Take {takeId} is a {take['take_type']} take; use {other}.")
        row = self.store.create_job(
            ctx.client_id, takeId, take_type, name, _json_text(metadata, require_object=True),
            self._clip_window(clipWindow), self._options(options, models, kind),
            self._outputs(outputs, defaults), number_of_actors, rig)
        self.on_work()
        return self.job_view(row, ctx)

    def _create_single_cam_job(self, _, info, takeId, clipWindow=None, metadata=None, name=None, options=None,
                               outputs=None):
        return self._create_job(info.context, takeId, "SINGLE_CAM", "single-camera", SINGLE_CAM_MODELS,
                                SINGLE_CAM_DEFAULTS, clipWindow, options, outputs, metadata, name)

    def _create_multi_cam_job(self, _, info, takeId, clipWindow=None, metadata=None, name=None,
                              numberOfActors=None, options=None, outputs=None, rig=None):
        actors = 1 if numberOfActors is None else numberOfActors
        if not 1 <= actors <= 10:
            raise bad_request("numberOfActors must be between 1 and 10.")
        rig = rig or RIGS[0]
        if rig not in RIGS:
            raise bad_request(f"Unknown rig {rig!r}; listRigs gives: {', '.join(RIGS)}.")
        return self._create_job(info.context, takeId, "MULTI_CAM", "multi-camera", MULTI_CAM_MODELS,
                                MULTI_CAM_DEFAULTS, clipWindow, options, outputs, metadata, name, actors, rig)

    def _update_job(self, _, info, id, metadata=None, name=None):
        ctx = info.context
        if self.store.get_job(ctx.client_id, id) is None:
            raise not_found()
        self.store.update_job(ctx.client_id, id, name,
                              None if metadata is None else _json_text(metadata, require_object=True))
        return self.job_view(self.store.get_job(ctx.client_id, id), ctx)

    def _create_volume(self, _, info, humanHeight, areaType, clipWindow=None, sources=None, syncMethod=None,
                       metadata=None, name=None):
        ctx = info.context
        checked = self._sources(sources, ctx, need_lens=True)
        if len(checked) < 2:
            raise bad_request("A volume needs calibration clips from at least two cameras.")
        if not 0.5 <= humanHeight <= 2.5:
            raise bad_request("humanHeight is in metres and must be between 0.5 and 2.5.")
        row = self.store.create_volume(ctx.client_id, name, _json_text(metadata), areaType,
                                       self._clip_window(clipWindow), float(humanHeight), checked, syncMethod)
        self.on_work()
        return self.volume_view(row, ctx)

    def _update_client(self, _, info, metadata):
        ctx = info.context
        self.store.update_client(ctx.client_id, _json_text(metadata))
        return self.client_view(ctx.client_id)

    def _upsert_webhook(self, _, info, uid, url, description=None, events=None, metadata=None, secret=None):
        ctx = info.context
        if not re.match(r"https?://", url):
            raise bad_request("url must be an http(s) URL.")
        from .webhooks import new_secret

        row = self.store.upsert_webhook(ctx.client_id, uid, url, description, list(events or []),
                                        _json_text(metadata), secret or new_secret())  # every delivery is signed
        return {"client": self._client_ref(ctx.client_id), "uid": row["uid"], "url": row["url"],
                "description": row["description"], "events": json.loads(row["events"]),
                "metadata": row["metadata"], "secret": row["secret"]}
