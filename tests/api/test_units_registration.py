"""Consumer units through the API: the same fields and the same checks as `smf uc`
(db/functions/090_uc_registry.sql), in the caller's scope.

Check digits by hand for 0013479258028 (see tests/cli/test_uc.py for the sums): 10, so the
registered code is 001347925802810 (the published example 0.013.479.258.028-10)."""

from __future__ import annotations

from typing import Any

import pytest

CODE15 = "001347925802810"
UNIT = {
    "uc_code": "0013479258028",
    "distributor_aneel_code": "028",
    "customer_name": "Padaria Zeta",
    "submarket": "SE/CO",
    "tariff_group": "A4",
    "modality": "azul",
    "supply_voltage_kv": 13.8,
    "contracted_demand_ponta_kw": 300,
    "contracted_demand_fora_ponta_kw": 520,
    "musd_kw": 500.5,
    "main_meter_serial": "IMP-1",
    "backup_meter_serial": "IMP-2",
    "loss_factor": 0.025,
    "loss_from": "2026-01-01",
    "ccee_retail_from": "2026-11-01",
}


def _setup(client: Any, h: dict[str, str]) -> None:
    r = client.post(
        "/api/v1/distributors",
        headers=h,
        json={"ccee_agent_code": 4028, "aneel_code": "028", "name": "Dist 028"},
    )
    assert r.status_code == 201, r.text
    for serial in ("IMP-1", "IMP-2"):
        r = client.post("/api/v1/meters", headers=h, json={"serial": serial})
        assert r.status_code == 201, r.text


@pytest.mark.slow
def test_register_with_13_digits_and_read_every_field_back(fresh: Any) -> None:
    seed, client = fresh
    h = seed.headers("root")
    _setup(client, h)
    r = client.post("/api/v1/units", headers=h, json=UNIT)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["uc_code"] == CODE15
    assert (body["musd_kw"], body["loss_factor"], body["loss_valid_from"]) == (
        500.5,
        0.025,
        "2026-01-01",
    )
    assert (body["main_meter_serial"], body["backup_meter_serial"]) == ("IMP-1", "IMP-2")
    assert (body["ccee_retail_from"], body["ccee_agent_code"]) == ("2026-11-01", 4028)
    assert client.get(f"/api/v1/units/{CODE15}", headers=h).json() == body
    # the same code typed with its check digits, as on a bill: already registered
    r = client.post("/api/v1/units", headers=h, json={**UNIT, "uc_code": "0.013.479.258.028-10"})
    assert r.status_code == 409, r.text


def test_patch_changes_named_fields_and_adds_a_loss_period(fresh: Any) -> None:
    seed, client = fresh
    h = seed.headers("root")
    _setup(client, h)
    assert client.post("/api/v1/units", headers=h, json=UNIT).status_code == 201
    r = client.patch(
        f"/api/v1/units/{CODE15}",
        headers=h,
        json={"musd_kw": 600, "remove_backup_meter": True, "loss_factor": 0.01,
              "loss_from": "2000-01-01"},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["musd_kw"], body["backup_meter_serial"], body["modality"]) == (600, None, "azul")
    assert (body["loss_factor"], body["loss_valid_from"]) == (0.01, "2000-01-01")
    r = client.patch(f"/api/v1/units/{CODE15}", headers=h, json={"loss_factor": 0.01})
    assert r.status_code == 422 and r.json()["field"] == "loss_from"


def test_refusals_name_the_field_and_write_nothing(fresh: Any) -> None:
    seed, client = fresh
    h = seed.headers("root")
    _setup(client, h)
    cases = [
        ({"uc_code": "001347925802801"}, "uc_code", "check digits 01 do not match"),
        ({"backup_meter_serial": "NOPE"}, "backup_meter_serial", "no meter 'NOPE'"),
        ({"backup_meter_serial": "IMP-1"}, "backup_meter_serial", "must differ"),
        ({"contracted_demand_ponta_kw": None}, "contracted_demand_ponta_kw", "ponta demand"),
        ({"modality": "roxa"}, "modality", "one of azul, verde"),
        ({"distributor_aneel_code": "001"}, "uc_code", "must be the distributor's ANEEL code"),
        ({"loss_factor": 0.5}, "loss_factor", "a fraction in [0, 0.2)"),
    ]
    for change, field, words in cases:
        r = client.post("/api/v1/units", headers=h, json={**UNIT, **change})
        assert r.status_code == 422, (change, r.text)
        assert r.json()["field"] == field and words in r.json()["detail"], (change, r.json())
    assert client.get(f"/api/v1/units/{CODE15}", headers=h).status_code == 404


@pytest.mark.slow
def test_the_list_is_the_callers_scope(fresh: Any) -> None:
    seed, client = fresh
    everyone = {
        u["uc_code"] for u in client.get("/api/v1/units", headers=seed.headers("root")).json()
    }
    assert everyone == set(seed.ucs.values())
    mine = client.get("/api/v1/units", headers=seed.headers("cli")).json()
    assert [u["uc_code"] for u in mine] == [seed.ucs["M-A1"]]
    ana = client.get("/api/v1/units", headers=seed.headers("ana")).json()
    assert {u["distributor_aneel_code"] for u in ana} == {"001"}
    r = client.post("/api/v1/units", headers=seed.headers("cli"), json=UNIT)
    assert r.status_code == 403
