"""Precomputed UC-month figures (smf.uc_month_figures, db/functions/180_uc_figures.sql).

The ingest refreshes the figures its batch changed in its own transaction (up to the setting
uc_figures_sync_max); `refresh_stale` does the rest in small transactions (the uc_figures job),
and `figures` reads one UC-month the way every reader should: the stored row when fresh, else
computed live (never a stale figure).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from db import driver

BATCH = 50  # UC-months refreshed per transaction by refresh_stale


def figures(conn: driver.Connection, uc_code: str, month: date) -> dict[str, Any]:
    """One UC-month's figures: fresh, computed_at, energy_kwh, completeness_pct, musd_verdict,
    billing / demand / ufer_dmcr (lists of rows), musd (one row). Raises db.errors.NotFound."""
    row = driver.run_one(conn, "figures_of", uc_code=uc_code, month=month)
    assert row is not None
    return row


def billing_summary(conn: driver.Connection, uc_code: str, month: date) -> list[dict[str, Any]]:
    """The billing summary rows (as smf.billing_summary, loss-adjusted) from the figures, each
    with `fresh` and `computed_at`. Raises db.errors.NotFound."""
    return driver.run(conn, "figures_billing", uc_code=uc_code, month=month)


def musd_check(conn: driver.Connection, uc_code: str, month: date) -> dict[str, Any]:
    """The MUSD verdict row (as smf.musd_check with the default factor) from the figures."""
    row = driver.run_one(conn, "figures_musd", uc_code=uc_code, month=month)
    assert row is not None
    return row


def refresh_stale(*, max_rows: int = 100_000) -> dict[str, int]:
    """Refresh stale rows in transactions of BATCH until none is left (or max_rows); the counts."""
    done = 0
    with driver.connect() as conn:
        while done < max_rows:
            with conn.transaction():
                row = driver.run_one(conn, "figures_refresh_stale", limit=BATCH)
            n = int(row["n"]) if row else 0
            done += n
            if n < BATCH:
                break
        left = driver.run_one(conn, "figures_stale_count")
    return {"refreshed": done, "stale_left": int(left["n"]) if left else 0}
