"""Series contents against values worked out by hand from the seed (tests/api/conftest.py):
meter M-A1 (k = 1) holds (i + 1) Wh active in interval i (i = 0 .. 287 from 2024-03-01 00:00
UTC), 500 varh inductive and 127 V in every interval; constants 0.001 kWh, 0.5 kvarh, 0.1 V per
pulse."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from litestar.testing import TestClient
from openpyxl import load_workbook

from db import driver
from tests.api.conftest import Seed

DAY = {"from": "2024-03-01T00:00:00Z", "to": "2024-03-02T00:00:00Z"}


def _rows(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(zip(body["columns"], r, strict=True)) for r in body["rows"]]


def _get(client: TestClient[Any], seeded: Seed, path: str, **params: Any) -> Any:
    r = client.get(path, params=params, headers=seeded.headers("root"))
    assert r.status_code == 200, r.text
    return r


def test_five_minute_json_values_and_quality(client: TestClient[Any], seeded: Seed) -> None:
    body = _get(
        client,
        seeded,
        "/api/v1/meters/M-A1/intervals",
        **{"from": "2024-03-01T00:00:00Z", "to": "2024-03-01T01:00:00Z"},
    ).json()
    rows = _rows(body)
    assert len(rows) == 12  # 60 min / 5 min
    assert rows[0]["bucket_start"] == "2024-03-01T00:00:00+00:00"
    assert [r["active_fwd_kwh"] for r in rows] == [(i + 1) / 1000 for i in range(12)]
    assert {r["reactive_ind_fwd_kvarh"] for r in rows} == {0.5}
    assert {r["voltage_a_v"] for r in rows} == {127.0}
    assert {r["quality"] for r in rows} == {"measured"}
    assert {r["completeness_pct"] for r in rows} == {100.0}
    assert rows[0]["active_rev_kwh"] is None  # a channel the meter does not record


def test_hourly_sums_and_channel_selection(client: TestClient[Any], seeded: Seed) -> None:
    body = _get(
        client,
        seeded,
        "/api/v1/meters/M-A1/intervals",
        resolution="1h",
        channels="active_fwd",
        **DAY,
    ).json()
    assert body["columns"] == ["bucket_start", "active_fwd_kwh", "quality", "completeness_pct"]
    rows = _rows(body)
    assert len(rows) == 24
    # hour h sums intervals 12h .. 12h + 11: 12 * 12h + (1 + ... + 12) = 144h + 78 Wh
    assert [r["active_fwd_kwh"] for r in rows] == [(144 * h + 78) / 1000 for h in range(24)]


def test_daily_buckets_follow_the_time_zone(client: TestClient[Any], seeded: Seed) -> None:
    utc = _get(
        client, seeded, "/api/v1/meters/M-A1/intervals", resolution="1d", tz="UTC", **DAY
    ).json()
    utc = _rows(utc)
    assert [(r["active_fwd_kwh"], r["completeness_pct"]) for r in utc] == [(41.616, 100.0)]
    # 1 + ... + 288 = 288 * 289 / 2 = 41616 Wh
    local = _get(
        client,
        seeded,
        "/api/v1/meters/M-A1/intervals",
        resolution="1d",
        tz="America/Sao_Paulo",
        **{"from": "2024-02-29", "to": "2024-03-02"},
    ).json()
    rows = _rows(local)
    # local 2024-02-29 (-03:00) ends at 03:00 UTC: intervals 0..35, 1 + ... + 36 = 666 Wh, 36 of
    # 288 expected; local 2024-03-01 holds intervals 36..287: 41616 - 666 = 40950 Wh, 252 of 288.
    assert [r["bucket_start"] for r in rows] == [
        "2024-02-29T00:00:00-03:00",
        "2024-03-01T00:00:00-03:00",
    ]
    assert [r["active_fwd_kwh"] for r in rows] == [0.666, 40.95]
    assert [r["completeness_pct"] for r in rows] == [12.5, 87.5]
    assert {r["quality"] for r in rows} == {"missing"}


def test_pulses_divide_by_the_channel_constants(client: TestClient[Any], seeded: Seed) -> None:
    rows = _get(
        client,
        seeded,
        "/api/v1/meters/M-A1/intervals",
        units="pulses",
        **{"from": "2024-03-01T00:00:00Z", "to": "2024-03-01T00:10:00Z"},
    ).json()
    rows = _rows(rows)
    # 0.001 kWh / 0.001 = 1 pulse; 0.5 kvarh / 0.5 = 1; 127 V / 0.1 = 1270
    assert [
        (r["active_fwd_pulses"], r["reactive_ind_fwd_pulses"], r["voltage_a_pulses"]) for r in rows
    ] == [(1.0, 1.0, 1270.0), (2.0, 1.0, 1270.0)]


def test_csv_streams_and_matches_the_rollups(client: TestClient[Any], seeded: Seed) -> None:
    r = _get(client, seeded, "/api/v1/meters/M-A2/intervals", format="csv", **DAY)
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 288
    assert rows[0]["bucket_start"] == "2024-03-01 00:00:00+00"
    sums: dict[str, int] = {}
    for i, row in enumerate(rows):
        key = rows[i - i % 3]["bucket_start"]
        sums[key] = sums.get(key, 0) + round(float(row["active_fwd_kwh"]) * 1000)
    with driver.connect(seeded.settings) as conn:
        rollup = dict(
            conn.execute(
                "select to_char(bucket at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00', "
                "active_fwd_wh from smf.rollup_15min r join smf.meter m on m.id = r.meter_id "
                "where m.serial = 'M-A2'"
            ).fetchall()
        )
    assert sums == rollup


def test_xlsx_reads_back_equal_to_the_hourly_rollups(client: TestClient[Any], seeded: Seed) -> None:
    r = _get(
        client,
        seeded,
        "/api/v1/units/{}/intervals".format(seeded.ucs["M-A1"]),
        format="xlsx",
        resolution="1h",
        **DAY,
    )
    ws = load_workbook(io.BytesIO(r.content), read_only=True).active
    assert ws is not None
    values = list(ws.iter_rows(values_only=True))
    assert values[0][:2] == ("bucket_start (UTC)", "active_fwd_kwh")
    got = [round(float(v[1]) * 1000) for v in values[1:]]  # type: ignore[arg-type]
    with driver.connect(seeded.settings) as conn:
        want = [
            w
            for (w,) in conn.execute(
                "select active_fwd_wh from smf.rollup_hour r join smf.meter m on m.id = r.meter_id "
                "where m.serial = 'M-A1' order by bucket"
            ).fetchall()
        ]
    assert got == want and len(got) == 24


def test_too_many_rows_says_how_to_page(seeded: Seed) -> None:
    from tests.api.conftest import make_client

    with make_client(seeded.settings, max_rows=100) as c:
        r = c.get("/api/v1/meters/M-A1/intervals", params=DAY, headers=seeded.headers("root"))
        assert r.status_code == 422
        body = r.json()
        assert body["code"] == "too-many-rows" and body["limit"] == 100
        # 100 five-minute rows from 00:00 end at 08:20
        assert body["next_to"] == "2024-03-01T08:20:00+00:00"
        assert "from=2024-03-01T00:00:00+00:00 to=2024-03-01T08:20:00+00:00" in body["detail"]
        assert "format=csv" in body["detail"]
        csv_ok = c.get(
            "/api/v1/meters/M-A1/intervals",
            params={**DAY, "format": "csv"},
            headers=seeded.headers("root"),
        )
        assert csv_ok.status_code == 200 and csv_ok.text.count("\n") == 289


def test_bad_parameters_name_their_field(client: TestClient[Any], seeded: Seed) -> None:
    h = seeded.headers("root")
    for params, field in (
        ({**DAY, "tz": "Mars/Olympus"}, "tz"),
        ({**DAY, "channels": "active_fwd,bogus"}, "channels"),
        ({"from": "yesterday", "to": "2024-03-02"}, "from"),
        ({"from": "2024-03-02", "to": "2024-03-01"}, "to"),
        ({**DAY, "resolution": "7m"}, "resolution"),
        ({**DAY, "format": "abnt"}, "month"),
    ):
        r = client.get("/api/v1/meters/M-A1/intervals", params=params, headers=h)
        assert r.status_code == 422, (params, r.text)
        assert r.json()["field"] == field, (params, r.json())


@pytest.mark.slow
def test_public_format_download_round_trips_through_import(fresh: Any) -> None:
    seed, client = fresh
    h = seed.headers("root")
    with driver.connect(seed.settings) as conn:  # the file's serial field holds 8 digits
        conn.execute("update smf.meter set serial = '12345678' where serial = 'M-A1'")
    before = _energies(seed)
    assert len(before) == 288
    r = client.get(
        "/api/v1/meters/12345678/intervals",
        headers=h,
        params={**DAY, "format": "abnt", "month": "2024-03"},
    )
    assert r.status_code == 200, r.text
    assert len(r.content) % 256 == 0
    back = client.post(
        "/api/v1/imports", content=r.content, headers=h, params={"filename": "M-A1.abnt"}
    )
    assert back.status_code == 201, back.text
    body = back.json()
    # local March (-03:00) starts at 03:00 UTC: intervals 36 .. 287 of the seed are in the file
    assert body["format"] == "abnt" and body["meter_serial"] == "12345678"
    assert body["rows"] == 252, body
    # the energy channels the file carries come back equal (voltage is not in the file)
    assert _energies(seed) == before


def _energies(seed: Seed) -> list[tuple[Any, ...]]:
    with driver.connect(seed.settings) as conn:
        return conn.execute(
            "select ts, active_fwd_wh, reactive_ind_fwd_varh from smf.interval_reading_all r "
            "join smf.meter m on m.id = r.meter_id where m.serial = '12345678' order by ts"
        ).fetchall()
