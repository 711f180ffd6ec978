"""DLMS fixtures: a real database (cloned template), our DLMS emulator over real TCP (wrapper or
HDLC) or a pseudo-terminal (HDLC), registered with `poller.registry.add_dlms`, and a poller with
short timers. Expected values are worked out by hand in the tests from the emulator's rules
(poller/emulator/dlms/meter.py), never from the decoder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from db.settings import Settings
from poller import registry, store
from poller.dlms.link import DlmsTimers
from poller.emulator.dlms import DlmsEmulator, DlmsMeter, DlmsMeterConfig
from poller.emulator.meter import FixedClock
from poller.schedule import Backoff
from poller.service import Poller, PollerConfig

#: Tuesday 10 November 2026, 12:07:30 UTC = 09:07:30 in Brasília (-03:00)
NOW = datetime(2026, 11, 10, 12, 7, 30, tzinfo=UTC)
AK = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
EK = bytes.fromhex("101112131415161718191a1b1c1d1e1f")
FAST = DlmsTimers(response_timeout=0.3, retries=2, inter_frame=0.2)
TINY = Backoff(base=0.02, cap=0.1)


@pytest.fixture(autouse=True)
def _secret_key(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMF_SECRET_KEY_FILE", str(tmp_path / "secret.key"))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


def config(clock: FixedClock, **kw: Any) -> PollerConfig:
    async def sleep(seconds: float) -> None:  # waits of the clock policy pass on the fake clock
        clock.advance(timedelta(seconds=seconds))

    base: dict[str, Any] = dict(
        dlms_tcp_timers=FAST,
        dlms_serial_timers=FAST,
        retry_backoff=TINY,
        busy_delay=0.05,
        cycle_backoff=TINY,
        store_backoff=TINY,
        clock=clock,
        sleep=sleep,
    )
    base.update(kw)
    return PollerConfig(**base)


def poller(settings: Settings, clock: FixedClock, **kw: Any) -> Poller:
    return Poller(settings.url, config(clock, **kw))


@dataclass
class DlmsSite:
    emulator: DlmsEmulator
    meter: DlmsMeter
    info: store.MeterInfo
    transport: str


@asynccontextmanager
async def dlms_site(
    settings: Settings,
    clock: FixedClock,
    cfg: DlmsMeterConfig | None = None,
    *,
    via: str = "tcp",
    interval: int = 15,
    opts: registry.DlmsOptions | None = None,
) -> AsyncIterator[DlmsSite]:
    """A DLMS emulator: via 'tcp' (wrapper), 'hdlc' (HDLC over TCP) or 'pty' (HDLC, serial)."""
    cfg = cfg or DlmsMeterConfig(serial="DLMS0001", interval_min=interval)
    meter = DlmsMeter(cfg, clock)
    emu = DlmsEmulator(meter, "wrapper" if via == "tcp" else "hdlc")
    if via == "pty":
        transport = f"serial://{await emu.start_pty()}"
    else:
        transport = f"{'tcp' if via == 'tcp' else 'hdlc'}://127.0.0.1:{await emu.start_tcp()}"
    if opts is None:
        opts = registry.DlmsOptions(
            auth=cfg.auth,
            password=cfg.password,
            authentication_key=cfg.authentication_key,
            encryption_key=cfg.encryption_key,
        )
    registry.add_dlms(
        settings.url,
        cfg.serial,
        transport,
        opts,
        interval_minutes=cfg.interval_min,
        utc_offset_minutes=int(cfg.utc_offset.total_seconds() // 60),
        poll_schedule="15min",
    )
    info = store.meter_by_serial(settings.url, cfg.serial)
    assert info is not None
    try:
        yield DlmsSite(emu, meter, info, transport)
    finally:
        await emu.close()


def q(settings: Settings, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(settings.url) as conn:
        return conn.execute(sql, params).fetchall()


def stored(settings: Settings, serial: str) -> dict[datetime, dict[str, Any]]:
    with psycopg.connect(settings.url, row_factory=psycopg.rows.dict_row) as conn:
        rows = conn.execute(
            "select r.* from smf.interval_reading r join smf.meter m on m.id = r.meter_id "
            "where m.serial = %s order by ts",
            (serial,),
        ).fetchall()
    return {r["ts"]: r for r in rows}
