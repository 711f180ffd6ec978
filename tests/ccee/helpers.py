"""Helpers for the CCEE tests: a distributor, UCs in the retail model with a main meter, and
readings written straight into smf.interval_reading (rollups refreshed). CCEE days are -03:00."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import psycopg

BRT = timezone(timedelta(hours=-3))
DAY = date(2026, 10, 1)  # a Thursday
FAR = datetime(2030, 1, 1, tzinfo=UTC)  # "now" for pre-checks: the day is over


@dataclass(frozen=True)
class Uc:
    id: int
    code: str
    meter_id: int
    agent: int


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=BRT)


def make_uc(
    conn: psycopg.Connection[Any],
    seq: int,
    *,
    interval: int = 5,
    musd_kw: float | None = None,
    loss: str | None = None,
    registered: str | None = "[2026-01-01,)",
    aneel: str = "391",
) -> Uc:
    row = conn.execute(
        "select id, ccee_agent_code from smf.distributor where aneel_code = %s", (aneel,)
    ).fetchone()
    if row is None:
        row = conn.execute(
            "insert into smf.distributor (ccee_agent_code, aneel_code, name)"
            " values (%s, %s, 'Dist') returning id, ccee_agent_code",
            (7000 + int(aneel), aneel),
        ).fetchone()
    dist, agent = row
    meter = conn.execute(
        "insert into smf.meter (serial, interval_minutes) values (%s, %s) returning id",
        (f"C{aneel}-{seq}", interval),
    ).fetchone()[0]
    code = conn.execute(
        "select smf.uc_code_with_check_digits(%s, %s)", (seq, int(aneel))
    ).fetchone()[0]
    uc = conn.execute(
        "insert into smf.consumer_unit (uc_code, distributor_id, customer_name, submarket,"
        " tariff_group, modality, musd_kw, supply_voltage_kv, main_meter_id)"
        " values (%s, %s, 'Test', 'SE/CO', 'A4', 'verde', %s, 13.8, %s) returning id",
        (code, dist, musd_kw, meter),
    ).fetchone()[0]
    if loss is not None:
        conn.execute(
            "insert into smf.transformer_loss values (%s, '[2020-01-01,)', %s)", (uc, loss)
        )
    if registered is not None:
        conn.execute(
            "insert into smf.ccee_retail_uc (consumer_unit_id, valid_during) values (%s, %s)",
            (uc, registered),
        )
    return Uc(uc, code, meter, agent)


def put_day(
    conn: psycopg.Connection[Any],
    uc: Uc,
    values: Sequence[int | None],
    *,
    day: date = DAY,
    interval: int = 5,
    quality: dict[int, str] | None = None,
) -> None:
    """values[i]: Wh of the i-th interval of the -03:00 day (None: no row); quality by index."""
    batch = conn.execute(
        "insert into smf.ingest_batch (source) values ('import') returning id"
    ).fetchone()[0]
    t0 = day_start(day)
    rows = [
        (
            uc.meter_id,
            t0 + timedelta(minutes=interval * i),
            v,
            (quality or {}).get(i, "measured"),
            batch,
        )
        for i, v in enumerate(values)
        if v is not None
    ]
    # A write beside the ingest: a sealed period of the day goes back to rows first, as the
    # ingest does (a no-op unless the test runs with `pytest --sealed`).
    conn.execute(
        "select smf.storage_unseal(array[%s], array[%s::timestamptz], array[%s::timestamptz])",
        (uc.meter_id, t0, t0 + timedelta(days=1)),
    )
    with conn.cursor() as cur:
        cur.executemany(
            "insert into smf.interval_reading (meter_id, ts, active_fwd_wh, quality, batch_id)"
            " values (%s, %s, %s, %s, %s) on conflict (meter_id, ts) do update"
            " set active_fwd_wh = excluded.active_fwd_wh, quality = excluded.quality,"
            " batch_id = excluded.batch_id",
            rows,
        )
    conn.execute(
        "select smf.rollup_refresh_meter(%s, %s, %s)",
        (uc.meter_id, t0, t0 + timedelta(days=1)),
    )
