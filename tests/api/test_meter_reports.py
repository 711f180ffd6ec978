"""Meter reports (configurations, clocks, connectivity) from the API (GET /api/v1/meter-reports)
and the SQL behind `smf meter report`, on the API's seeded database plus hand-made sessions and
clock corrections; a client sees only its own meter (row-level security)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from tests.api.conftest import Seed

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def clock_seed(seeded: Seed) -> Seed:
    with psycopg.connect(seeded.settings.url) as c:
        (a1,) = c.execute("select id from smf.meter where serial = 'M-A1'").fetchone()  # type: ignore[misc]
        (b1,) = c.execute("select id from smf.meter where serial = 'M-B1'").fetchone()  # type: ignore[misc]
        t1, t2, t3 = NOW - timedelta(hours=3), NOW - timedelta(hours=2), NOW - timedelta(hours=1)
        for mid, t, outcome, drift, after, err in (
            (a1, t1, "ok", 300.0, 0.4, None),
            (a1, t2, "link_error", None, None, "DlmsTimeoutError"),
            (a1, t3, "ok", 12.0, None, None),
            (b1, t3, "ok", 5400.0, None, None),
        ):
            c.execute(
                "insert into smf.poll_attempt (meter_id, started_at, duration_ms, trigger, outcome,"
                " error_class, clock_drift_s, clock_drift_after_s, bytes_in, bytes_out)"
                " values (%s, %s, 1000, 'schedule', %s, %s, %s, %s, 100, 50)",
                (mid, t, outcome, err, drift, after),
            )
        c.execute(
            "insert into smf.clock_correction (meter_id, at, kind, outcome, method, meter_before,"
            " meter_after, reference_time, drift_before_s, drift_after_s, reason) values"
            " (%s, %s, 'auto', 'corrected', 'dlms_shift_time', %s, %s, %s, 300, 0.4, 'test'),"
            " (%s, %s, 'auto', 'refused', null, %s, null, %s, 5400, null, 'test')",
            (
                a1,
                t1,
                t1 + timedelta(seconds=300),
                t1 + timedelta(seconds=0.4),
                t1,
                b1,
                t3,
                t3 + timedelta(seconds=5400),
                t3,
            ),
        )
    return seeded


def get(client: TestClient[Any], s: Seed, who: str, report: str, **q: Any) -> Any:
    return client.get(f"/api/v1/meter-reports/{report}", params=q, headers=s.headers(who))


@pytest.mark.slow
def test_clock_report_last_drift_and_corrections(client: TestClient[Any], clock_seed: Seed) -> None:
    r = get(client, clock_seed, "root", "clock")
    assert r.status_code == 200, r.text
    rows = {x["serial"]: x for x in r.json()["rows"]}
    a1, b1 = rows["M-A1"], rows["M-B1"]
    # M-A1: the newest session with a drift is t3 (12 s); one correction (300 s → 0.4 s)
    assert Decimal(a1["last_drift_s"]) == 12 and a1["corrections"] == 1 and a1["refused"] == 0
    assert a1["last_correction_kind"] == "auto"
    before = datetime.fromisoformat(a1["last_meter_before"])
    after = datetime.fromisoformat(a1["last_meter_after"])
    assert before - after == timedelta(seconds=299.6)  # 300 s fast, 0.4 s left
    # M-B1: 90 min off, refused (alarm j), never corrected
    assert Decimal(b1["last_drift_s"]) == 5400 and b1["refused"] == 1 and b1["corrections"] == 0


def test_connectivity_report(client: TestClient[Any], clock_seed: Seed) -> None:
    rows = {
        x["serial"]: x
        for x in get(client, clock_seed, "root", "connectivity", days=1).json()["rows"]
    }
    a1 = rows["M-A1"]
    # 3 sessions, 2 ok: 66.7 %; bytes 3 x 100 in, 3 x 50 out; the failure was a link error
    assert (a1["sessions"], a1["ok"], Decimal(a1["ok_pct"])) == (3, 2, Decimal("66.7"))
    assert (a1["bytes_in"], a1["bytes_out"], a1["top_failure"], a1["last_outcome"]) == (
        300,
        150,
        "link_error",
        "ok",
    )


def test_config_report_and_scope(client: TestClient[Any], clock_seed: Seed) -> None:
    rows = get(client, clock_seed, "root", "config").json()["rows"]
    assert {r["serial"] for r in rows} >= {"M-A1", "M-B1"}
    a1 = next(r for r in rows if r["serial"] == "M-A1")
    assert (a1["clock_auto_correct"], a1["clock_correct_min_s"], a1["clock_correct_max_s"]) == (
        True,
        60,
        3600,
    )
    assert "secret" not in " ".join(a1)  # no key material in a report
    mine = get(client, clock_seed, "cli", "clock").json()["rows"]
    assert [r["serial"] for r in mine] == ["M-A1"]  # a client: its own meter only
    r = get(client, clock_seed, "root", "nope")
    assert r.status_code == 404
    r = get(client, clock_seed, "root", "clock", format="csv")
    assert r.status_code == 200 and r.text.splitlines()[0].startswith(
        "serial,protocol,last_drift_at"
    )
