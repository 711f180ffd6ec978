"""Skeleton: health, OpenAPI, problem+json, authentication and its rate limit."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from db import migrate
from tests.api.conftest import Seed


@pytest.mark.slow
def test_health_reports_database_and_head(client: TestClient[Any]) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["database"] == "ok" and body["schema_at_head"] is True
    assert [body["revision"]] == migrate.heads()  # the checkout's one head


def test_openapi_document_lists_the_endpoints(client: TestClient[Any]) -> None:
    r = client.get("/api/docs/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for p in (
        "/health",
        "/api/v1/search",
        "/api/v1/meters/{serial}/intervals",
        "/api/v1/units/{uc_code}/rules/{rule}",
        "/api/v1/imports",
    ):
        assert p in paths, p
    assert client.get("/api/docs").status_code == 200


def test_openapi_declares_health_public_the_bound_of_tz_and_the_413_of_imports(
    client: TestClient[Any],
) -> None:
    """What a generated client believes: /health needs no key (security: []) while the other
    operations inherit the document's API key; a time zone parameter is at most 64 characters
    (a longer one is a 422, never a zoneinfo error)."""
    doc = client.get("/api/docs/openapi.json").json()
    assert doc["security"] == [{"apiKey": []}]
    assert doc["paths"]["/health"]["get"]["security"] == []
    assert "security" not in doc["paths"]["/api/v1/search"]["get"]
    tz_params = [
        prm
        for item in doc["paths"].values()
        for op in item.values()
        if isinstance(op, dict)
        for prm in op.get("parameters", [])
        if prm["name"] == "tz"
    ]
    assert tz_params, "no operation takes tz"
    assert {prm["schema"].get("maxLength") for prm in tz_params} == {64}
    # an upload above SMF_API_MAX_UPLOAD_BYTES is a 413 problem+json, and the document says so
    imports = doc["paths"]["/api/v1/imports"]["post"]["responses"]
    assert "413" in imports
    assert "application/problem+json" in imports["413"]["content"]


def test_no_key_is_401_problem_json(client: TestClient[Any]) -> None:
    r = client.get("/api/v1/search", params={"q": "x"})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 401 and body["code"] == "unauthenticated"
    assert body["type"] == "/problems/unauthenticated"


def test_validation_error_names_the_field(client: TestClient[Any], seeded: Seed) -> None:
    r = client.get(
        "/api/v1/search", params={"q": "x", "limit": "0"}, headers=seeded.headers("root")
    )
    assert r.status_code == 422
    assert r.json()["field"] == "limit"


def test_unknown_meter_is_404(client: TestClient[Any], seeded: Seed) -> None:
    r = client.get("/api/v1/meters/NOPE", headers=seeded.headers("root"))
    assert r.status_code == 404
    assert r.json()["code"] == "not-found"
    assert "Traceback" not in r.text


@pytest.mark.slow
def test_failed_logins_are_rate_limited(fresh: Any) -> None:
    seed, client = fresh
    bad = {"Authorization": "Bearer smf_aaaaaaaaaaaa_" + "x" * 43}
    codes = [
        client.get("/api/v1/search", params={"q": "a"}, headers=bad).status_code for _ in range(10)
    ]
    assert codes == [401] * 10
    r = client.get("/api/v1/search", params={"q": "a"}, headers=seed.headers("root"))
    assert r.status_code == 429  # the source is blocked, even with a good key
    assert int(r.headers["retry-after"]) > 0
    assert "try again" in r.json()["detail"]


@pytest.mark.slow
def test_revoked_key_stops_working(fresh: Any) -> None:
    seed, client = fresh
    from db import driver

    assert client.get("/api/v1/meters/M-A1", headers=seed.headers("root")).status_code == 200
    with driver.connect(seed.settings) as conn:
        assert driver.run(conn, "user_key_revoke", ref="root")[0]["revoked"] == 1
    assert client.get("/api/v1/meters/M-A1", headers=seed.headers("root")).status_code == 401
