"""No 5xx from any input (issue 17 §2, §7): every query parameter of every operation of the
OpenAPI document, and every path parameter, gets hostile values (a NUL, 10 kB, a huge integer,
far dates, hour 24, invalid UTF-8, a time zone of hundreds of characters); each answer is a 4xx
problem+json, never a server error. Then the findings of the review one by one, each with the
status and the parameter the 422 names."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from litestar.testing import TestClient

from tests.api.conftest import Seed, web_login

HOSTILE = [
    "\x00",
    "a\x00b",
    "x" * 10_240,
    "9" * 40,
    "-9223372036854775809",
    "9223372036854775808",
    "1e309",
    "NaN",
    "99999-01-01",
    "9999-12-31",
    "0001-01-01",
    "2024-03-01T24:00:00Z",
    "%ff%fe%00",
    "../../etc/passwd",
    "'; drop table smf.meter; --",
    "<script>alert(1)</script>",
    "America/" + "Sao_Paulo" * 40,
]


def _operations(client: TestClient[Any]) -> list[tuple[str, str, list[str], list[str]]]:
    doc = client.get("/api/docs/openapi.json").json()
    out = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            params = op.get("parameters", [])
            query = [p["name"] for p in params if p["in"] == "query"]
            in_path = [p["name"] for p in params if p["in"] == "path"]
            out.append((method, path, query, in_path))
    return out


def _fill(path: str, seed: Seed, value: str | None = None) -> str:
    known = {
        "serial": "M-A1",
        "uc_code": seed.ucs["M-A1"],
        "aneel_code": "001",
        "rule": "billing",
        "report": "outages",
        "alarm_id": "1",
        "request_id": "1",
        "batch_id": "1",
    }
    return re.sub(r"\{(\w+)\}", lambda m: value if value is not None else known[m.group(1)], path)


def _ok(r: Any, what: object) -> None:
    assert r.status_code < 500, (what, r.status_code, r.text[:300])
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/problem+json"), what


@pytest.mark.slow
def test_every_query_and_path_parameter_with_hostile_values(
    client: TestClient[Any], seeded: Seed
) -> None:
    h = seeded.headers("root")
    ops = _operations(client)
    assert len(ops) >= 30
    tried = 0
    for method, path, query, in_path in ops:
        for name in query:
            for value in HOSTILE:
                url = _fill(path, seeded)
                if value.startswith("%"):  # raw octets, not a UTF-8 string
                    r = client.request(method, f"{url}?{name}={value}", headers=h)
                else:
                    r = client.request(method, url, params={name: value}, headers=h)
                _ok(r, (method, path, name, value[:30]))
                tried += 1
        for name in in_path:
            for value in ("0", "9" * 30, "x" * 500, "%00", "%ff"):
                r = client.request(method, _fill(path, seeded, value), headers=h)
                _ok(r, (method, path, name, value[:30]))
                tried += 1
    assert tried > 500


def test_the_review_findings_are_422_naming_the_parameter(
    client: TestClient[Any], seeded: Seed
) -> None:
    h = seeded.headers("root")
    base = "/api/v1/meters/M-A1/intervals"
    day = {"from": "2024-03-01", "to": "2024-03-02"}
    # a time zone of a few hundred characters (an OSError from zoneinfo before)
    r = client.get(base, params={**day, "tz": "America/" + "x" * 300}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "tz", r.text
    r = client.get(base, params={**day, "tz": "Nowhere/Atlantis"}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "tz"
    # a request id >= 2^63 (no smf.read_request_status(numeric) before)
    r = client.get(f"/api/v1/reads/{2**63}", headers=h)
    assert r.status_code == 422 and "request_id" in r.text, r.text
    r = client.get(f"/api/v1/reads/{2**63 - 1}", headers=h)
    assert r.status_code == 404
    # hour 24 is refused, not taken as the next day's 00:00
    r = client.get(base, params={"from": "2024-03-01T24:00:00Z", "to": "2024-03-03"}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "from"
    assert "hour 24" in r.json()["detail"]
    # far dates: outside 1990 .. 2100
    r = client.get(base, params={"from": "9999-12-30", "to": "9999-12-31"}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "from"


def test_a_problem_echoing_non_ascii_input_says_its_charset(
    client: TestClient[Any], seeded: Seed
) -> None:
    """Found by schemathesis at 100 examples: a 422 whose detail echoes a hostile value
    ("00000A¡\u0881\b0") was valid UTF-8 JSON, but its type application/problem+json named no
    charset, so a client library that guesses encodings (requests) read it as GBK and met an
    invalid escape. The type now says charset=utf-8 and the bytes are UTF-8 JSON."""
    value = "00000A\u00a1\u0881\x080"
    r = client.get(
        "/api/v1/meters/M-A1/intervals",
        params={"from": value, "to": "2024-03-02"},
        headers=seeded.headers("root"),
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json; charset=utf-8"
    body = json.loads(r.content.decode("utf-8"))
    assert body["field"] == "from"
    assert body["detail"] == f"from: {value!r} is not a date or an RFC 3339 time"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ccee_agent_code": 1, "aneel_code": "777", "name": ""}, "name"),
        ({"ccee_agent_code": 1, "aneel_code": "777", "name": "x" * 201}, "name"),
        ({"ccee_agent_code": 1, "aneel_code": "7777", "name": "D"}, "aneel_code"),
        ({"ccee_agent_code": 2**40, "aneel_code": "777", "name": "D"}, "ccee_agent_code"),
    ],
)
def test_distributor_fields_outside_their_bounds(
    client: TestClient[Any], seeded: Seed, body: dict[str, Any], field: str
) -> None:
    r = client.post("/api/v1/distributors", json=body, headers=seeded.headers("root"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert field in r.text


@pytest.mark.slow
def test_web_view_far_dates_and_hostile_days(seeded: Seed) -> None:
    from tests.api.conftest import make_client

    uc = seeded.ucs["M-A1"]
    with make_client(seeded.settings) as c:
        assert web_login(c, seeded.keys["cli"]).status_code == 303
        for page in ("graficos", "exportar"):
            for dia in ("9999-12-31", "0001-01-01", "x" * 5000, "2024-02-30", "\x00"):
                r = c.get(f"/web/uc/{uc}/{page}", params={"dia": dia})
                assert r.status_code == 422, (page, dia[:20], r.status_code)
                assert "Pedido inválido" in r.text
        r = c.get(f"/web/uc/{uc}/graficos", params={"dia": "9999-12-31"})
        assert "fora do intervalo 01/01/1990 a 31/12/2099" in r.text
        for mes in ("9999-99", "x" * 300, "2024-3"):
            r = c.get(f"/web/uc/{uc}/memoria-de-massa", params={"mes": mes})
            assert r.status_code == 422, (mes[:20], r.status_code)


@pytest.mark.slow
def test_a_binary_file_not_made_of_256_octet_blocks_has_its_own_message(
    fresh: Any,
) -> None:
    seed, client = fresh
    # an ABNT file cut short: 2 whole blocks and 100 octets = 612 octets, binary
    body = bytes([0x21]) + bytes(range(1, 256)) * 2 + bytes(101)
    body = body[:612]
    r = client.post(
        "/api/v1/imports",
        content=body,
        headers={**seed.headers("root"), "content-type": "application/octet-stream"},
    )
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    # 612 = 256 x 2 + 100
    assert "612 octets" in detail and "256 x 2 + 100" in detail and "UTF-8" not in detail
