"""VEE (validation, estimation, editing) and virtual meters: a thin driver over the SQL in
db/functions/05x-08x (rules, estimation, edits, virtual meters) through db/queries/vee.sql.

Times are aware datetimes (interval starts, UTC in storage); energies kWh at this boundary.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from db import driver
from db.vee.formula import parse

SCOPES = ("meter", "uc", "distributor")


def validate_batch(conn: driver.Connection, batch_id: int) -> int:
    """Run the rules on the meter-days the ingest batch just finished touched (same transaction)."""
    return int(driver.run_scalar(conn, "vee_validate_batch", batch_id=batch_id))


def validate(
    conn: driver.Connection, kind: str, ref: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Validate every meter of a scope (meter serial, UC code, distributor ANEEL code)."""
    return driver.run(conn, "vee_validate_scope", kind=kind, ref=ref, **{"from": start, "to": end})


def estimate(
    conn: driver.Connection,
    kind: str,
    ref: str,
    start: datetime,
    end: datetime,
    operator: str,
) -> list[dict[str, Any]]:
    """Estimate the gaps of every (main) meter of a scope; one row per meter with its run."""
    return driver.run(
        conn,
        "vee_estimate_scope",
        kind=kind,
        ref=ref,
        operator=operator,
        **{"from": start, "to": end},
    )


def edit(
    conn: driver.Connection,
    *,
    serial: str,
    start: datetime,
    end: datetime,
    operation: str,
    reason: str,
    operator: str,
    channel: str = "active_fwd",
    value: Decimal | float | None = None,
    source_serial: str | None = None,
) -> dict[str, Any]:
    """A manual edit (set kWh, scale, copy_from another meter); raises InvalidParameter/NotFound."""
    row = driver.run_one(
        conn,
        "vee_edit",
        serial=serial,
        channel=channel,
        operation=operation,
        value=value,
        source_serial=source_serial,
        reason=reason,
        operator=operator,
        **{"from": start, "to": end},
    )
    assert row is not None
    return dict(row["result"])


def findings(
    conn: driver.Connection,
    *,
    serial: str | None = None,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    return driver.run(
        conn,
        "vee_findings",
        serial=serial,
        status=status,
        limit=limit,
        **{"from": start, "to": end},
    )


def set_status(conn: driver.Connection, finding_id: int, status: str, who: str) -> None:
    driver.run(conn, "vee_finding_set_status", id=finding_id, status=status, who=who)


def explain(conn: driver.Connection, serial: str, ts: datetime) -> dict[str, Any] | None:
    return driver.run_one(conn, "vee_explain", serial=serial, ts=ts)


def define_virtual(
    conn: driver.Connection, name: str, formula: str, start: date, end: date | None = None
) -> int:
    """Parse the formula (no eval) and store the virtual meter; refusals raise SmfError."""
    tree = parse(formula)
    return int(
        driver.run_scalar(
            conn,
            "virtual_define",
            name=name,
            formula=formula,
            tree=json.dumps(tree),
            **{"from": start, "to": end},
        )
    )


def virtual_series(
    conn: driver.Connection, name: str, start: datetime, end: datetime, resolution: str = "hour"
) -> list[dict[str, Any]]:
    return driver.run(
        conn, "virtual_rollup", name=name, resolution=resolution, **{"from": start, "to": end}
    )


def distributor_summary(
    conn: driver.Connection, aneel_code: str, month: date
) -> list[dict[str, Any]]:
    return driver.run(conn, "distributor_month_summary", aneel_code=aneel_code, month=month)
