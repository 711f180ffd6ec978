"""Job parquet_export (monthly): the Parquet archive of the last closed months, one file per
distributor-month (db/archive.py), into SMF_ARCHIVE_DIR (default .smf/archive).

It exports the SMF_JOBS_PARQUET_MONTHS (default 2) local months before the current one for every
distributor with meters: the month just closed, and the one before, so that corrections inside
the VEE/edit window (62 days) reach the archive; a file whose values did not change is kept as
it is (same digest), so re-running the job changes nothing. It runs on day SMF_JOBS_PARQUET_DAY
(default 10: by then most late reads and corrections of the month have landed, CCEE's deadline
being its 7th business day; the next month's run exports it again anyway) at
SMF_JOBS_PARQUET_AT (04:00 local: after 03:00, when the sealing job of issue 19 runs, and
before vee_daily at 05:30).

Two schedulers may run it at once: each distributor-month is claimed in the database (a
transaction-scoped advisory lock, db/queries/archive.sql archive_try_lock); the one that finds
it claimed counts it as `busy` and moves on. `smf jobs trigger parquet_export` runs it now.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from db import archive, driver, errors
from db.settings import load
from jobs.runlog import recorded


def months_before(today: date, n: int) -> list[str]:
    """The n months before `today`'s month, oldest first (YYYY-MM)."""
    out = []
    y, m = today.year, today.month
    for _ in range(n):
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
        out.append(f"{y:04d}-{m:02d}")
    return out[::-1]


def export(months: list[str], dest: Path | None = None) -> dict[str, Any]:
    """Export every distributor's `months`; returns counts and the files written."""
    with driver.connect() as conn:
        codes = [r["aneel_code"] for r in driver.run(conn, "archive_distributors")]
    counts: dict[str, Any] = {
        "months": months,
        "distributors": len(codes),
        "written": 0,
        "replaced": 0,
        "unchanged": 0,
        "empty": 0,
        "busy": 0,
        "intervals": 0,
        "bytes": 0,
        "files": [],
    }
    for code in codes:
        for month in months:
            try:
                r = archive.export_month(code, month, dest)
            except errors.Conflict:  # another scheduler is exporting it right now
                counts["busy"] += 1
                continue
            counts[r.status] += 1
            if r.status in ("written", "replaced"):
                counts["intervals"] += r.rows
                counts["bytes"] += r.bytes
                counts["files"].append(str(r.path))
    return counts


@recorded("parquet_export")
def run() -> dict[str, Any]:
    n = int(os.environ.get("SMF_JOBS_PARQUET_MONTHS", "2"))
    if n < 1:
        raise errors.InvalidParameter(f"SMF_JOBS_PARQUET_MONTHS={n}: at least 1")
    today = datetime.now(UTC).astimezone(ZoneInfo(load().local_timezone)).date()
    return export(months_before(today, n))
