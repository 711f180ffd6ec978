"""Registration with the database's validation (UC check digits, channel map, transport URL,
duplicates), and the meter reports seed 003 asks for: the last 20 outages, the last 16
alterations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from db import driver


@pytest.mark.slow
def test_registration_validates_like_the_database(fresh: Any) -> None:
    seed, client = fresh
    h = seed.headers("root")
    ok = client.post(
        "/api/v1/meters",
        headers=h,
        json={
            "serial": "77000001",
            "transport": "tcp://10.0.0.5:4001",
            "channel_map": ["active_fwd_kwh", "reactive_ind_fwd_kvarh"],
        },
    )
    assert ok.status_code == 201 and ok.json()["transport"] == "tcp://10.0.0.5:4001"
    cases = [
        ({"serial": "77000001"}, 409, None),  # duplicate serial
        ({"serial": "bad serial!"}, 422, "serial"),
        ({"serial": "77000002", "channel_map": ["active_fwd_kwh", "watts"]}, 422, "channel_map"),
        ({"serial": "77000003", "transport": "tcp://host-without-port"}, 422, "transport"),
        ({"serial": "77000004", "interval_minutes": 7}, 422, "interval_minutes"),
    ]
    for body, status, field in cases:
        r = client.post("/api/v1/meters", headers=h, json=body)
        assert r.status_code == status, (body, r.text)
        assert r.json().get("field") == field, (body, r.json())
    unit = {
        "distributor_aneel_code": "001",
        "customer_name": "Nova",
        "submarket": "SE/CO",
        "tariff_group": "A4",
        "modality": "verde",
        "supply_voltage_kv": 13.8,
    }
    good = seed.ucs["M-A1"]
    bad_digit = good[:-1] + str((int(good[-1]) + 1) % 10)  # one check digit off
    r = client.post("/api/v1/units", headers=h, json={**unit, "uc_code": bad_digit})
    assert r.status_code == 422 and r.json()["field"] == "uc_code", r.text
    r = client.post("/api/v1/units", headers=h, json={**unit, "uc_code": good})
    assert r.status_code == 409, r.text
    r = client.post(
        "/api/v1/units", headers=h, json={**unit, "uc_code": bad_digit, "main_meter_serial": "NOPE"}
    )
    assert r.status_code == 422 and r.json()["field"] == "main_meter_serial"
    r = client.post("/api/v1/units", headers=h, json={**unit, "uc_code": good, "extra": 1})
    assert r.status_code == 422  # unknown fields are refused
    # update and retire keep the row
    r = client.patch("/api/v1/meters/77000001", headers=h, json={"poll_schedule": "hourly"})
    assert r.status_code == 200 and r.json()["poll_schedule"] == "hourly"
    r = client.post(f"/api/v1/units/{good}/retire", headers=h)
    assert r.status_code == 200 and r.json()["retired_at"] is not None
    assert client.get(f"/api/v1/units/{good}", headers=h).json()["retired_at"] is not None


@pytest.mark.slow
def test_last_20_outages_and_16_alterations(fresh: Any) -> None:
    seed, client = fresh
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    with driver.connect(seed.settings) as conn:
        mid = conn.execute("select id from smf.meter where serial = 'M-A1'").fetchone()[0]  # type: ignore[index]
        for i in range(25):  # 25 outages of i + 1 minutes, one a day
            driver.run(
                conn,
                "poll_upsert_outage",
                meter_id=mid,
                start_at=t0 + timedelta(days=i),
                end_at=t0 + timedelta(days=i, minutes=i + 1),
            )
        for i in range(25):
            driver.run(
                conn,
                "poll_insert_alteration",
                meter_id=mid,
                at=t0 + timedelta(hours=i),
                command_code=0x29,
                reader_serial="R1",
            )
    h = seed.headers("cli")  # the client of M-A1's UC reads its own meter's reports
    out = client.get("/api/v1/meters/M-A1/outages", headers=h).json()
    assert len(out) == 20
    # newest first: outage 24 (25 minutes) down to outage 5 (6 minutes)
    assert [o["duration_s"] for o in out] == [60 * (i + 1) for i in range(24, 4, -1)]
    alt = client.get("/api/v1/meters/M-A1/alterations", headers=h).json()
    assert len(alt) == 16
    assert alt[0]["at"] == "2024-01-02T00:00:00Z" and alt[-1]["at"] == "2024-01-01T09:00:00Z"
    assert client.get("/api/v1/meters/M-A2/outages", headers=h).status_code == 404
