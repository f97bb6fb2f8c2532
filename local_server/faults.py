# SPDX-License-Identifier: GPL-3.0-or-later
"""Injected faults for tests and benchmarks: the rules behind POST/GET/DELETE /_faults.

A rule applies to requests on one route (graphql, upload, download); `count` is decremented by
each request it applies to and the rule is dropped at zero; without `count` it lasts until
DELETE /_faults. On graphql, refusals (429/502/503/504, other statuses) happen *before* the
operation runs, while 500, malformed answers and dropped connections happen *after* it ran,
so the client cannot know the outcome; `"when"` overrides that.

Two rules answer HTTP 200 in AppSync's shapes instead: `errors` (data null and an errors list, as
a failed resolver answers) and `data_null` (data null, or each top-level field null, with no
errors). Both default to "before": a failed resolver usually failed without effect.

Bounds: latency rules add up on a request, so a rule is refused when the latency that could apply to
one request would pass MAX_TOTAL_LATENCY_MS, and at most MAX_RULES rules are active at once.
Requests that fail authentication never reach the book: they neither see nor spend a rule.
"""
from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import asdict, dataclass

ROUTES = ("graphql", "upload", "download")
KINDS = ("status", "drop", "malformed", "expired", "latency_ms", "errors", "data_null", "fail_next_job")
KEYS = set(KINDS) | {"route", "count", "operation", "when", "errorType"}
DEFAULT_ERROR_TYPE = "InternalFailure"  # AppSync's type for a resolver that failed on the server side
MAX_TOTAL_LATENCY_MS = 60_000  # per request, all latency rules together; a client's timeout is shorter
MAX_RULES = 100


class FaultSpecError(ValueError):
    """A /_faults body that does not describe a rule."""


@dataclass
class FaultRule:
    id: int
    route: str | None  # None only for latency on every route
    status: int | None = None
    drop: bool = False
    malformed: bool = False
    expired: bool = False
    latency_ms: int | None = None
    errors: str | None = None  # graphql only: message of the injected GraphQL error
    errorType: str | None = None  # noqa: N815 - spelt as in the answer and the rule's JSON
    data_null: bool | str = False  # graphql only: True = "data": null; "fields" = each root field null
    count: int | None = None  # requests left; None = until cleared
    operation: str | None = None  # graphql only: operation name or root field, e.g. createSingleCamJob
    when: str = "before"  # "before" or "after" the request's real work

    def as_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, False)}

    def applies_to(self, route: str, operations: list[str] | None) -> bool:
        if self.route is not None and self.route != route:
            return False
        if self.operation is None:
            return True
        return operations is not None and self.operation.lower() in {o.lower() for o in operations if o}


def _positive_int(spec: dict, key: str, low: int = 0, high: int | None = None) -> int | None:
    if key not in spec:
        return None
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        raise FaultSpecError(f"{key} must be an integer between {low} and {high if high is not None else 'any'}")
    return value


def parse_rule(spec: object, rule_id: int) -> FaultRule:
    if not isinstance(spec, dict):
        raise FaultSpecError("the body must be a JSON object describing one rule")
    unknown = set(spec) - KEYS
    if unknown:
        raise FaultSpecError(f"unknown keys: {', '.join(sorted(unknown))}")
    kinds = [k for k in KINDS if k in spec and spec[k] not in (False, None)]
    if len(kinds) != 1:
        raise FaultSpecError(f"give exactly one of: {', '.join(KINDS)}")
    kind = kinds[0]
    route = spec.get("route")
    if route is not None and route not in ROUTES:
        raise FaultSpecError(f"route must be one of: {', '.join(ROUTES)}")
    if route is None and kind != "latency_ms":
        raise FaultSpecError("route is required (graphql, upload or download)")
    count = _positive_int(spec, "count", low=1)
    rule = FaultRule(id=rule_id, route=route, count=count)
    if kind == "status":
        rule.status = _positive_int(spec, "status", low=400, high=599)
    elif kind == "latency_ms":
        rule.latency_ms = _positive_int(spec, "latency_ms", low=0, high=MAX_TOTAL_LATENCY_MS)
    elif kind == "errors":
        if not isinstance(spec["errors"], str) or not spec["errors"].strip():
            raise FaultSpecError("errors takes the error's message text")
        rule.errors = spec["errors"]
        rule.errorType = spec.get("errorType", DEFAULT_ERROR_TYPE)
    elif kind == "data_null":
        if spec["data_null"] not in (True, "fields"):
            raise FaultSpecError('data_null must be true (data is null) or "fields" (each top-level field is null)')
        rule.data_null = spec["data_null"]
    elif spec[kind] is not True:
        raise FaultSpecError(f"{kind} must be true")
    else:
        setattr(rule, kind, True)
    if rule.malformed and route != "graphql":
        raise FaultSpecError("malformed applies to the graphql route only")
    if (rule.errors or rule.data_null) and route != "graphql":
        raise FaultSpecError("errors and data_null apply to the graphql route only")
    if "errorType" in spec and (rule.errors is None or not isinstance(spec["errorType"], str)
                                or not spec["errorType"].strip()):
        raise FaultSpecError("errorType is a non-empty text, with errors only")
    if rule.expired and route not in ("upload", "download"):
        raise FaultSpecError("expired applies to the upload and download routes only")
    operation = spec.get("operation")
    if operation is not None:
        if route != "graphql" or not isinstance(operation, str) or not operation:
            raise FaultSpecError("operation is a GraphQL operation or field name, on the graphql route only")
        rule.operation = operation
    when = spec.get("when")
    if when is None:
        after = route == "graphql" and (rule.malformed or rule.drop or rule.status == 500)
        when = "after" if after else "before"
    if when not in ("before", "after"):
        raise FaultSpecError('when must be "before" or "after"')
    rule.when = when
    return rule


def graphql_fault_body(rule: FaultRule, fields: list[str]) -> dict:
    """The HTTP 200 body of an `errors` or `data_null` rule for a request on these top-level fields."""
    if rule.data_null == "fields" and fields:
        return {"data": {field: None for field in fields}}
    if rule.data_null:
        return {"data": None}
    error = {"message": rule.errors, "errorType": rule.errorType, "data": None, "errorInfo": None, "locations": []}
    if fields:
        error["path"] = [fields[0]]
    return {"data": None, "errors": [error]}


class FaultBook:
    """The active rules and queued job failures; every method is thread-safe."""

    def __init__(self):
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._rules: list[FaultRule] = []
        self._job_failures: deque[str] = deque()

    def add(self, spec: object) -> dict:
        if isinstance(spec, dict) and "fail_next_job" in spec:
            reason = spec["fail_next_job"]
            if set(spec) != {"fail_next_job"} or not isinstance(reason, str) or not reason.strip():
                raise FaultSpecError("fail_next_job takes a non-empty reason text and nothing else")
            with self._lock:
                if len(self._job_failures) >= MAX_RULES:
                    raise FaultSpecError(f"at most {MAX_RULES} job failures can be queued")
                self._job_failures.append(reason)
            return {"fail_next_job": reason}
        with self._lock:
            rule = parse_rule(spec, next(self._ids))
            if len(self._rules) >= MAX_RULES:
                raise FaultSpecError(f"at most {MAX_RULES} rules can be active; DELETE /_faults to start over")
            if rule.latency_ms:
                for route in ROUTES:
                    total = sum(r.latency_ms or 0 for r in self._rules + [rule] if r.route in (None, route))
                    if total > MAX_TOTAL_LATENCY_MS:
                        raise FaultSpecError(f"latency rules on {route} would add up to {total} ms per request; "
                                             f"the limit is {MAX_TOTAL_LATENCY_MS} ms")
            self._rules.append(rule)
        return rule.as_dict()

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._job_failures.clear()

    def snapshot(self) -> dict:
        with self._lock:
            return {"rules": [r.as_dict() for r in self._rules], "fail_next_job": list(self._job_failures)}

    def take(self, route: str, operations: list[str] | None = None) -> tuple[int, FaultRule | None]:
        """For one request: total injected latency (ms) and the first other rule that applies (consumed)."""
        latency, chosen = 0, None
        with self._lock:
            for rule in self._rules:
                if not rule.applies_to(route, operations):
                    continue
                if rule.latency_ms is not None:
                    latency += rule.latency_ms
                elif chosen is None:
                    chosen = rule
                else:
                    continue
                if rule.count is not None:
                    rule.count -= 1
            self._rules = [r for r in self._rules if r.count is None or r.count > 0]
        return min(latency, MAX_TOTAL_LATENCY_MS), chosen

    def take_job_failure(self) -> str | None:
        with self._lock:
            return self._job_failures.popleft() if self._job_failures else None
