"""`smf report` end to end (issue 13 §4): the CLI runs as a separate process against a committed
test database, on screen and with --csv; expected figures are worked out by hand below.

UC: azul, contracted 300 kW ponta / 520 kW fora ponta, MUSD 100 kW, no transformer losses.
Tuesday 2026-10-06 (local -03:00), fora ponta: 10:00 P = 120 kWh, 11:00 P = 126 kWh, no reactive.
- energy fora ponta = 120 + 126 = 246.000 kWh; ponta 0
- demand: each hour spread over four quarters: 126 / 4 = 31.5 kWh -> x 4 = 126 kW measured;
  billed = max(126, 520 contracted) = 520 kW; overrun 0 (126 < 520 x 1.05 = 546)
- MUSD: limit 1.25 x 100 kW x 1 h = 125 kWh; 126 > 125 -> 1 hour over, verdict rejected,
  largest hour 126.000 kWh
- exposure: no contract -> contracts 0, consumption 246 kWh = 0.246 MWh, exposure -0.246 MWh
- intervals: 8 present of 744 h x 4 = 2976 expected
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from typing import Any

import psycopg
import pytest

from db.settings import REPO_ROOT, Settings
from tests.rules.conftest import make_uc, put_hours


@pytest.fixture
def report_db(db_settings: Settings) -> tuple[Settings, str]:
    with psycopg.connect(db_settings.url) as conn:
        uc = make_uc(conn, 77, ponta_kw=300, fora_kw=520, musd_kw=100)
        put_hours(conn, uc, [("2026-10-06 10:00", 120, 0, 0), ("2026-10-06 11:00", 126, 0, 0)])
        conn.commit()
    return db_settings, uc.code


def _smf(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env: dict[str, Any] = {**os.environ, "SMF_DATABASE_URL": settings.url}
    return subprocess.run(
        [sys.executable, "-m", "smf.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=180,
    )


@pytest.mark.slow
def test_report_on_screen(report_db):
    settings, code = report_db
    proc = _smf(settings, "report", "--uc", code, "--month", "2026-10")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert f"Billing summary: UC {code}, 2026-10" in out
    lines = out.splitlines()
    # the figures' stamp follows the time policy: local time with its offset (Sao Paulo: -03)
    stamp = [ln for ln in lines if ln.startswith("Figures ")]
    assert stamp and re.fullmatch(r"Figures .* at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d-03\.", stamp[0])
    energy = [ln.split() for ln in lines if ln.startswith("energy ")]
    assert ["energy", "fora_ponta", "246.000", "kWh"] in [row[:4] for row in energy]
    billed = [ln.split()[:3] for ln in lines if ln.startswith("demand_billed ")]
    assert ["demand_billed", "fora_ponta", "520.000"] in billed
    measured = [ln.split()[:3] for ln in lines if ln.startswith("demand_measured ")]
    assert ["demand_measured", "fora_ponta", "126.000"] in measured
    # MUSD table: the verdict row holds limit 125.000, 2 hours with data, 1 over, max 126.000
    musd = lines[lines.index("MUSD check") + 3].split()
    assert musd[-5:] == ["125.000", "2", "1", "126.000", "rejected"]
    expo = lines[lines.index("Exposure (contracts - consumption with losses)") + 3].split()
    assert expo[2:5] == ["0.246000", "0.000000", "-0.246000"]


@pytest.mark.slow
def test_report_csv(report_db):
    settings, code = report_db
    proc = _smf(settings, "report", "--uc", code, "--month", "2026-10", "--csv")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(io.StringIO(proc.stdout)))
    assert rows[0] == ["section", "field", "posto", "value", "unit", "price", "amount"]
    by_key = {(r[0], r[1], r[2]): r[3] for r in rows[1:]}
    assert by_key[("billing", "energy", "fora_ponta")] == "246.000"
    assert by_key[("billing", "energy", "ponta")] == "0.000"
    assert by_key[("billing", "demand_measured", "fora_ponta")] == "126.000"
    assert by_key[("billing", "overrun", "fora_ponta")] == "0.000"
    assert by_key[("billing", "intervals_present", "")] == "8"
    assert by_key[("billing", "intervals_expected", "")] == "2976"
    assert by_key[("musd", "verdict", "")] == "rejected"
    assert by_key[("musd", "hours_over", "")] == "1"
    assert by_key[("musd", "limit_kwh", "")] == "125.000"
    assert by_key[("exposure", "exposure_mwh", "")] == "-0.246000"


@pytest.mark.slow
def test_report_raw_series_and_errors(report_db):
    settings, code = report_db
    # --raw with no losses gives the same energy
    proc = _smf(settings, "report", "--uc", code, "--month", "2026-10", "--csv", "--raw")
    assert proc.returncode == 0, proc.stderr
    assert "billing,energy,fora_ponta,246.000,kWh" in proc.stdout
    # a month without readings: a clear error, exit status 1
    proc = _smf(settings, "report", "--uc", code, "--month", "2026-09")
    assert proc.returncode != 0
    assert f"no readings for consumer unit {code} in 2026-09" in proc.stderr
    # a malformed month is refused by the argument parser (status 2)
    proc = _smf(settings, "report", "--uc", code, "--month", "2026/10")
    assert proc.returncode == 2
    assert "month '2026/10' is not YYYY-MM" in proc.stderr


@pytest.mark.slow
def test_report_flags_a_month_that_rests_on_incomplete_days(report_db):
    # 8 quarter-hours of 2976: every day of October is below 99 % (the 6th: 8 / 96 = 8.33 %, the
    # others 0.00 %), the month 8 / 2976 = 0.27 %: the bill is marked NOT FINAL with the days,
    # consecutive days of the same reason as one range, and the review command names the meter
    settings, code = report_db
    proc = _smf(settings, "report", "--uc", code, "--month", "2026-10")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "Data quality: NOT FINAL" in lines
    assert "  month 0.27 % complete (threshold 99 %)" in lines
    assert "  2026-10-01..2026-10-05: 0.00 % complete" in lines
    assert "  2026-10-06: 8.33 % complete" in lines
    assert "  2026-10-07..2026-10-31: 0.00 % complete" in lines
    review = [ln for ln in lines if ln.startswith("  review: smf vee findings --meter ")]
    assert review == ["  review: smf vee findings --meter T991-77 --status open"], lines
    assert "  days without data: smf import FILE, or poll the meter" in lines
    assert (
        f"Billing summary: UC {code}, 2026-10 (energy and demand include transformer" in proc.stdout
    )
    proc = _smf(settings, "report", "--uc", code, "--month", "2026-10", "--csv")
    rows = [r for r in csv.reader(io.StringIO(proc.stdout)) if r[0] == "quality"]
    assert ["quality", "day", "2026-10-06", "8.33", "%", "", ""] in rows
    assert ["quality", "month", "", "0.27", "%", "", ""] in rows
    assert len(rows) == 32  # 31 days and the month
