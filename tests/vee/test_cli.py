"""`smf vee` as an operator runs it, against a committed test database: validate, estimate,
findings, explain, a refused edit that changes nothing, an accepted edit; and the daily job."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import psycopg
import pytest

from db import driver
from db.settings import REPO_ROOT, Settings
from jobs import vee_daily
from tests.db.helpers import fingerprint
from tests.vee.conftest import day_rows, put, unit


def _setup(settings: Settings) -> str:
    with driver.connect(settings) as conn:
        u = unit(conn, 61, backup=True)
        for d in ("2026-09-29", "2026-09-30", "2026-10-01", "2026-10-02"):
            put(conn, u.main_serial, day_rows(d, 1.0))
        put(conn, u.backup_serial, day_rows("2026-10-05", 1.2, skip=[40]))
        put(conn, u.main_serial, day_rows("2026-10-05", 1.0, skip=range(40, 50)))
    return u.uc_code


@pytest.mark.slow
def test_cli_validate_estimate_findings_explain_edit(db_settings: Settings) -> None:
    uc = _setup(db_settings)
    env = {**os.environ, "SMF_DATABASE_URL": db_settings.url}

    def smf(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "smf.cli", "vee", *argv], env=env,
                              cwd=REPO_ROOT, capture_output=True, text=True,
                              timeout=120)  # fmt: skip

    v = smf("validate", "--meter", "V61", "--from", "2026-10-05", "--to", "2026-10-05")
    assert v.returncode == 0, v.stderr
    f = smf("findings", "--meter", "V61", "--status", "open")
    assert "missing" in f.stdout and "10 interval(s) of 5 min missing, 2026-10-05 03:20" in f.stdout
    e = smf("estimate", "--uc", uc, "--from", "2026-10-05", "--to", "2026-10-05")
    assert e.returncode == 0, e.stderr
    # 9 intervals from the backup (it lacks 03:20), 1 from the day-type mean of 4 business days
    assert '{"backup_meter": 9, "daytype_mean": 1}' in e.stdout, e.stdout
    x = smf("explain", "--meter", "V61", "--at", "2026-10-05T03:20")
    assert "method: daytype_mean" in x.stdout and "2026-10-02" in x.stdout, x.stdout
    before = fingerprint(db_settings.url)
    bad = smf("edit", "--meter", "V61", "--from", "2026-10-05T01:00", "--to", "2026-10-05T01:10",
              "--set", "-2", "--reason", "test")  # fmt: skip
    assert bad.returncode == 1 and "negative energy is refused" in bad.stderr
    no_reason = smf("edit", "--meter", "V61", "--from", "2026-10-05T01:00", "--to",
                    "2026-10-05T01:10", "--set", "2", "--reason", "")  # fmt: skip
    assert no_reason.returncode == 1 and "a reason is required" in no_reason.stderr
    beyond = smf("edit", "--meter", "V61", "--from", "2026-10-20T01:00", "--to",
                 "2026-10-20T01:10", "--scale", "2", "--reason", "x")  # fmt: skip
    assert beyond.returncode == 1 and "beyond the data" in beyond.stderr
    assert fingerprint(db_settings.url) == before
    ok = smf("edit", "--meter", "V61", "--from", "2026-10-05T01:00", "--to", "2026-10-05T01:10",
             "--set", "2", "--reason", "customer's logger", "--operator", "carla")  # fmt: skip
    assert ok.returncode == 0 and "2 interval(s) of V61 set" in ok.stdout, ok.stderr
    with psycopg.connect(db_settings.url) as conn:
        assert conn.execute("select operator, reason from smf.vee_manual_edit").fetchall() == [
            ("carla", "customer's logger")
        ]
    s = smf("summary", "--distributor", "993", "--month", "2026-10")
    assert s.returncode == 0 and "free" in s.stdout, s.stderr


@pytest.mark.slow
def test_daily_job_estimates_yesterday_once(db_settings: Settings) -> None:
    _setup(db_settings)
    out = vee_daily.run(db_settings, date(2026, 10, 5))
    assert (out["runs"], out["filled"], out["left_missing"]) == (1, 10, 0)
    again = vee_daily.run(db_settings, date(2026, 10, 5))
    assert (again["runs"], again["filled"]) == (0, 0)


@pytest.mark.slow
def test_daily_job_stops_estimating_a_meter_silent_too_long(db_settings: Settings) -> None:
    """auto_estimate_max_silent_days = 7 (the default): for day D the window is the 7 days
    [D - 6 00:00, D + 1 00:00) local. Main meters that last measured on 2026-10-02 (local) are
    estimated on 2026-10-05 and 2026-10-08 (window from 10-02 00:00 holds all of 10-02), not on
    2026-10-09 (window from 10-03 00:00: nothing measured; 10-02 23:55 starts before it): that day
    stays missing, 288 intervals, with a finding. On 2026-10-10 the meter whose backup measured
    that day is estimated from the backup again; the other stays skipped."""
    with driver.connect(db_settings) as conn:
        silent = unit(conn, 62)
        for d in ("2026-09-28", "2026-09-29", "2026-09-30", "2026-10-01", "2026-10-02"):
            put(conn, silent.main_serial, day_rows(d, 1.0))
        backed = unit(conn, 63, backup=True)
        for d in ("2026-09-28", "2026-09-29", "2026-09-30", "2026-10-01", "2026-10-02"):
            put(conn, backed.main_serial, day_rows(d, 1.0))
        assert backed.backup_serial is not None
        put(conn, backed.backup_serial, day_rows("2026-10-10", 1.2))
    out5 = vee_daily.run(db_settings, date(2026, 10, 5))
    assert out5["skipped_silent"] == []
    out8 = vee_daily.run(db_settings, date(2026, 10, 8))
    assert out8["skipped_silent"] == [] and out8["filled"] == 2 * 288, out8
    out9 = vee_daily.run(db_settings, date(2026, 10, 9))
    assert out9["skipped_silent"] == [silent.main_serial, backed.main_serial], out9
    assert out9["filled"] == 0 and out9["left_missing"] == 2 * 288
    out10 = vee_daily.run(db_settings, date(2026, 10, 10))
    assert out10["skipped_silent"] == [silent.main_serial], out10
    with driver.connect(db_settings) as conn:
        stored = conn.execute(
            "select count(*) from smf.interval_reading_all where meter_id = %s"
            " and ts >= '2026-10-10 00:00-03' and ts < '2026-10-11 00:00-03'",
            (silent.main,),
        ).fetchone()
        assert stored == (0,)
        detail = conn.execute(
            "select severity, detail from smf.vee_finding where meter_id = %s"
            " and rule = 'estimation' and ts_from = '2026-10-09 00:00-03'",
            (silent.main,),
        ).fetchone()
        assert detail is not None and detail[0] == "error"
        assert detail[1].startswith("288 interval(s) left missing on 2026-10-09")
        assert "since 2026-10-02 23:55 (local)" in detail[1]
        # the backed-up meter's day came from its backup (288 intervals, 1.2 kWh = 1200 Wh each)
        backed_day = conn.execute(
            "select count(*), sum(active_fwd_wh) from smf.interval_reading_all where meter_id = %s"
            " and ts >= '2026-10-10 00:00-03' and ts < '2026-10-11 00:00-03'",
            (backed.main,),
        ).fetchone()
        assert backed_day == (288, 288 * 1200)
