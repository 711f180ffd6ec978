"""The authorization matrix: every endpoint x every role, in and out of scope.

Scopes (tests/api/conftest.py): root admin, svc service (everything); ana analyst of
distributor 001 (UCs of M-A1 and M-A2); gina analyst of group g1 (UC of M-A2); cli client of the
UC of M-A1; other client of the UC of M-B1. A resource outside the scope answers 404, exactly as
one that does not exist (nothing leaks its existence); a write the role may never do answers 403.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.api.conftest import Seed

SEES = {  # account -> meters whose data it may read
    "root": {"M-A1", "M-A2", "M-B1"},
    "svc": {"M-A1", "M-A2", "M-B1"},
    "ana": {"M-A1", "M-A2"},
    "gina": {"M-A2"},
    "cli": {"M-A1"},
    "other": {"M-B1"},
}
WINDOW = {"from": "2024-03-01T00:00:00Z", "to": "2024-03-01T02:00:00Z"}
METER_READS = [
    ("/api/v1/meters/{s}", {}),
    ("/api/v1/meters/{s}/intervals", WINDOW),
    ("/api/v1/meters/{s}/intervals", {**WINDOW, "format": "csv"}),
    ("/api/v1/meters/{s}/intervals", {**WINDOW, "format": "xlsx"}),
    ("/api/v1/meters/{s}/registers", {}),
    ("/api/v1/meters/{s}/instantaneous", {}),
    ("/api/v1/meters/{s}/events", {}),
    ("/api/v1/meters/{s}/connectivity", {}),
    ("/api/v1/meters/{s}/outages", {}),
    ("/api/v1/meters/{s}/alterations", {}),
]
UNIT_READS = [
    ("/api/v1/units/{uc}", {}),
    ("/api/v1/units/{uc}/intervals", WINDOW),
    ("/api/v1/units/{uc}/rules/demand", {"month": "2024-03"}),
    ("/api/v1/units/{uc}/rules/billing", {"month": "2024-03"}),
    ("/api/v1/units/{uc}/rules/data-quality", {"month": "2024-03"}),
    ("/api/v1/units/{uc}/rules/figures", {"month": "2024-03"}),
    ("/api/v1/units/{uc}/rules/musd", {"month": "2024-03"}),
    ("/api/v1/units/{uc}/rules/ufer-dmcr", {"month": "2024-03"}),
    ("/api/v1/units/{uc}/reports/outages", {}),
    ("/api/v1/units/{uc}/reports/outages", {"format": "csv"}),
    ("/api/v1/units/{uc}/reports/alterations", {}),
    ("/api/v1/units/{uc}/reports/display", {}),
]


@pytest.mark.slow
@pytest.mark.parametrize("who", list(SEES))
def test_reads_follow_the_scope(client: TestClient[Any], seeded: Seed, who: str) -> None:
    h = seeded.headers(who)
    for serial in ("M-A1", "M-A2", "M-B1"):
        want = 200 if serial in SEES[who] else 404
        for path, params in METER_READS:
            r = client.get(path.format(s=serial), params=params, headers=h)
            assert r.status_code == want, (who, serial, path, params, r.text[:300])
        for path, params in UNIT_READS:
            r = client.get(path.format(uc=seeded.ucs[serial]), params=params, headers=h)
            assert r.status_code == want, (who, serial, path, r.text[:300])


@pytest.mark.parametrize("who", list(SEES))
def test_search_returns_only_the_scope(client: TestClient[Any], seeded: Seed, who: str) -> None:
    r = client.get("/api/v1/search", params={"q": "cliente"}, headers=seeded.headers(who))
    assert r.status_code == 200
    found = {u["main_meter_serial"] for u in r.json()["units"]}
    assert found == SEES[who]
    r = client.get("/api/v1/search", params={"q": "M-"}, headers=seeded.headers(who))
    assert {m["serial"] for m in r.json()["meters"]} == SEES[who]


def test_a_client_never_reads_another_uc_series(client: TestClient[Any], seeded: Seed) -> None:
    r = client.get("/api/v1/meters/M-B1/intervals", params=WINDOW, headers=seeded.headers("cli"))
    assert r.status_code == 404
    assert "M-B1" in r.json()["detail"] and "scope" in r.json()["detail"]
    r = client.get("/api/v1/meters/M-A1/intervals", params=WINDOW, headers=seeded.headers("cli"))
    assert r.status_code == 200 and len(r.json()["rows"]) == 24


# (account, expected status) for each write; serials/codes differ per account to avoid clashes.
WRITES = {
    "root": {
        "meter": 201,
        "unit": 201,
        "patch_a1": 200,
        "read_a1": 202,
        "import": 201,
        "dist": 201,
    },
    "svc": {"meter": 201, "unit": 201, "patch_a1": 200, "read_a1": 202, "import": 201, "dist": 201},
    "ana": {"meter": 403, "unit": 201, "patch_a1": 200, "read_a1": 202, "import": 403, "dist": 403},
    "gina": {
        "meter": 403,
        "unit": 403,
        "patch_a1": 404,
        "read_a1": 404,
        "import": 403,
        "dist": 403,
    },
    "cli": {"meter": 403, "unit": 403, "patch_a1": 403, "read_a1": 403, "import": 403, "dist": 403},
    "other": {
        "meter": 403,
        "unit": 403,
        "patch_a1": 403,
        "read_a1": 403,
        "import": 403,
        "dist": 403,
    },
}


@pytest.mark.slow
def test_writes_follow_the_role_and_scope(fresh: Any) -> None:
    seed, client = fresh
    csv = b"meter_serial,ts,active_fwd_kwh\nM-A1,2024-03-05T00:00:00Z,0.100\n"
    for n, (who, want) in enumerate(WRITES.items(), start=1):
        h = seed.headers(who)
        got = {
            "meter": client.post("/api/v1/meters", json={"serial": f"N-{who}"}, headers=h),
            "unit": client.post(
                "/api/v1/units",
                headers=h,
                json={
                    "uc_code": _uc(seed, 5000 + n, "001"),
                    "distributor_aneel_code": "001",
                    "customer_name": f"Nova {who}",
                    "submarket": "SE/CO",
                    "tariff_group": "A4",
                    "modality": "verde",
                    "supply_voltage_kv": 13.8,
                },
            ),
            "patch_a1": client.patch(
                f"/api/v1/units/{seed.ucs['M-A1']}",
                headers=h,
                json={"customer_name": f"Renamed by {who}"},
            ),
            "read_a1": client.post("/api/v1/meters/M-A1/reads", headers=h, json={}),
            "import": client.post("/api/v1/imports", content=csv, headers=h),
            "dist": client.post(
                "/api/v1/distributors",
                headers=h,
                json={"ccee_agent_code": 900 + n, "aneel_code": f"{900 + n}", "name": f"D {who}"},
            ),
        }
        assert {k: r.status_code for k, r in got.items()} == want, (
            who,
            {k: r.text[:200] for k, r in got.items()},
        )


def _uc(seed: Seed, sequential: int, aneel: str) -> str:
    from db import driver

    with driver.connect(seed.settings) as conn:
        row = conn.execute(
            "select smf.uc_code_with_check_digits(%s, %s::int)", (sequential, aneel)
        ).fetchone()
    assert row is not None
    return str(row[0])


# The remaining endpoints: (method, path, body) -> status per account. "A1" paths act on
# M-A1 / its UC (in the scope of root, svc, ana, cli), "B1" on M-B1 (root, svc, other).
MORE = [
    ("GET", "/api/v1/distributors", None,
     {"root": 200, "svc": 200, "ana": 200, "gina": 200, "cli": 200, "other": 200}),
    ("PATCH", "/api/v1/distributors/001", {"name": "Dist A2"},
     {"root": 200, "svc": 200, "ana": 403, "gina": 403, "cli": 403, "other": 403}),
    ("PATCH", "/api/v1/meters/M-A1", {"model": "X"},
     {"root": 200, "svc": 200, "ana": 200, "gina": 404, "cli": 403, "other": 403}),
    ("POST", "/api/v1/meters/M-B1/retire", None,
     {"root": 200, "svc": 200, "ana": 404, "gina": 404, "cli": 403, "other": 403}),
    ("POST", "/api/v1/units/{B1}/retire", None,
     {"root": 200, "svc": 200, "ana": 404, "gina": 404, "cli": 403, "other": 403}),
    ("POST", "/api/v1/distributors/002/retire", None,
     {"root": 200, "svc": 200, "ana": 403, "gina": 403, "cli": 403, "other": 403}),
    ("GET", "/api/v1/reads/{read}", None,
     {"root": 200, "svc": 200, "ana": 200, "gina": 404, "cli": 200, "other": 404}),
    ("GET", "/api/v1/imports/1", None,
     {"root": 200, "svc": 200, "ana": 403, "gina": 403, "cli": 403, "other": 403}),
    ("GET", "/api/v1/alarms", None,
     {"root": 200, "svc": 200, "ana": 200, "gina": 200, "cli": 200, "other": 200}),
    ("GET", "/api/v1/alarms/rules", None,
     {"root": 200, "svc": 200, "ana": 200, "gina": 200, "cli": 200, "other": 200}),
    ("POST", "/api/v1/alarms/999999/ack", {"comment": "x"},
     {"root": 404, "svc": 403, "ana": 404, "gina": 404, "cli": 403, "other": 403}),
    ("PUT", "/api/v1/alarms/rules/a", {"value": 140, "meter_serial": "M-B1"},
     {"root": 200, "svc": 403, "ana": 404, "gina": 404, "cli": 403, "other": 403}),
    ("GET", "/health", None,
     {"root": 200, "svc": 200, "ana": 200, "gina": 200, "cli": 200, "other": 200}),
]  # fmt: skip


@pytest.mark.slow
def test_the_other_endpoints_follow_role_and_scope(fresh: Any) -> None:
    seed, client = fresh
    read = client.post("/api/v1/meters/M-A1/reads", headers=seed.headers("root")).json()["id"]
    for who in SEES:  # writes here are idempotent (retire, set a name), so the order is free
        for method, path, body, want in MORE:
            url = path.format(B1=seed.ucs["M-B1"], read=read)
            r = client.request(method, url, json=body, headers=seed.headers(who))
            assert r.status_code == want[who], (who, method, url, r.text[:200])
