"""Helpers for the rule tests: a distributor with a posto schedule, UCs with a main meter, and
readings written straight into smf.interval_reading (then the rollups refreshed) inside the
rolled-back `conn` transaction. Local time is America/Sao_Paulo, -03:00 in 2026."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import psycopg

BRT = timezone(timedelta(hours=-3))
DIST = "991"


def scalar(conn: psycopg.Connection[Any], sql: str, *args: Any) -> Any:
    """The one value of a one-row, one-column query."""
    return conn.execute(sql, args).fetchone()[0]  # type: ignore[index]


def local(text: str) -> datetime:
    """An aware datetime from 'YYYY-MM-DD HH:MM' local time (-03:00)."""
    return datetime.fromisoformat(text).replace(tzinfo=BRT)


@dataclass(frozen=True)
class Uc:
    id: int
    code: str
    meter_id: int
    distributor_id: int


def distributor(
    conn: psycopg.Connection[Any],
    aneel: str = DIST,
    *,
    ponta: str = "18:00",
    capacitive: str = "00:00",
    reservado: tuple[str, int] | None = None,
    intermediario: int | None = None,
    schedule: bool = True,
) -> int:
    """The distributor with ANEEL code `aneel`, created with a posto schedule from 2020 on."""
    row = conn.execute("select id from smf.distributor where aneel_code = %s", (aneel,)).fetchone()
    if row:
        return int(row[0])
    dist = conn.execute(
        "insert into smf.distributor (ccee_agent_code, aneel_code, name) values (%s, %s, %s)"
        " returning id",
        (9000 + int(aneel), aneel, f"Distributor {aneel}"),
    ).fetchone()[0]
    if schedule:
        conn.execute(
            "insert into smf.posto_schedule (distributor_id, valid_during, ponta_start,"
            " capacitive_start, reservado_start, reservado_minutes, intermediario_minutes)"
            " values (%s, '[2020-01-01,)', %s, %s, %s, %s, %s)",
            (dist, ponta, capacitive, *(reservado or (None, None)), intermediario),
        )
    return int(dist)


def make_uc(
    conn: psycopg.Connection[Any],
    seq: int,
    *,
    aneel: str = DIST,
    modality: str = "azul",
    ponta_kw: float | None = 300,
    fora_kw: float | None = 520,
    musd_kw: float | None = None,
    voltage_kv: float = 13.8,
    interval: int = 15,
    loss: str | None = None,
    submarket: str = "SE/CO",
    **dist_kw: Any,
) -> Uc:
    dist = distributor(conn, aneel, **dist_kw)
    meter = conn.execute(
        "insert into smf.meter (serial, interval_minutes) values (%s, %s) returning id",
        (f"T{aneel}-{seq}", interval),
    ).fetchone()[0]
    code = conn.execute(
        "select smf.uc_code_with_check_digits(%s, %s)", (seq, int(aneel))
    ).fetchone()[0]
    uc = conn.execute(
        "insert into smf.consumer_unit (uc_code, distributor_id, customer_name, submarket,"
        " tariff_group, modality, contracted_demand_ponta_kw, contracted_demand_fora_ponta_kw,"
        " musd_kw,"
        " supply_voltage_kv, main_meter_id)"
        " values (%s, %s, 'Test', %s, 'A4', %s, %s, %s, %s, %s, %s)"
        " returning id",
        (code, dist, submarket, modality, ponta_kw, fora_kw, musd_kw, voltage_kv, meter),
    ).fetchone()[0]
    if loss is not None:
        conn.execute(
            "insert into smf.transformer_loss values (%s, '[2020-01-01,)', %s)", (uc, loss)
        )
    return Uc(uc, code, meter, dist)


def put_intervals(
    conn: psycopg.Connection[Any], uc: Uc, rows: list[tuple[datetime, int, int, int]]
) -> None:
    """rows: (interval start, active Wh, inductive varh, capacitive varh); then refresh rollups."""
    batch = conn.execute(
        "insert into smf.ingest_batch (source) values ('import') returning id"
    ).fetchone()[0]
    with conn.cursor() as cur:
        cur.executemany(
            "insert into smf.interval_reading (meter_id, ts, active_fwd_wh, reactive_ind_fwd_varh,"
            " reactive_cap_fwd_varh, batch_id) values (%s, %s, %s, %s, %s, %s)",
            [(uc.meter_id, ts, p, qi, qc, batch) for ts, p, qi, qc in rows],
        )
    lo = min(r[0] for r in rows)
    hi = max(r[0] for r in rows)
    conn.execute("select smf.rollup_refresh_meter(%s, %s, %s)", (uc.meter_id, lo, hi))


Num = Decimal | int | str


def put_hours(
    conn: psycopg.Connection[Any], uc: Uc, hours: list[tuple[str, Num, Num, Num]]
) -> None:
    """hours: (local hour start, P kWh, inductive kvarh, capacitive kvarh) spread evenly over the
    four 15-minute intervals of the hour (values chosen so that Wh / 4 is whole)."""
    rows = []
    for start, p, qi, qc in hours:
        t0 = local(start)
        for k in range(4):
            wh = (int(Decimal(str(v)) * 1000 / 4) for v in (p, qi, qc))
            rows.append((t0 + timedelta(minutes=15 * k), *wh))
    put_intervals(conn, uc, rows)
