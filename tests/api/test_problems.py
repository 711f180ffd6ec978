"""api/errors.py, the API's problem documents (RFC 9457), without a database: the field a
database refusal names, the document's members, how each domain error, validation error,
ApiError and HTTP exception maps to a status, code and title (503s without the server's words),
and the bare, logged 500 of an unexpected error."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from litestar.exceptions import HTTPException, ValidationException

from api import errors
from db import errors as db_errors


def test_field_of_database_refusals() -> None:
    f = errors.field_of
    assert f("new row violates check constraint (constraint consumer_unit_uc_code_valid)") == (
        "uc_code"
    )
    assert f("duplicate key (constraint meter_serial_key)") == "serial"
    assert f("(constraint distributor_aneel_code_check1)") == "aneel_code"
    assert f("(constraint consumer_unit_main_meter_id_fkey)") == "main_meter_id"
    assert f("(constraint consumer_unit_backup_differs)") == "backup"
    assert f("(constraint consumer_unit_musd_kw_needs_group_a)") == "musd_kw"
    assert f("(constraint meter_max_power_kw_check)") == "max_power_kw"
    assert f("(constraint other_thing_check)") == "other_thing"  # no table prefix
    assert f("(constraint meter__key)") is None  # nothing left of the name
    assert f('null value in column "customer_name" violates not-null') == "customer_name"
    assert f("something else") is None


def test_problem_document() -> None:
    r = errors.problem(409, "conflict", "Conflict", "d", "/x", {"H": "1"}, field="f", line=None)
    assert r.status_code == 409 and r.media_type == "application/problem+json; charset=utf-8"
    assert r.headers["H"] == "1"
    assert r.content == {
        "type": "/problems/conflict",
        "title": "Conflict",
        "status": 409,
        "detail": "d",
        "code": "conflict",
        "instance": "/x",
        "field": "f",
    }
    assert "instance" not in errors.problem(400, "c", "t", "d").content


REQ = SimpleNamespace(url=SimpleNamespace(path="/api/v1/x"), method="GET")


def _handle(exc: Exception) -> tuple[int, dict[str, Any], Any]:
    r = errors.handle(REQ, exc)  # type: ignore[arg-type]
    assert r.media_type == "application/problem+json; charset=utf-8"
    return r.status_code, r.content, r.headers


def test_domain_errors_map_to_http() -> None:
    cases = [
        (db_errors.NotFound("nf"), 404, "not-found", "Not found"),
        (db_errors.Conflict("c"), 409, "conflict", "Conflict"),
        (db_errors.RetryableConflict("r"), 503, "retry", "Concurrent change, try again"),
        (db_errors.InvalidParameter("ip"), 422, "invalid-parameter", "Invalid parameter"),
        (
            db_errors.BatchRejected("br"),
            422,
            "batch-rejected",
            "Upload rejected, nothing was written",
        ),
        (db_errors.DatabaseUnavailable("du"), 503, "database-unavailable", "Database unavailable"),
        (db_errors.PermissionDenied("pd"), 403, "forbidden", "Not allowed for this account"),
    ]
    for exc, status, code, title in cases:
        got, body, headers = _handle(exc)
        assert (got, body["code"], body["title"], body["status"]) == (status, code, title, status)
        # a 503 never carries the server's words (libpq text): they go to the log
        want = {
            "database-unavailable": "database unavailable",
            "retry": "database unavailable: a concurrent change, try again",
        }.get(code, str(exc))
        assert body["detail"] == want and body["instance"] == "/api/v1/x"
        assert body["type"] == f"/problems/{code}"
        assert headers.get("Retry-After") == ("5" if status == 503 else None), exc
        assert "field" not in body and "line" not in body


def test_422_domain_errors_name_the_field_and_line() -> None:
    exc = db_errors.InvalidParameter("bad (constraint consumer_unit_uc_code_valid)")
    _, body, _ = _handle(exc)
    assert body["field"] == "uc_code"
    rejected = db_errors.BatchRejected("line 7: bad")
    rejected.line = 7  # type: ignore[attr-defined]
    _, body, _ = _handle(rejected)
    assert body["line"] == 7
    # a 404 whose text names a column gets no field
    _, body, _ = _handle(db_errors.NotFound('no row in column "x"'))
    assert "field" not in body


def test_validation_errors_list_each_field() -> None:
    exc = ValidationException(
        detail="Validation failed",
        extra=[
            {"key": "limit", "message": "too small", "source": "query"},
            {"key": "q", "message": "missing", "source": "query"},
            "not a dict",
        ],
    )
    status, body, _ = _handle(exc)
    assert status == 422 and body["code"] == "validation" and body["title"] == "Invalid request"
    assert body["detail"] == "limit: too small; q: missing" and body["field"] == "limit"
    assert body["errors"] == [
        {"field": "limit", "message": "too small", "source": "query"},
        {"field": "q", "message": "missing", "source": "query"},
    ]
    status, body, _ = _handle(ValidationException(detail="plain"))
    assert body["detail"] == "plain" and "field" not in body and "errors" not in body


def test_api_and_http_errors() -> None:
    exc = errors.ApiError(429, "slow down", headers={"Retry-After": "9"}, limit=3, none=None)
    assert exc.code == "rate-limited" and exc.field is None
    status, body, headers = _handle(exc)
    assert status == 429 and body["title"] == "Too Many Requests" and headers["Retry-After"] == "9"
    assert body["limit"] == 3 and "none" not in body and body["detail"] == "slow down"
    status, body, _ = _handle(errors.ApiError(422, "x", code="mine", field="f"))
    assert (
        body["code"] == "mine"
        and body["field"] == "f"
        and body["title"] == ("Unprocessable Entity")
    )
    assert errors.ApiError(418, "t").code == "error"
    status, body, _ = _handle(errors.ApiError(599, "odd"))
    assert body["title"] == "Error"  # not an HTTP status Python knows
    status, body, _ = _handle(HTTPException(status_code=405, detail="no"))
    assert (status, body["code"]) == (405, "method-not-allowed")
    assert body["title"] == "Method Not Allowed"
    status, body, _ = _handle(HTTPException(status_code=418, detail="tea"))
    assert body["code"] == "error"
    for st, code in (
        (400, "bad-request"),
        (401, "unauthenticated"),
        (413, "too-large"),
        (415, "unsupported-media-type"),
        (503, "unavailable"),
        (409, "conflict"),
        (404, "not-found"),
        (403, "forbidden"),
        (422, "validation"),
    ):
        assert errors.ApiError(st, "x").code == code


def test_unexpected_errors_are_a_bare_logged_500(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("ERROR", logger="smf.api"):
        try:  # as Litestar calls it: while the exception is being handled
            raise RuntimeError("secret detail")
        except RuntimeError as exc:
            status, body, _ = _handle(exc)
    assert status == 500 and body["code"] == "internal" and body["title"] == "Internal error"
    assert body["detail"] == "an internal error occurred; it is logged"
    assert "secret" not in str(body)
    assert "unhandled error on GET /api/v1/x" in caplog.text and "secret detail" in caplog.text
