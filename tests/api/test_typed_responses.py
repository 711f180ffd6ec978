"""Typed responses (issue 17 §3): meter data, alarms and every rule answer msgspec structs whose
fields the OpenAPI document declares; exact decimals stay exact (a JSON string)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from api import schemas
from tests.api.conftest import Seed


def _fields(cls: Any) -> set[str]:
    return set(cls.__struct_fields__)


@pytest.mark.slow
def test_every_rule_answers_its_row_type(client: TestClient[Any], seeded: Seed) -> None:
    uc = seeded.ucs["M-A1"]
    doc = client.get("/api/docs/openapi.json").json()["components"]["schemas"]
    for rule, (_result, row) in schemas.RULES.items():
        r = client.get(
            f"/api/v1/units/{uc}/rules/{rule}",
            params={"month": "2024-03"},
            headers=seeded.headers("root"),
        )
        if r.status_code == 404:  # e.g. no contract for exposure: a problem, typed too
            assert r.headers["content-type"].startswith("application/problem+json")
            continue
        assert r.status_code == 200, (rule, r.text)
        body = r.json()
        assert body["rule"] == rule and body["uc_code"] == uc and body["month"] == "2024-03"
        for item in body["rows"]:
            assert set(item) == _fields(row), rule
        assert set(doc[row.__name__]["properties"]) == _fields(row), rule
    r = client.get(
        f"/api/v1/units/{uc}/rules/billing",
        params={"month": "2024-03"},
        headers=seeded.headers("root"),
    )
    ponta = next(x for x in r.json()["rows"] if (x["item"], x["posto"]) == ("energy", "ponta"))
    # local March 1, 18:00-21:00 = intervals 252..287: 253 + ... + 288 = 9738 Wh, exactly
    assert ponta["quantity"] == "9.738" and ponta["unit"] == "kWh"


def test_meter_data_and_alarm_rules_are_typed(client: TestClient[Any], seeded: Seed) -> None:
    h = seeded.headers("root")
    doc = client.get("/api/docs/openapi.json").json()["components"]["schemas"]
    for name in ("RegisterRead", "Instantaneous", "MeterEventOut", "Outage", "Alteration",
                 "Connectivity", "PollAttempt", "Alarm", "AlarmRuleThreshold"):  # fmt: skip
        assert set(doc[name]["properties"]) == _fields(getattr(schemas, name)), name
    r = client.get("/api/v1/meters/M-A1/connectivity", headers=h)
    assert r.status_code == 200 and set(r.json()) == {"health", "attempts"}
    rules = client.get("/api/v1/alarms/rules", headers=h).json()
    assert {x["code"] for x in rules} == set("abcdefghijklm")
    k = next(x for x in rules if x["code"] == "k" and x["level"] == "default")
    assert k["value"] == "105" and k["params"] == {"basis": "contracted_pct"}
