"""The API's answers word for word: the messages and headers of authentication and of the
failed-login lockout, the series' response head, file names and media types, the empty window,
the ABNT month checks, not-found messages and bodies, what a registry write answers, the upload
limit's refusal, import counts, the app's pool settings and OpenAPI document, and a database not
at head. Values by hand from the seed (tests/api/conftest.py): meter M-A1 holds (i + 1) Wh in
5-minute interval i from 2024-03-01 00:00 UTC."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from db import driver
from tests.api.conftest import Seed, make_client

DAY = {"from": "2024-03-01T00:00:00Z", "to": "2024-03-02T00:00:00Z"}


@pytest.mark.slow
def test_missing_and_bad_keys_say_why(client: TestClient[Any], seeded: Seed) -> None:
    r = client.get("/api/v1/meters/M-A1")
    assert r.status_code == 401
    assert r.json()["detail"] == "an API key is required: Authorization: Bearer <key>"
    assert r.headers["www-authenticate"] == 'Bearer realm="smf"'
    bad = {"Authorization": "Bearer smf_aaaaaaaaaaaa_" + "x" * 43}
    r = client.get("/api/v1/meters/M-A1", headers=bad)
    assert r.status_code == 401 and r.headers["www-authenticate"] == 'Bearer realm="smf"'
    assert r.json()["detail"] == "unknown, malformed, revoked or expired API key"
    # the right key id with a wrong secret
    good = seeded.keys["root"]
    wrong = good[: len("smf_") + 13] + ("A" if good[-1] != "A" else "B") * (len(good) - 17)
    assert client.get("/api/v1/meters/M-A1", headers={"X-API-Key": wrong}).status_code == 401
    # the same key in either header
    r = client.get("/api/v1/meters/M-A1", headers={"X-API-Key": good})
    assert r.status_code == 200 and r.json()["serial"] == "M-A1"


@pytest.mark.slow
def test_failures_are_counted_per_source_and_block_with_retry_after(fresh: Any) -> None:
    seed, client = fresh
    # malformed keys count too (no key id to look up)
    for _ in range(10):
        assert client.get("/health").status_code == 200  # no key needed, never counted
        r = client.get("/api/v1/meters/M-A1", headers={"Authorization": "Bearer nonsense"})
        assert r.status_code == 401
    r = client.get("/api/v1/meters/M-A1", headers=seed.headers("root"))
    assert r.status_code == 429 and r.json()["code"] == "rate-limited"
    wait = int(r.headers["retry-after"])
    assert 0 < wait <= 300  # the 5-minute window
    assert r.json()["detail"] == (f"too many failed logins from testclient; try again in {wait} s")
    with driver.connect(seed.settings) as conn:  # ten recorded for the TestClient's address
        (n,) = conn.execute(
            "select count(*) from smf.login_failure where source = 'testclient'"
        ).fetchone()  # type: ignore[misc]
    assert n == 10


def test_series_head_and_local_times(client: TestClient[Any], seeded: Seed) -> None:
    uc = seeded.ucs["M-A1"]
    r = client.get(
        f"/api/v1/units/{uc}/intervals",
        params={
            "from": "2024-03-01",
            "to": "2024-03-01T01:00",
            "tz": "America/Sao_Paulo",
            "resolution": "15m",
            "channels": "active_fwd",
            "units": "engineering",
        },
        headers=seeded.headers("cli"),
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    rows = body.pop("rows")
    assert body == {
        "meter_serial": "M-A1",
        "uc_code": uc,
        "resolution": "15m",
        "units": "engineering",
        "tz": "America/Sao_Paulo",
        "from": "2024-03-01T00:00:00-03:00",
        "to": "2024-03-01T01:00:00-03:00",
        "columns": ["bucket_start", "active_fwd_kwh", "quality", "completeness_pct"],
    }
    # local 00:00-01:00 = 03:00-04:00 UTC = intervals 36..47; quarter hours 37+38+39 = 114,
    # 40+41+42 = 123, 132, 141 Wh
    assert [(x[0], x[1]) for x in rows] == [
        ("2024-03-01T00:00:00-03:00", 0.114),
        ("2024-03-01T00:15:00-03:00", 0.123),
        ("2024-03-01T00:30:00-03:00", 0.132),
        ("2024-03-01T00:45:00-03:00", 0.141),
    ]
    # the meter endpoint has no UC in its head
    r = client.get(
        "/api/v1/meters/M-A1/intervals",
        params={"from": "2024-03-01T00:00:00Z", "to": "2024-03-01T00:05:00Z"},
        headers=seeded.headers("root"),
    )
    assert r.json()["uc_code"] is None and r.json()["units"] == "engineering"
    assert r.json()["tz"] == "UTC" and r.json()["resolution"] == "5m"


def test_empty_window_is_refused(client: TestClient[Any], seeded: Seed) -> None:
    for to in ("2024-03-01T00:00:00Z", "2024-02-29T23:55:00Z"):
        r = client.get(
            "/api/v1/meters/M-A1/intervals",
            params={"from": "2024-03-01T00:00:00Z", "to": to},
            headers=seeded.headers("root"),
        )
        assert r.status_code == 422
        assert r.json()["detail"] == "to must be after from" and r.json()["field"] == "to"


def test_file_names_and_media_types(client: TestClient[Any], seeded: Seed) -> None:
    h = seeded.headers("root")
    uc = seeded.ucs["M-A2"]
    r = client.get(
        f"/api/v1/units/{uc}/intervals",
        params={**DAY, "format": "csv", "resolution": "1h", "tz": "America/Sao_Paulo"},
        headers=h,
    )
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    # the name carries `from` as given (00:00 UTC), the meter's serial and the resolution
    assert r.headers["content-disposition"] == 'attachment; filename="M-A2_20240301T0000_1h.csv"'
    lines = r.text.splitlines()
    assert lines[0].startswith("bucket_start,active_fwd_kwh,")
    # timestamps in the asked zone: 00:00 UTC = 21:00 local of the day before
    assert lines[1].startswith("2024-02-29 21:00:00-03,")
    assert len(lines) == 1 + 24
    r = client.get(
        "/api/v1/meters/M-A1/intervals",
        params={"from": "2024-03-01T06:30:00Z", "to": "2024-03-01T07:00:00Z", "format": "xlsx"},
        headers=h,
    )
    assert r.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert r.headers["content-disposition"] == 'attachment; filename="M-A1_20240301T0630_5m.xlsx"'
    assert r.content[:2] == b"PK"


@pytest.mark.slow
def test_csv_refuses_pulses_without_constants_before_streaming(fresh: Any) -> None:
    seed, client = fresh
    with driver.connect(seed.settings) as conn:
        conn.execute("update smf.meter set channel_constants = null where serial = 'M-A1'")
    r = client.get(
        "/api/v1/meters/M-A1/intervals",
        params={**DAY, "format": "csv", "units": "pulses"},
        headers=seed.headers("root"),
    )
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem")
    assert "constant" in r.json()["detail"]


def test_abnt_month_checks(client: TestClient[Any], seeded: Seed) -> None:
    h = seeded.headers("root")
    r = client.get("/api/v1/meters/M-A1/intervals", params={**DAY, "format": "abnt"}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "month"
    assert r.json()["detail"] == "format=abnt needs month=YYYY-MM (one month per file)"
    for month in ("2024-3", "2024-03-01"):  # refused by the parameter's own pattern
        params = {**DAY, "format": "abnt", "month": month}
        r = client.get("/api/v1/meters/M-A1/intervals", params=params, headers=h)
        assert r.status_code == 422 and r.json()["field"] == "month", month
        assert r.json()["detail"].startswith("month: Expected `str` matching regex"), month
    # a month, but a serial the file's 8-digit BCD field cannot hold: the exporter's refusal,
    # not blamed on `month` (no `field`: the month is fine)
    r = client.get(
        "/api/v1/meters/M-A1/intervals",
        params={**DAY, "format": "abnt", "month": "2024-03"},
        headers=h,
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == "format=abnt: not a 8-digit number: 'M-A1'"
    assert "field" not in r.json()
    r = client.get(
        "/api/v1/meters/M-A1/intervals",
        params={**DAY, "format": "abnt", "month": "2024-13"},
        headers=h,
    )
    assert r.status_code == 422 and r.json()["detail"] == "month '2024-13' is not YYYY-MM"


@pytest.mark.slow
def test_unit_without_main_meter(fresh: Any) -> None:
    seed, client = fresh
    uc = seed.ucs["M-A2"]
    with driver.connect(seed.settings) as conn:
        conn.execute("update smf.consumer_unit set main_meter_id = null where uc_code = %s", (uc,))
    r = client.get(f"/api/v1/units/{uc}/intervals", params=DAY, headers=seed.headers("root"))
    assert r.status_code == 404 and r.json()["code"] == "not-found"
    assert r.json()["detail"] == f"consumer unit {uc} has no main meter"


def test_app_pool_settings_and_openapi_document(seeded: Seed) -> None:
    with make_client(seeded.settings, pool_size=3, db_wait_s=1.5) as c:
        app: Any = c.app
        assert app.state.config.pool_size == 3 and app.state.pool.max_size == 3
        assert app.state.pool.timeout == 1.5
        doc = c.get("/api/docs/openapi.json").json()
        assert doc["info"] == {"title": "SMF API", "version": "1"}
        assert doc["components"]["securitySchemes"]["apiKey"] == {
            "type": "http",
            "scheme": "bearer",
            "description": "smf_<id>_<secret> (smf user key)",
        }
        assert doc["security"] == [{"apiKey": []}]
        assert not any(p.startswith("/web") for p in doc["paths"])  # pages stay out of it
        ui = c.get("/api/docs/")
        assert ui.status_code == 200 and "swagger" in ui.text.lower()
    assert app.state.pool.closed  # the lifespan closes the pool


def test_app_refuses_a_database_not_at_head(seeded: Seed) -> None:
    import pytest

    from api.app import create_app
    from api.config import ApiConfig
    from db.errors import SchemaNotAtHead

    with driver.connect(seeded.settings) as conn:
        (rev,) = conn.execute("select version_num from public.alembic_version").fetchone()  # type: ignore[misc]
        conn.execute("update public.alembic_version set version_num = '0001'")
    try:
        app = create_app(ApiConfig(db=seeded.settings))
        # raised in the lifespan's task group
        with pytest.raises(BaseExceptionGroup) as exc, TestClient(app):
            pass
        assert exc.group_contains(SchemaNotAtHead, match="at revision 0001", depth=None)
        # check_schema=False serves anyway (and /health says it is not at head)
        with TestClient(create_app(ApiConfig(db=seeded.settings), check_schema=False)) as c:
            r = c.get("/health")
            assert r.status_code == 503 and r.json()["revision"] == "0001"
    finally:
        with driver.connect(seeded.settings) as conn:
            conn.execute("update public.alembic_version set version_num = %s", (rev,))


def test_not_found_messages_and_bodies(client: TestClient[Any], seeded: Seed) -> None:
    h = seeded.headers("root")
    r = client.get("/api/v1/meters/NOPE", headers=h)
    assert r.status_code == 404 and r.json()["detail"] == "no meter 'NOPE' (or not in your scope)"
    r = client.get("/api/v1/units/123", headers=h)
    assert r.json()["detail"] == "no consumer unit '123' (or not in your scope)"
    r = client.get("/api/v1/reads/987654", headers=h)
    assert r.status_code == 404
    assert r.json()["detail"] == "no read request 987654 (or not in your scope)"
    # a client asking for another client's UC or meter: the same 404 as for none
    other = seeded.ucs["M-B1"]
    r = client.get(f"/api/v1/units/{other}", headers=seeded.headers("cli"))
    assert r.status_code == 404
    assert r.json()["detail"] == f"no consumer unit {other!r} (or not in your scope)"
    r = client.get("/api/v1/meters/M-B1/intervals", params=DAY, headers=seeded.headers("cli"))
    assert r.status_code == 404 and "rows" not in r.text
    meter = client.get("/api/v1/meters/M-A1", headers=h).json()
    assert meter["serial"] == "M-A1" and "id" not in meter
    assert meter["channel_constants"] == [0.001, 0.5, 0.1] and meter["max_power_kw"] == 1000
    unit = client.get(f"/api/v1/units/{seeded.ucs['M-A1']}", headers=h).json()
    assert "id" not in unit and "main_meter_id" not in unit
    assert unit["main_meter_serial"] == "M-A1" and unit["distributor_aneel_code"] == "001"
    assert unit["contracted_demand_ponta_kw"] == 100 and unit["supply_voltage_kv"] == 13.8


def test_registry_writes_answer_their_row_or_a_404_naming_it(fresh: Any) -> None:
    seed, client = fresh
    h = seed.headers("root")
    # a write that finds its row answers with that row
    r = client.patch("/api/v1/distributors/002", json={"name": "Dist B2"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["aneel_code"] == "002" and r.json()["name"] == "Dist B2"
    # one that finds none is a 404 naming what it looked for, in these words
    for r in (
        client.post("/api/v1/meters/M-9/retire", headers=h),
        client.patch("/api/v1/meters/M-9", json={"model": "X"}, headers=h),
    ):
        assert r.status_code == 404 and r.json()["code"] == "not-found", r.text
        assert r.json()["detail"] == "no meter M-9 (or not in your scope)"


def test_upload_over_the_limit_is_refused_naming_the_limit(seeded: Seed) -> None:
    limit = 3 << 20  # SMF_API_MAX_UPLOAD_MB=3
    with make_client(seeded.settings, max_upload_bytes=limit) as c:
        r = c.post("/api/v1/imports", content=b"x" * (limit + 1), headers=seeded.headers("root"))
    assert r.status_code == 413
    body = {k: v for k, v in r.json().items() if k not in ("type", "title", "status", "instance")}
    assert body == {
        "detail": "upload larger than 3 MiB (SMF_API_MAX_UPLOAD_MB); split the file",
        "code": "too-large",
        "limit_bytes": 3 * 1024 * 1024,
    }


@pytest.mark.slow
def test_import_counts_origin_and_batch(fresh: Any) -> None:
    seed, client = fresh
    h = seed.headers("svc")
    csv1 = (
        b"meter_serial,ts,active_fwd_kwh\n"
        b"M-A1,2024-03-05T00:00:00Z,0.100\n"
        b"M-A1,2024-03-05T00:05:00Z,0.200\n"
    )
    r = client.post("/api/v1/imports", content=csv1, headers=h)
    assert r.status_code == 201, r.text
    first = r.json()
    assert first == {
        "batch_id": first["batch_id"],
        "format": "csv",
        "rows": 2,
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
        "quarantined": {},
        "meter_serial": None,
        "href": f"/api/v1/imports/{first['batch_id']}",
    }
    # the same rows again: unchanged; one value changed: updated
    csv2 = csv1.replace(b"0.200", b"0.300")
    again = client.post("/api/v1/imports", content=csv2, headers=h).json()
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 1, 1)
    assert again["batch_id"] == first["batch_id"] + 1
    batch = client.get(first["href"], headers=h)
    assert batch.status_code == 200
    body = batch.json()
    assert body["origin"] == "api upload" and body["rows_in"] == 2  # no filename given
    assert body["id"] == first["batch_id"] and body["quarantine"] == []
    r = client.get("/api/v1/imports/999999", headers=h)
    assert r.status_code == 404 and r.json()["detail"] == "no import batch 999999"
    # an ABNT-sized binary upload that is no valid file: rejected, naming the format
    r = client.post("/api/v1/imports", content=b"\xff" * 256, headers=h)
    assert r.status_code == 422 and r.json()["code"] == "batch-rejected"
    assert r.json()["detail"].startswith("not a valid ABNT public-format file: ")
    r = client.post("/api/v1/imports", content=b"", headers=h)
    assert r.status_code == 422 and r.json()["field"] == "body"
    assert r.json()["detail"] == "empty upload: send the file as the request body"
