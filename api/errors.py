"""One exception handler: every error becomes RFC 9457 problem+json with our error code.

Domain errors (db.errors) map to HTTP codes here and only here; nothing else reaches a client
(an unexpected error is logged with its traceback and answered as a bare 500).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException

from db import errors

log = logging.getLogger("smf.api")

# JSON is UTF-8 (RFC 8259); the charset is said anyway: a client that does not know
# application/problem+json as JSON (Python's requests, for one) otherwise guesses the text's
# encoding and can misread a non-ASCII detail (a hostile query value echoed in a 422)
PROBLEM = "application/problem+json; charset=utf-8"

# domain error -> (HTTP status, our code, title)
_DOMAIN: list[tuple[type[errors.SmfError], int, str, str]] = [
    (errors.NotFound, 404, "not-found", "Not found"),
    (errors.Conflict, 409, "conflict", "Conflict"),
    (errors.RetryableConflict, 503, "retry", "Concurrent change, try again"),
    (errors.InvalidParameter, 422, "invalid-parameter", "Invalid parameter"),
    (errors.BatchRejected, 422, "batch-rejected", "Upload rejected, nothing was written"),
    (errors.DatabaseUnavailable, 503, "database-unavailable", "Database unavailable"),
    (errors.PermissionDenied, 403, "forbidden", "Not allowed for this account"),
]
_HTTP_CODES = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "too-large",
    415: "unsupported-media-type",
    422: "validation",
    429: "rate-limited",
    503: "unavailable",
}
UNAVAILABLE = {
    "database-unavailable": "database unavailable",
    "retry": "database unavailable: a concurrent change, try again",
}
_CONSTRAINT = re.compile(r"\(constraint (\w+)\)")
_COLUMN = re.compile(r'column "(\w+)"')
_TABLES = ("consumer_unit_", "distributor_", "meter_")


class ApiError(HTTPException):
    """An HTTP error with our code, a field (422) and extra members for the problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        code: str | None = None,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail=detail, status_code=status, headers=headers)
        self.code = code or _HTTP_CODES.get(status, "error")
        self.field = field
        self.extra_members = extra


# Query parameters whose Python name differs from the name a client sends (Litestar reports the
# Python name in its validation errors): the problem document names what the client sent.
_PARAM_NAMES = {"from_": "from"}


def field_of(message: str) -> str | None:
    """The request field a database refusal names: the constraint's column, or the column of a
    not-null violation (e.g. consumer_unit_uc_code_valid -> uc_code)."""
    if m := _CONSTRAINT.search(message):
        name = m.group(1)
        for prefix in _TABLES:
            if name.startswith(prefix):
                name = name[len(prefix) :]
                break
        return re.sub(r"_(check\d*|valid|key|fkey|differs|needs_\w+)$", "", name) or None
    if m := _COLUMN.search(message):
        return m.group(1)
    return None


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **members: Any,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in members.items() if v is not None})
    return Response(body, status_code=status, media_type=PROBLEM, headers=headers)


def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    path = request.url.path
    for cls, status, code, title in _DOMAIN:
        if isinstance(exc, cls):
            detail = str(exc)
            if status == 503:  # the server's own words (libpq text) go to the log only
                log.warning("503 on %s %s: %s", request.method, path, detail)
                detail = UNAVAILABLE[code]
            field = field_of(detail) if status == 422 else None
            line = getattr(exc, "line", None)
            headers = {"Retry-After": "5"} if status == 503 else None
            return problem(status, code, title, detail, path, headers, field=field, line=line)
    if isinstance(exc, ValidationException):
        found = [
            {
                "field": _PARAM_NAMES.get(str(e.get("key")), e.get("key")),
                "message": e.get("message"),
                "source": e.get("source"),
            }
            for e in (exc.extra if isinstance(exc.extra, list) else [])
            if isinstance(e, dict)
        ]
        field = found[0]["field"] if found else None
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in found) or exc.detail
        return problem(
            422, "validation", "Invalid request", detail, path, field=field, errors=found or None
        )
    if isinstance(exc, ApiError):
        return problem(
            exc.status_code,
            exc.code,
            _title(exc.status_code),
            exc.detail,
            path,
            exc.headers,
            field=exc.field,
            **exc.extra_members,
        )
    if isinstance(exc, HTTPException):
        status = exc.status_code
        code = _HTTP_CODES.get(status, "error")
        return problem(status, code, _title(status), exc.detail, path, exc.headers)
    log.exception("unhandled error on %s %s", request.method, path)
    return problem(
        500, "internal", "Internal error", "an internal error occurred; it is logged", path
    )


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
