"""Billing and market rules from Python: thin calls into the SQL functions of db/functions/1*.sql.

Every function takes a connection (see db.driver.connect), runs one named query of
db/queries/rules.sql and returns rows as dicts. Months are any date inside the local month.
Raises db.errors.NotFound (unknown UC or distributor, month without data, no posto schedule) and
db.errors.InvalidParameter (malformed UC code, bad factor).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from db import driver

Row = dict[str, Any]


def billing_summary(
    conn: driver.Connection, uc_code: str, month: date, *, with_losses: bool = True
) -> list[Row]:
    """Billing-cycle items of one UC: item, posto, quantity, unit, price, amount (R$)."""
    return driver.run(
        conn, "rules_billing_summary", uc_code=uc_code, month=month, with_losses=with_losses
    )


def billing_data_quality(conn: driver.Connection, uc_code: str, month: date) -> list[Row]:
    """What a UC's bill for the month rests on: one row per local day (up to yesterday) below the
    completeness threshold or touched by an open VEE finding (warning/error), then the month so
    far (day None): completeness_pct, threshold_pct, estimated_intervals, open_findings,
    finding_rules, finding_ids, below_threshold."""
    return driver.run(conn, "rules_billing_data_quality", uc_code=uc_code, month=month)


def billing_summary_distributor(
    conn: driver.Connection, aneel_code: str, month: date, *, with_losses: bool = True
) -> list[Row]:
    """billing_summary for every UC of a distributor (3-digit ANEEL code) with data in the month."""
    return driver.run(
        conn,
        "rules_billing_summary_distributor",
        aneel_code=aneel_code,
        month=month,
        with_losses=with_losses,
    )


def measured_demand(
    conn: driver.Connection, uc_code: str, month: date, *, with_losses: bool = True
) -> list[Row]:
    """Per demand posto: contracted, measured (max 15-min kW), limit and overrun (kW)."""
    return driver.run(
        conn, "rules_measured_demand", uc_code=uc_code, month=month, with_losses=with_losses
    )


def ufer_dmcr(
    conn: driver.Connection, uc_code: str, month: date, *, with_losses: bool = True
) -> list[Row]:
    """Per posto: UFER (kWh), DMCR (kW), contracted demand and DMCR excess (kW)."""
    return driver.run(
        conn, "rules_ufer_dmcr", uc_code=uc_code, month=month, with_losses=with_losses
    )


def ufer_dmcr_hourly(
    conn: driver.Connection, uc_code: str, month: date, *, with_losses: bool = True
) -> list[Row]:
    """The hourly UFER/DMCR evaluation (P, Q, S, fT, UFER_T, DMCR_T, P=0 flag)."""
    return driver.run(
        conn, "rules_ufer_dmcr_hourly", uc_code=uc_code, month=month, with_losses=with_losses
    )


def musd_check(
    conn: driver.Connection,
    uc_code: str,
    month: date,
    *,
    factor: Decimal | None = None,
    with_losses: bool = True,
) -> Row:
    """The month's MUSD verdict ('accepted', 'rejected' or 'no_musd') with counts."""
    rows = driver.run(
        conn,
        "rules_musd_check",
        uc_code=uc_code,
        month=month,
        factor=factor,
        with_losses=with_losses,
    )
    return rows[0]


def musd_check_hours(
    conn: driver.Connection,
    uc_code: str,
    month: date,
    *,
    factor: Decimal | None = None,
    with_losses: bool = True,
) -> list[Row]:
    """The hours whose consumption exceeds factor x MUSD x 1 h."""
    return driver.run(
        conn,
        "rules_musd_check_hours",
        uc_code=uc_code,
        month=month,
        factor=factor,
        with_losses=with_losses,
    )


def exposure_month(conn: driver.Connection, uc_code: str, month: date) -> Row:
    """Month totals of contracts vs loss-adjusted consumption valued at the hourly PLD."""
    return driver.run(conn, "rules_exposure_month", uc_code=uc_code, month=month)[0]


def exposure_hourly(conn: driver.Connection, uc_code: str, month: date) -> list[Row]:
    """Hourly consumption, contracts, exposure (MWh), PLD and value (R$)."""
    return driver.run(conn, "rules_exposure_hourly", uc_code=uc_code, month=month)


def lastro_penalty(conn: driver.Connection, uc_code: str, month: date) -> Row:
    """The 12-month lastro check ending with the month, and its penalty."""
    return driver.run(conn, "rules_lastro_penalty", uc_code=uc_code, month=month)[0]


def posto_at(conn: driver.Connection, uc_code: str, ts: datetime) -> Row:
    """Posto, demand posto, reactive window and reservado flag of an instant."""
    return driver.run(conn, "rules_posto_at", uc_code=uc_code, ts=ts)[0]


def ccee_deadlines(conn: driver.Connection, month: date) -> list[Row]:
    """The CCEE deadlines (M+n du / MS+n du) of a reference month, with their dates."""
    return driver.run(conn, "rules_ccee_deadlines", month=month)


def is_business_day(conn: driver.Connection, day: date, purpose: str = "ccee") -> bool:
    """True for a business day of the 'ccee' calendar (or a ponta day of the 'tariff' one)."""
    return bool(driver.run(conn, "rules_is_business_day", day=day, purpose=purpose)[0]["result"])


def add_business_days(conn: driver.Connection, day: date, n: int, purpose: str = "ccee") -> date:
    """The n-th business day after day (before it for n < 0)."""
    return driver.run(conn, "rules_add_business_days", day=day, n=n, purpose=purpose)[0]["result"]
