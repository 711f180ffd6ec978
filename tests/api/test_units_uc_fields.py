"""The UC fields of `smf uc` through the API (issue 18, item 2): a 13-digit code gets its check
digits computed, the backup meter can be set by PATCH, and a unit shows its loss factor of
today."""

from __future__ import annotations

from typing import Any

from db import driver


def test_units_take_13_digit_codes_backup_meters_and_show_the_loss_factor(fresh: Any) -> None:
    seed, client = fresh
    h = seed.headers("root")
    # 0013479258001: sequential 0013479258 of distributor 001, weights 8 9 10 then 1 2 3 ...
    # from the right: 1x8 + 0x9 + 0x10 + 8x1 + 5x2 + 2x3 + 9x4 + 7x5 + 4x6 + 3x7 + 1x8 + 0 + 0
    # = 156; 156 mod 11 = 2; 11 - 2 = 9. Then ...0019: 9x8 + 1x9 + 0x10 + 0x1 + 8x2 + 5x3
    # + 2x4 + 9x5 + 7x6 + 4x7 + 3x8 + 1x9 + 0 + 0 = 268; 268 mod 11 = 4; 11 - 4 = 7
    body = {
        "uc_code": "0013479258001",
        "distributor_aneel_code": "001",
        "customer_name": "Nova",
        "submarket": "SE/CO",
        "tariff_group": "A4",
        "modality": "verde",
        "supply_voltage_kv": 13.8,
    }
    r = client.post("/api/v1/units", headers=h, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["uc_code"] == "001347925800197" and r.json()["loss_factor"] is None
    r = client.patch(
        "/api/v1/units/001347925800197", headers=h, json={"backup_meter_serial": "NOPE"}
    )
    assert r.status_code == 422 and r.json()["field"] == "backup_meter_serial"
    r = client.patch(
        "/api/v1/units/001347925800197", headers=h, json={"backup_meter_serial": "M-A2"}
    )
    assert r.status_code == 200 and r.json()["backup_meter_serial"] == "M-A2", r.text
    with driver.connect(seed.settings) as conn:
        conn.execute(
            "insert into smf.transformer_loss (consumer_unit_id, valid_during, factor)"
            " select id, '[2000-01-01,)', 0.025 from smf.consumer_unit"
            " where uc_code = '001347925800197'"
        )
    r = client.get("/api/v1/units/001347925800197", headers=h)
    assert r.status_code == 200 and r.json()["loss_factor"] == 0.025
