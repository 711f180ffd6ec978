"""Helpers for the VEE tests: a distributor, UCs with a main (and backup) meter, readings through
the real ingest path (db.ingest.ingest_rows, which also runs the VEE rules on the days touched),
all inside the rolled-back `conn` transaction. Local time is America/Sao_Paulo (-03:00, no DST)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg

from db.channels import QUANTITY_NAMES
from db.ingest import IntervalRow, ingest_rows

BRT = timezone(timedelta(hours=-3))
FIVE = timedelta(minutes=5)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BRT)


@dataclass(frozen=True)
class Unit:
    uc_id: int
    uc_code: str
    main: int
    main_serial: str
    backup: int | None
    backup_serial: str | None


def meter(
    conn: psycopg.Connection[Any], serial: str, *, interval: int = 5, max_kw: float = 1000
) -> int:
    return int(
        conn.execute(
            "insert into smf.meter (serial, interval_minutes, max_power_kw, channel_map)"
            " values (%s, %s, %s, %s) returning id",
            (serial, interval, max_kw, list(QUANTITY_NAMES)),
        ).fetchone()[0]
    )


def unit(
    conn: psycopg.Connection[Any],
    seq: int,
    *,
    backup: bool = False,
    generation: bool = False,
    market: str = "free",
    demand_kw: float = 100,
    interval: int = 5,
    aneel: str = "993",
) -> Unit:
    row = conn.execute("select id from smf.distributor where aneel_code = %s", (aneel,)).fetchone()
    dist = (
        row[0]
        if row
        else conn.execute(
            "insert into smf.distributor (ccee_agent_code, aneel_code, name) values (%s, %s, 'VEE')"
            " returning id",
            (8000 + int(aneel), aneel),
        ).fetchone()[0]
    )
    main_serial = f"V{seq}"
    main = meter(conn, main_serial, interval=interval)
    b = meter(conn, f"B{seq}", interval=interval) if backup else None
    code = conn.execute(
        "select smf.uc_code_with_check_digits(%s, %s)", (seq, int(aneel))
    ).fetchone()[0]
    uc = conn.execute(
        "insert into smf.consumer_unit (uc_code, distributor_id, customer_name, submarket,"
        " tariff_group, modality, contracted_demand_fora_ponta_kw, supply_voltage_kv,"
        " main_meter_id, backup_meter_id)"
        " values (%s, %s, 'Test', 'SE/CO', 'A4', 'verde', %s, 13.8, %s, %s) returning id",
        (code, dist, demand_kw, main, b),
    ).fetchone()[0]
    conn.execute(
        "insert into smf.consumer_unit_class values (%s, %s, %s)", (uc, market, generation)
    )
    return Unit(uc, code, main, main_serial, b, f"B{seq}" if backup else None)


def put(
    conn: psycopg.Connection[Any],
    serial: str,
    rows: Iterable[tuple[datetime, dict[str, float | None]]],
    *,
    quality: str | None = None,
    source: str = "meter",
) -> None:
    """Ingest (ts, {quantity: engineering value}) rows for meter `serial`."""
    ingest_rows(
        conn,
        [IntervalRow(ts=ts, meter_serial=serial, values=v, quality=quality) for ts, v in rows],
        source=source,
    )


def day_rows(
    day: str, kwh: float | list[float], *, skip: Iterable[int] = (), volts: float | None = None
) -> list[tuple[datetime, dict[str, float | None]]]:
    """288 five-minute rows of local day `day` with active kWh (a constant or one per interval);
    intervals whose index is in `skip` are left out."""
    start = local(f"{day} 00:00")
    skip = set(skip)
    out = []
    for i in range(288):
        if i in skip:
            continue
        v: dict[str, float | None] = {
            "active_fwd_kwh": kwh[i] if isinstance(kwh, list) else kwh,
            "active_rev_kwh": 0.0,
        }
        if volts is not None:
            v.update(voltage_a_v=volts, voltage_b_v=volts, voltage_c_v=volts)
        out.append((start + i * FIVE, v))
    return out


def findings(
    conn: psycopg.Connection[Any], meter_id: int, rule: str | None = None
) -> list[tuple[Any, ...]]:
    return conn.execute(
        "select rule, ts_from, ts_to, severity, detail, status from smf.vee_finding"
        " where meter_id = %s and (%s::text is null or rule = %s) order by ts_from, rule",
        (meter_id, rule, rule),
    ).fetchall()


def wh(conn: psycopg.Connection[Any], meter_id: int, ts: datetime) -> tuple[Any, ...] | None:
    return conn.execute(
        "select active_fwd_wh, quality::text, source::text from smf.interval_reading_all"
        " where meter_id = %s and ts = %s",
        (meter_id, ts),
    ).fetchone()
