"""The operator reports over HTTP (GET /api/v1/units/{uc}/reports/...): JSON, CSV and the phasor
SVG checked by hand, and scope: a client never gets another UC's report (404).

Seed (tests/api/conftest.py) plus, on M-A1 (the UC of client cli): two outages, one alteration,
one 0x14 reading (wye, phase A 127 V 10 A lagging 30 deg: P = 1270 cos 30 = 1099.85 W,
Q = 1270 sin 30 = 635 var; powers in W, so kW = W / 1000).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from tests.api.conftest import Seed

T0 = datetime(2024, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def reports_seed(seeded: Seed) -> Seed:
    with psycopg.connect(seeded.settings.url) as c:
        (mid,) = c.execute("select id from smf.meter where serial = 'M-A1'").fetchone()  # type: ignore[misc]
        c.execute(
            "insert into smf.meter_outage (meter_id, start_at, end_at) values"
            " (%s, '2024-03-01 10:00Z', '2024-03-01 10:05Z'),"
            " (%s, '2024-03-02 08:00Z', '2024-03-02 09:30Z')",
            (mid, mid),
        )
        c.execute(
            "insert into smf.meter_alteration (meter_id, at, command_code, reader_serial)"
            " values (%s, '2024-03-02 07:00Z', 41, '000123')",  # 41 = 0x29 date changed
            (mid,),
        )
        values = dict(VA=127, VB=127, VC=127, IA=10, IB=10, IC=10, PA=1099.85, QA=635,
                      PB=1270, QB=0, PC=1270, QC=0, phase_shift_A=30)  # fmt: skip
        c.execute(
            "insert into smf.instantaneous_reading (meter_id, at, values, reactive_characteristic)"
            " values (%s, %s, %s, 'LLLL')",
            (mid, T0, json.dumps(values)),
        )
    return seeded


def get(
    client: TestClient[Any], s: Seed, who: str, report: str, serial: str = "M-A1", **q: Any
) -> Any:
    return client.get(
        f"/api/v1/units/{s.ucs[serial]}/reports/{report}", params=q, headers=s.headers(who)
    )


@pytest.mark.slow
def test_outages_json_and_csv(client: TestClient[Any], reports_seed: Seed) -> None:
    r = get(client, reports_seed, "cli", "outages")
    assert r.status_code == 200, r.text
    rows = r.json()["rows"]
    # newest first: 08:00-09:30 = 90 min = 5400 s; 10:00-10:05 = 300 s
    assert [Decimal(x["duration_s"]) for x in rows] == [5400, 300]
    r = get(client, reports_seed, "cli", "outages", format="csv", n=1)
    assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
    lines = list(csv.reader(io.StringIO(r.text)))
    assert lines[0] == ["start_at", "end_at", "duration_s", "source"]
    assert lines[1][:3] == ["2024-03-02T08:00:00+00:00", "2024-03-02T09:30:00+00:00", "5400.000000"]
    assert len(lines) == 2  # n=1


def test_alterations(client: TestClient[Any], reports_seed: Seed) -> None:
    rows = get(client, reports_seed, "ana", "alterations").json()["rows"]
    assert [(x["command_hex"], x["command"]) for x in rows] == [("0x29", "date changed")]


def test_phasors_json_csv_svg(client: TestClient[Any], reports_seed: Seed) -> None:
    rows = get(client, reports_seed, "cli", "phasors").json()["rows"]
    assert [x["element"] for x in rows] == ["A", "B", "C"]
    a = rows[0]
    # 1099.85 W -> 1.100 kW; 635 var -> 0.635 kvar; S = 1.270 kVA; current at 0 - 30 = -30 deg
    assert (a["p_kw"], a["q_kvar"], a["s_kva"]) == ("1.100", "0.635", "1.270")
    assert a["current_angle_deg"] == "-30.0"
    r = get(client, reports_seed, "cli", "phasors", format="csv")
    lines = list(csv.reader(io.StringIO(r.text)))
    head = lines[0]
    assert head[:2] == ["uc_code", "customer_name"] and len(lines) == 4
    assert lines[1][head.index("p_kw")] == "1.100"
    assert lines[1][head.index("at")] == "2024-03-02T10:00:00+00:00"
    r = get(client, reports_seed, "cli", "phasors", format="svg")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.text.startswith("<svg") and r.text.rstrip().endswith("</svg>")
    assert reports_seed.ucs["M-A1"] in r.text and "wye_3_element" in r.text
    # at before the only reading: none -> 404 (SMF04)
    r = get(client, reports_seed, "cli", "phasors", at="2024-03-01T00:00:00Z")
    assert r.status_code == 404


def test_display(client: TestClient[Any], reports_seed: Seed) -> None:
    rows = get(client, reports_seed, "cli", "display").json()["rows"]
    va = [x for x in rows if x["code"] == "VA"]
    assert va and float(va[0]["value"]) == 127


@pytest.mark.slow
def test_scope_and_bad_input(client: TestClient[Any], reports_seed: Seed) -> None:
    for report in ("outages", "alterations", "phasors", "display"):
        assert get(client, reports_seed, "other", report).status_code == 404, report
        assert get(client, reports_seed, "gina", report).status_code == 404, report
        assert get(client, reports_seed, "cli", report, serial="M-B1").status_code == 404
    assert get(client, reports_seed, "cli", "nope").status_code == 404
    r = get(client, reports_seed, "cli", "outages", format="svg")
    assert r.status_code == 422 and r.json()["field"] == "format"
