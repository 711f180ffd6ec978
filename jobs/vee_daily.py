"""The daily VEE job: after the daily reads, estimate yesterday's gaps of every enabled meter
(backup meters are inputs, not targets) and run the validation rules on the day. A meter that
(with its backup) measured nothing in the last auto_estimate_max_silent_days days (VEE parameter,
default 7) is not estimated: its day stays missing and an 'estimation' finding asks for a visit or
a hand estimate (smf.vee_estimate_daily).

It also runs the validation again over the range of every open `validation_error` finding (a
rule that raised during an ingest or an earlier run; smf.vee_validate_retry): a rule that now
succeeds resolves its finding. A rule that still raises does not stop the job; the scheduled run
then ends as an error naming each rule and SQLSTATE (after committing what it did).

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
from db.errors import SmfError
from db.settings import Settings, load
from jobs.runlog import recorded


def yesterday(zone: str) -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(zone)).date() - timedelta(days=1)


def run(
    conn_or_settings: driver.Connection | Settings | str | None, day: date | None
) -> dict[str, Any]:
    """Estimate then validate local day `day` (default: yesterday) for every enabled meter.

    Takes an open connection (the caller commits) or settings (one transaction here). Returns
    {"day", "meters", "runs", "filled", "left_missing", "skipped_silent", "findings", "retried",
    "validation_errors"}; validation_errors lists {"serial", "rule", "sqlstate", "message"} of
    the rules that raised in this run (the day's or a retried range).
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
    retried = driver.run(conn, "vee_validate_retry")  # ranges whose rules raised before
    val = driver.run(conn, "vee_validate_day_all", day=day)
    filled = sum(sum(r["result"]["filled"].values()) for r in est)
    errors = sorted(
        {
            (r["serial"], e["rule"], e["sqlstate"], e["message"])
            for r in (*val, *retried)
            for e in r["result"].get("errors", [])
        }
    )
    return {
        "day": day.isoformat(),
        "meters": len(est),
        "runs": sum(1 for r in est if r["result"]["run_id"] is not None),
        "filled": filled,
        "left_missing": sum(r["result"]["left_missing"] for r in est),
        "skipped_silent": sorted(r["serial"] for r in est if r["result"].get("skipped")),
        "findings": sum(r["result"]["found"] for r in val),
        "retried": len(retried),
        "validation_errors": [
            {"serial": se, "rule": ru, "sqlstate": st, "message": me} for se, ru, st, me in errors
        ],
    }


class ValidationRuleFailed(SmfError):
    """A validation rule raised during the daily job (its work is committed; the run is an
    error so that it shows in `smf jobs list` and smf.job_run)."""


def raise_for_errors(counts: dict[str, Any]) -> dict[str, Any]:
    """`counts`, or ValidationRuleFailed naming each rule, SQLSTATE and the meters it failed on."""
    errs = counts.get("validation_errors") or []
    if not errs:
        return counts
    by_rule: dict[tuple[str, str], list[str]] = {}
    for e in errs:
        by_rule.setdefault((e["rule"], e["sqlstate"]), []).append(e["serial"])
    parts = [
        f"rule smf.{rule} raised SQLSTATE {state} on {len(serials)} meter(s) "
        f"({', '.join(sorted(set(serials))[:5])})"
        for (rule, state), serials in sorted(by_rule.items())
    ]
    raise ValidationRuleFailed(
        f"vee_daily {counts['day']}: {'; '.join(parts)}; the other rules ran and the readings are "
        "untouched; open validation_error findings list the ranges, the next run retries them"
    )


@recorded("vee_daily")
def scheduled() -> dict[str, Any]:
    """The scheduler's entry: yesterday (local calendar) on the configured database; the run is
    recorded as an error when a validation rule raised (its work is committed first)."""
    return raise_for_errors(run(None, None))
