"""Fixtures for the poller service tests: a real database (cloned template) and emulated meters
over real TCP, with short protocol timers and backoffs so faults resolve in fractions of a
second. Expected values come from the emulator's load function, never from the read path."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from db.channels import QUANTITIES
from db.settings import Settings
from poller import store
from poller.emulated import registry_params
from poller.emulator import (
    EmulatedMeter,
    FaultPlan,
    FixedClock,
    LinkBehaviour,
    MeterConfig,
    MeterEmulator,
)
from poller.emulator.load import expected_value
from poller.protocol.codec.quantities import DEFAULT_QUANTITY_MAP
from poller.protocol.link import LinkTimers
from poller.schedule import Backoff
from poller.service import Poller, PollerConfig

NOW = datetime(2024, 3, 8, 15, 2, 31, tzinfo=UTC)  # a Friday, 12:02:31 in Brasília
FAST_TIMERS = LinkTimers(enq_timeout=2.0, response_timeout=0.3, inter_char_timeout=0.05)
FAST_METER = LinkBehaviour(enq_interval=0.01, response_timeout=0.15, inter_char_timeout=0.05)
TINY = Backoff(base=0.02, cap=0.1)
CODE_OF = {name: code for code, (name, _) in DEFAULT_QUANTITY_MAP.items()}
COLUMN_OF = {q.name: q.column for q in QUANTITIES}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


def fast_config(clock: FixedClock, **kw: Any) -> PollerConfig:
    base: dict[str, Any] = dict(
        tcp_timers=FAST_TIMERS,
        serial_timers=FAST_TIMERS,
        retry_backoff=TINY,
        busy_delay=0.05,
        cycle_backoff=TINY,
        store_backoff=TINY,
        clock=clock,
    )
    base.update(kw)
    return PollerConfig(**base)


@dataclass
class Site:
    emulator: MeterEmulator
    meter: EmulatedMeter
    faults: FaultPlan
    info: store.MeterInfo
    transport: str


@asynccontextmanager
async def site(
    settings: Settings,
    clock: FixedClock,
    config: MeterConfig | None = None,
    *,
    via: str = "tcp",
    behaviour: LinkBehaviour = FAST_METER,
) -> AsyncIterator[Site]:
    """An emulated meter served over TCP (or a pty) and registered in the database."""
    meter = EmulatedMeter(config or MeterConfig(serial="32600760"), clock)
    faults = FaultPlan()
    emu = MeterEmulator(meter, behaviour, faults)
    if via == "tcp":
        transport = f"tcp://127.0.0.1:{await emu.start_tcp()}"
    else:
        transport = f"serial://{await emu.start_pty()}"
    store.register_meters(settings, [registry_params(meter, transport)])
    info = store.meter_by_serial(settings, meter.serial)
    assert info is not None
    try:
        yield Site(emu, meter, faults, info, transport)
    finally:
        await emu.close()


def expected_rows(
    meter: EmulatedMeter, lo: datetime, hi: datetime
) -> dict[datetime, dict[str, int]]:
    """Stored integers (Wh, varh, mV, mA) the emulator's load function implies for [lo, hi)."""
    im = meter.config.interval_min
    names = [DEFAULT_QUANTITY_MAP[c][0] for g in meter.groups for c in g]
    out = {}
    t = lo
    while t < hi:
        out[t] = {
            COLUMN_OF[n]: round(
                expected_value(meter.serial, t, im, CODE_OF[n], meter.config.bcd) * 1000
            )
            for n in names
        }
        t += timedelta(minutes=im)
    return out


def stored_rows(settings: Settings, serial: str) -> dict[datetime, dict[str, Any]]:
    with (
        psycopg.connect(settings.url) as conn,
        conn.cursor(row_factory=psycopg.rows.dict_row) as cur,
    ):
        cur.execute(
            "select r.* from smf.interval_reading r join smf.meter m on m.id = r.meter_id "
            "where m.serial = %s order by ts",
            (serial,),
        )
        return {r["ts"]: r for r in cur.fetchall()}


def assert_matches(settings: Settings, meter: EmulatedMeter, lo: datetime, hi: datetime) -> None:
    want = expected_rows(meter, lo, hi)
    got = stored_rows(settings, meter.serial)
    assert sorted(got) == sorted(want), (min(got, default=None), max(got, default=None), len(got))
    for ts, cols in want.items():
        row = got[ts]
        assert {c: row[c] for c in cols} == cols, ts
        assert row["quality"] == "measured" and row["source"] == "meter"


#: events of the first read of a meter whose profile was undetermined (the emulator's data decide)
PROFILE_EVENTS = ("mm_layout_decided", "register_unit_decided")


def without_profile(events: list[str]) -> list[str]:
    return [e for e in events if e not in PROFILE_EVENTS]


async def until(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    """Wait for a condition (polled every 10 ms); the timeout only guards against a hang and
    never decides a test."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out waiting for a condition"
        await asyncio.sleep(0.01)


def q(settings: Settings, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(settings.url) as conn:
        return conn.execute(sql, params).fetchall()


def poller(settings: Settings, clock: FixedClock, **kw: Any) -> Poller:
    return Poller(settings.url, fast_config(clock, **kw))
