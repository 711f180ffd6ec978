"""The API's database-free helpers, one by one, against values written out by hand (issue 13 §5:
mutation testing of api/). These run in milliseconds, so under mutmut they go first (the ordering
hook in tests/api/conftest.py) and most mutants of these helpers die without a database."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher
from litestar.exceptions import HTTPException, ValidationException

from api import auth, config, errors, series, startup
from api.controllers import imports, registry, reports, rules
from api.deps import RequestDb, source_of
from db import errors as db_errors
from db import migrate

SP = ZoneInfo("America/Sao_Paulo")  # -03:00 all year since 2019
T0 = datetime(2024, 3, 1, tzinfo=UTC)


# --- api/auth.py ---------------------------------------------------------------------------


def test_new_key_shape_and_hash() -> None:
    key_id, token, hash_ = auth.new_key()
    assert len(key_id) == 12 and set(key_id) <= set("abcdefghijklmnopqrstuvwxyz0123456789")
    assert token.startswith(f"smf_{key_id}_")
    m = auth._TOKEN.match(token)
    assert m and m.group(1) == key_id
    secret = token[len("smf_") + 12 + 1 :]  # "smf_" + 12-character id + "_"
    assert len(secret) == 43  # token_urlsafe(32): 32 octets in unpadded base64
    assert auth._secret(token) == secret
    assert PasswordHasher().verify(hash_, secret)
    assert hash_.startswith("$argon2id$")
    assert len({auth.new_key()[0] for _ in range(5)}) == 5  # random ids


def test_token_from_headers() -> None:
    assert auth.token_from({"authorization": "Bearer  smf_x  "}) == "smf_x"
    assert auth.token_from({"authorization": "bEaReR smf_y"}) == "smf_y"
    assert auth.token_from({"x-api-key": " smf_z "}) == "smf_z"
    # not a bearer scheme: the X-API-Key header, if any
    assert auth.token_from({"authorization": "Basic abc", "x-api-key": "k"}) == "k"
    assert auth.token_from({"authorization": "Basic abc"}) is None
    assert auth.token_from({"authorization": "Bearer"}) is None  # 6 characters, no space
    assert auth.token_from({}) is None
    assert auth.token_from({"x-api-key": ""}) is None
    # bearer wins over the other header
    assert auth.token_from({"authorization": "Bearer a", "x-api-key": "b"}) == "a"


def test_verify_caches_and_bounds_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    _, token, hash_ = auth.new_key()
    _, other, other_hash = auth.new_key()
    monkeypatch.setattr(auth, "_verified", {})
    assert asyncio.run(auth._verify(other_hash, token)) is False  # another key's hash
    assert auth._verified == {}
    assert asyncio.run(auth._verify(hash_, token)) is True
    import hashlib

    digest = hashlib.sha256(token.encode()).digest()
    assert auth._verified == {digest: hash_}
    # cached: a second check does not run argon2 (a broken hasher would fail it)
    monkeypatch.setattr(auth, "_hasher", None)
    assert asyncio.run(auth._verify(hash_, token)) is True
    monkeypatch.setattr(auth, "_hasher", PasswordHasher())
    # a cached pair does not vouch for another hash
    assert asyncio.run(auth._verify(other_hash, token)) is False
    # full: the cache is emptied before the new pair goes in
    monkeypatch.setattr(auth, "_VERIFIED_MAX", 1)
    assert asyncio.run(auth._verify(other_hash, other)) is True
    assert list(auth._verified) == [hashlib.sha256(other.encode()).digest()]
    monkeypatch.setattr(auth, "_VERIFIED_MAX", 2)
    assert asyncio.run(auth._verify(hash_, token)) is True
    assert len(auth._verified) == 2  # one below the bound: kept


def test_malformed_hash_is_a_failed_login() -> None:
    _, token, _ = auth.new_key()
    assert asyncio.run(auth._verify("$argon2id$v=19$m=65536,t=3,p=4$bad$bad", token)) is False


# --- api/deps.py ---------------------------------------------------------------------------


def test_require_names_the_account_and_the_roles() -> None:
    db = RequestDb(None, auth.Principal(7, "cli", "client"))  # type: ignore[arg-type]
    db.require("client")
    db.require("admin", "client")
    with pytest.raises(errors.ApiError) as exc:
        db.require("admin", "analyst")
    assert exc.value.status_code == 403 and exc.value.code == "forbidden"
    assert exc.value.detail == "account cli (client) may not do this; needs role admin or analyst"


def _req(host: str | None, xff: list[str], proxies: str = "") -> Any:
    from litestar.datastructures import Headers

    headers = Headers([(b"x-forwarded-for", v.encode()) for v in xff])
    cfg = SimpleNamespace(trusted_proxies=config.parse_proxies(proxies))
    return SimpleNamespace(
        client=SimpleNamespace(host=host) if host else None,
        headers=headers,
        app=SimpleNamespace(state=SimpleNamespace(config=cfg)),
    )


def test_source_of_the_request() -> None:
    assert source_of(_req("10.0.0.9", [])) == "10.0.0.9"
    assert source_of(_req(None, [])) == "unknown"
    # no trusted proxy (the default): X-Forwarded-For is ignored, whoever sends it
    assert source_of(_req("127.0.0.1", ["6.6.6.6"])) == "127.0.0.1"
    # from a trusted proxy: the nearest address that is not a trusted proxy, from the right
    assert source_of(_req("10.0.0.1", ["6.6.6.6, 7.7.7.7"], "10.0.0.1")) == "7.7.7.7"
    assert source_of(_req("10.0.0.1", ["6.6.6.6", "10.0.0.2"], "10.0.0.0/24")) == "6.6.6.6"
    # a client that forges a header behind the proxy cannot choose its address: the proxy
    # appends the real peer, which is what counts
    assert source_of(_req("10.0.0.1", ["1.2.3.4, 8.8.8.8"], "10.0.0.1")) == "8.8.8.8"
    # not an address: the walk stops at the last hop we can vouch for
    assert source_of(_req("10.0.0.1", ["junk, 5.5.5.5"], "10.0.0.1")) == "5.5.5.5"
    assert source_of(_req("10.0.0.1", ["junk"], "10.0.0.1")) == "10.0.0.1"
    # an untrusted peer's header is ignored even with proxies configured
    assert source_of(_req("9.9.9.9", ["1.1.1.1"], "10.0.0.1")) == "9.9.9.9"
    with pytest.raises(ValueError, match="'nonsense' is not an IP address or network"):
        config.parse_proxies("10.0.0.1, nonsense")


# --- api/config.py -------------------------------------------------------------------------


def test_config_defaults_and_environment() -> None:
    db = object()
    c = config.load_config({}, db=db)  # type: ignore[arg-type]
    assert c.db is db
    assert (c.host, c.port, c.pool_size, c.db_wait_s) == ("127.0.0.1", 8000, 10, 5.0)
    assert c.max_upload_bytes == 256 * 1024 * 1024
    assert c.max_rows == 50_000 and c.max_csv_rows == 25 * 50_000
    c = config.load_config(
        {
            "SMF_API_HOST": "0.0.0.0",
            "SMF_API_PORT": "9001",
            "SMF_API_MAX_UPLOAD_MB": "3",
            "SMF_API_MAX_ROWS": "7",
            "SMF_API_POOL_SIZE": "4",
            "SMF_API_DB_WAIT_S": "0.5",
        },
        db=db,  # type: ignore[arg-type]
    )
    assert (c.host, c.port, c.pool_size, c.db_wait_s) == ("0.0.0.0", 9001, 4, 0.5)
    assert c.max_upload_bytes == 3 * 1024 * 1024 and c.max_rows == 7 and c.max_csv_rows == 175
    from db.settings import load

    env = {"SMF_PG_PORT": "54999", "SMF_PG_DATABASE": "other"}
    assert config.load_config(env).db == load(env)  # no db given: from the same environment


def test_dataclass_defaults_match_the_documented_ones() -> None:
    c = config.ApiConfig(db=None)  # type: ignore[arg-type]
    assert (c.host, c.port, c.max_upload_bytes, c.max_rows, c.pool_size, c.db_wait_s) == (
        "127.0.0.1",
        8000,
        256 << 20,
        50_000,
        10,
        5.0,
    )


# --- api/startup.py ------------------------------------------------------------------------


def test_is_head() -> None:
    (head,) = migrate.heads()
    assert startup.is_head(head) is True
    assert startup.is_head(None) is False and startup.is_head("0000") is False


# --- api/series.py -------------------------------------------------------------------------


def test_zone() -> None:
    assert series.zone("America/Sao_Paulo") == SP
    for bad in ("Mars/Olympus", "../etc/passwd"):
        with pytest.raises(errors.ApiError) as exc:
            series.zone(bad)
        assert exc.value.status_code == 422 and exc.value.field == "tz"
        assert exc.value.detail == (
            f"unknown time zone {bad!r} (an IANA name such as America/Sao_Paulo or UTC)"
        )


def test_parse_time_forms() -> None:
    p = series.parse_time
    assert p("2024-03-01", "from", SP) == datetime(2024, 3, 1, 3, 0, tzinfo=UTC)  # local midnight
    assert p("2024-03-01T10:00:00Z", "from", SP) == datetime(2024, 3, 1, 10, tzinfo=UTC)
    # "+" of an offset decoded as a space from a query string
    assert p("2024-03-01T10:00:00 01:00", "from", SP) == datetime(2024, 3, 1, 9, tzinfo=UTC)
    assert p("2024-03-01T10:00:00-03:00", "to", UTC) == datetime(2024, 3, 1, 13, tzinfo=UTC)
    assert p("2024-03-01T10:00", "to", SP) == datetime(2024, 3, 1, 13, tzinfo=UTC)  # naive: tz
    # a space as the date/time separator (no "T"): not an offset
    assert p("2024-03-01 10:00", "to", SP) == datetime(2024, 3, 1, 13, tzinfo=UTC)
    # ... and with an unescaped "+03:00" after it (refused with 422 before mutation testing
    # looked here: only a "T" separator had its offset's space read as "+")
    assert p("2024-03-01 10:00:00 03:00", "to", UTC) == datetime(2024, 3, 1, 7, tzinfo=UTC)
    t = p("2024-03-01T10:00:00+01:00", "to", SP)
    assert t.utcoffset() == timedelta(hours=1)  # a given offset is kept
    for bad in ("yesterday", "2024-13-01", "2024-02-30T00:00Z", ""):
        with pytest.raises(errors.ApiError) as exc:
            p(bad, "to", SP)
        assert exc.value.status_code == 422 and exc.value.field == "to"
        assert exc.value.detail == f"to: {bad!r} is not a date or an RFC 3339 time"


def test_parse_channels() -> None:
    assert series.parse_channels(None) == list(series.CHANNELS)
    assert series.parse_channels("") == list(series.CHANNELS)
    assert len(series.CHANNELS) == 12
    assert series.parse_channels(" active_fwd_kwh, voltage_a_v,active_fwd,current_b_a") == [
        "active_fwd",
        "voltage_a",
        "current_b",
    ]
    assert series.parse_channels("reactive_cap_rev_kvarh,active_rev_pulses") == [
        "reactive_cap_rev",
        "active_rev",
    ]
    with pytest.raises(errors.ApiError) as exc:
        series.parse_channels("active_fwd, bogus_kwh ")
    assert exc.value.status_code == 422 and exc.value.field == "channels"
    assert exc.value.detail == "unknown channel 'bogus_kwh'; channels: " + ", ".join(
        series.CHANNELS
    )
    with pytest.raises(errors.ApiError):
        series.parse_channels("kwh")  # a bare suffix is no channel


def _q(**kw: Any) -> series.SeriesQuery:
    base: dict[str, Any] = dict(
        meter_id=5,
        serial="M-1",
        uc_code=None,
        lo=T0,
        hi=T0 + timedelta(hours=1),
        resolution="5m",
        units="engineering",
        tz="UTC",
        channels=["active_fwd", "voltage_a", "current_c", "reactive_ind_fwd"],
        rows_estimate=12,
    )
    return series.SeriesQuery(**{**base, **kw})


def test_columns_units_and_params() -> None:
    assert _q().columns == [
        ("bucket_start", "bucket_start"),
        ("active_fwd", "active_fwd_kwh"),
        ("voltage_a", "voltage_a_v"),
        ("current_c", "current_c_a"),
        ("reactive_ind_fwd", "reactive_ind_fwd_kvarh"),
        ("quality", "quality"),
        ("completeness_pct", "completeness_pct"),
    ]
    assert [n for _, n in _q(units="pulses", channels=["active_fwd"]).columns] == [
        "bucket_start",
        "active_fwd_pulses",
        "quality",
        "completeness_pct",
    ]
    assert _q(tz="America/Sao_Paulo", resolution="1h").params() == {
        "meter_id": 5,
        "lo": T0,
        "hi": T0 + timedelta(hours=1),
        "resolution": "1h",
        "tz": "America/Sao_Paulo",
        "pulses": False,
    }
    assert _q(units="pulses").params()["pulses"] is True


def test_estimate_rows() -> None:
    e = series.estimate_rows
    assert e(T0, T0 + timedelta(hours=1), "5m") == 12  # 60 / 5
    assert e(T0, T0 + timedelta(minutes=61), "5m") == 13  # a partial step counts
    assert e(T0, T0 + timedelta(days=1), "15m") == 96
    assert e(T0, T0 + timedelta(days=1), "1h") == 24
    assert e(T0, T0 + timedelta(days=3), "1d") == 3
    assert e(T0, T0 + timedelta(days=365), "1mo") == 14  # ceil(365 / 28) = 14 (upper bound)
    assert e(T0, T0 - timedelta(hours=1), "5m") == 0


def test_check_limit_and_paging_message() -> None:
    series.check_limit(_q(rows_estimate=100), "json", 100, 2500)  # exactly the limit: fine
    series.check_limit(_q(rows_estimate=2500), "csv", 100, 2500)
    with pytest.raises(errors.ApiError) as exc:
        series.check_limit(_q(rows_estimate=101), "json", 100, 2500)
    e = exc.value
    assert e.status_code == 422 and e.code == "too-many-rows" and e.field == "to"
    # 100 five-minute steps from 00:00 end at 08:20
    assert e.extra_members == {"limit": 100, "next_to": "2024-03-01T08:20:00+00:00"}
    assert e.detail == (
        "from..to at resolution 5m may hold 101 rows; one json response carries at most 100. "
        "Page: ask from=2024-03-01T00:00:00+00:00 to=2024-03-01T08:20:00+00:00, then "
        "from=2024-03-01T08:20:00+00:00 and so on; or use format=csv (streamed) or a coarser "
        "resolution."
    )
    with pytest.raises(errors.ApiError) as exc:
        series.check_limit(_q(rows_estimate=2501, resolution="1h"), "csv", 100, 2500)
    e = exc.value
    # 2500 h = 104 d 4 h after 2024-03-01 00:00: 30 (to Mar 31) + 30 + 31 + 13 = 104 -> Jun 13
    assert e.extra_members == {"limit": 2500, "next_to": "2024-06-13T04:00:00+00:00"}
    assert e.detail.endswith("and so on or a coarser resolution.")  # CSV: no "use csv"
    assert "one csv response carries at most 2500" in e.detail


def test_xlsx_workbook_by_hand() -> None:
    from openpyxl import load_workbook

    q = _q(tz="America/Sao_Paulo", channels=["active_fwd", "voltage_a"])
    rows = [
        [datetime(2024, 3, 1, 0, 0, tzinfo=timezone(timedelta(hours=-3))), 0.5, None, "m", 100.0],
        [datetime(2024, 3, 1, 0, 5, tzinfo=timezone(timedelta(hours=-3))), 0, 127.0, "e", 50.0],
    ]
    wb = load_workbook(io.BytesIO(series.xlsx(q, rows)))
    assert wb.sheetnames == ["intervals"]
    ws = wb["intervals"]
    got = [list(r) for r in ws.iter_rows(values_only=True)]
    assert got == [
        [
            "bucket_start (America/Sao_Paulo)",
            "active_fwd_kwh",
            "voltage_a_v",
            "quality",
            "completeness_pct",
        ],
        [datetime(2024, 3, 1, 0, 0), 0.5, None, "m", 100],  # local wall time, no offset
        [datetime(2024, 3, 1, 0, 5), 0, 127, "e", 50],
    ]
    assert ws["A2"].number_format == "yyyy-mm-dd hh:mm"
    # the time column alone is 18 characters wide (xlsxwriter stores 18 + 0.71 of padding)
    a = ws.column_dimensions["A"]
    assert (a.min, a.max, round(a.width, 2)) == (1, 1, 18.71)


# --- api/errors.py -------------------------------------------------------------------------


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


# --- controllers' helpers ------------------------------------------------------------------


def test_check_transport() -> None:
    for ok in (
        None,
        "tcp://10.0.0.1:4001",
        "wrapper://gw.local:502",
        "serial:///dev/ttyUSB0",
        "serial:///dev/ttyS0?baud=9600",
    ):
        registry.check_transport(ok)
    for bad in (
        "tcp://host",
        "tcp://:4001",
        "tcp://h:99999",
        "udp://h:1",
        "serial:ttyS0",
        "wrapper://h",
        "h:1",
    ):
        with pytest.raises(errors.ApiError) as exc:
            registry.check_transport(bad)
        assert exc.value.status_code == 422 and exc.value.field == "transport"
        assert exc.value.detail == (
            f"transport {bad!r}: expected tcp://host:port, wrapper://host:port or "
            "serial:///dev/ttyX?baud=9600"
        )


def test_done_and_row_shapes() -> None:
    assert registry._done({"a": 1}, "x") == {"a": 1}
    with pytest.raises(db_errors.NotFound, match=r"^no meter M-9 \(or not in your scope\)$"):
        registry._done(None, "meter M-9")


def test_public_format_detection() -> None:
    f = imports._looks_public_format
    binary = bytes(range(256))  # not UTF-8
    assert f(binary, 512) is True
    assert f(binary, 513) is False  # not whole 256-octet blocks
    assert f(b"", 0) is False
    assert f(b"A" * 256, 256) is True  # text, but neither comma nor semicolon: not a CSV
    assert f(b"a,b\n" * 64, 256) is False
    assert f(b"a;b\n" * 64, 256) is False


def test_too_large_message() -> None:
    e = imports._too_large(config.ApiConfig(db=None, max_upload_bytes=3 << 20))  # type: ignore[arg-type]
    assert e.status_code == 413 and e.code == "too-large"
    assert e.detail == "upload larger than 3 MiB (SMF_API_MAX_UPLOAD_MB); split the file"
    assert e.extra_members == {"limit_bytes": 3 * 1024 * 1024}


def test_parse_month() -> None:
    assert rules.parse_month("2024-03") == date(2024, 3, 1)
    assert rules.parse_month("2024-3") == date(2024, 3, 1)
    for bad in ("2024", "2024-13", "2024-03-01", "março"):
        with pytest.raises(errors.ApiError) as exc:
            rules.parse_month(bad)
        assert exc.value.status_code == 422 and exc.value.field == "month"
        assert exc.value.detail == f"month {bad!r} is not YYYY-MM"


def test_report_csv() -> None:
    rows = [
        {"start": datetime(2024, 3, 1, 3, tzinfo=UTC), "s": 60, "note": None},
        {"start": datetime(2024, 3, 2, 4, 5, tzinfo=UTC), "s": 1.5, "note": "a,b"},
    ]
    assert reports.to_csv(rows) == (
        'start,s,note\n2024-03-01T03:00:00+00:00,60,\n2024-03-02T04:05:00+00:00,1.5,"a,b"\n'
    )
    assert reports.to_csv([]) == ""
