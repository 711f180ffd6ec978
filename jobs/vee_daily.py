"""The daily VEE job: after the daily reads, estimate yesterday's gaps of every enabled meter
(backup meters are inputs, not targets) and run the validation rules on the day. A meter that
(with its backup) measured nothing in the last auto_estimate_max_silent_days days (VEE parameter,
default 7) is not estimated: its day stays missing and an 'estimation' finding asks for a visit or
a hand estimate (smf.vee_estimate_daily).

Run it by hand with `smf vee daily [--day YYYY-MM-DD]`; the scheduler calls `scheduled()` (job
vee_daily, daily at SMF_JOBS_VEE_AT, 05:30 local by default: after the reads, before ccee_send
sends yesterday at 06:00), recorded in smf.job_run; `smf jobs trigger vee_daily` runs it now.
"""

from __future__ import annotations

import getpass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from db import driver
from db.settings import Settings, load
from jobs.runlog import recorded


def yesterday(zone: str) -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(zone)).date() - timedelta(days=1)


def run(
    conn_or_settings: driver.Connection | Settings | str | None, day: date | None
) -> dict[str, Any]:
    """Estimate then validate local day `day` (default: yesterday) for every enabled meter.

    Takes an open connection (the caller commits) or settings (one transaction here). Returns
    {"day", "meters", "runs", "filled", "left_missing", "skipped_silent", "findings"}.
    """
    if conn_or_settings is None or isinstance(conn_or_settings, Settings | str):
        settings = conn_or_settings if conn_or_settings is not None else load()
        zone = settings.local_timezone if isinstance(settings, Settings) else load().local_timezone
        with driver.connect(settings) as conn:
            return _run(conn, day or yesterday(zone))
    return _run(conn_or_settings, day or yesterday(load().local_timezone))


def _run(conn: driver.Connection, day: date) -> dict[str, Any]:
    operator = f"vee_daily ({getpass.getuser()})"
    est = driver.run(conn, "vee_estimate_day_all", day=day, operator=operator)
    val = driver.run(conn, "vee_validate_day_all", day=day)
    filled = sum(sum(r["result"]["filled"].values()) for r in est)
    return {
        "day": day.isoformat(),
        "meters": len(est),
        "runs": sum(1 for r in est if r["result"]["run_id"] is not None),
        "filled": filled,
        "left_missing": sum(r["result"]["left_missing"] for r in est),
        "skipped_silent": sorted(r["serial"] for r in est if r["result"].get("skipped")),
        "findings": sum(r["result"]["found"] for r in val),
    }


@recorded("vee_daily")
def scheduled() -> dict[str, Any]:
    """The scheduler's entry: yesterday (local calendar) on the configured database."""
    return run(None, None)
