"""What the running service (`smf poll`) does beside its schedule, against the real database and
emulated meters over TCP: on-demand reads queued by the API (smf.read_request), 15-minute
monitoring (smf.meters_due_monitoring), the battery status for alarm rule l, and its refusal of
a schema that is not at head."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from db.errors import SchemaNotAtHead
from db.settings import Settings
from poller.emulator import FixedClock, MeterConfig
from poller.service import Poller

from .conftest import poller, q, site, until


def _service(settings: Settings, clock: FixedClock, **kw: Any) -> Poller:
    # read_request_poll far longer than the test: only NOTIFY wakes the request loop in time
    base: dict[str, Any] = dict(tick=0.01, registry_refresh=0.05, read_request_poll=600.0)
    base.update(kw)
    return poller(settings, clock, **base)


def _exec(settings: Settings, sql: str, *params: Any) -> None:
    with psycopg.connect(settings.url) as conn:
        conn.execute(sql, params)


def _request(settings: Settings, rid: int) -> tuple[Any, ...]:
    return q(settings, "select status, result, error from smf.read_request where id = %s", rid)[0]


def _enqueue(settings: Settings, serial: str, kind: str = "full") -> int:
    return int(q(settings, "select smf.read_request_enqueue(%s, %s, null)", serial, kind)[0][0])


@pytest.mark.slow
async def test_an_on_demand_request_is_read_by_the_running_service(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with (
        site(db_settings, clock) as s,
        site(db_settings, clock, MeterConfig(serial="32600761")) as gone,
    ):
        p = _service(db_settings, clock)
        stop = asyncio.Event()
        service = asyncio.create_task(p.run(stop))
        # the service reads both never-read meters once at start; then nothing is due
        await until(lambda: q(db_settings, "select count(*) from smf.poll_attempt") == [(2,)])
        retired = _enqueue(db_settings, gone.meter.serial)  # queued, then the meter is retired
        _exec(
            db_settings,
            "update smf.meter set retired_at = now(), enabled = false where serial = %s",
            gone.meter.serial,
        )
        rid = _enqueue(db_settings, s.meter.serial, "registers")
        await until(lambda: _request(db_settings, rid)[0] in ("done", "failed"))
        await until(lambda: _request(db_settings, retired)[0] in ("done", "failed"))
        stop.set()
        await asyncio.wait_for(service, 10)
    status, result, error = _request(db_settings, rid)
    assert (status, error) == ("done", None)
    assert result["serial"] == s.meter.serial and result["kind"] == "registers"
    assert result["outcome"] == "ok" and result["committed"] is True
    assert result["intervals_read"] > 0 and result["intervals_updated"] == 0
    # read through the same session path as a scheduled read: one more logged session
    assert q(
        db_settings,
        "select a.trigger, a.outcome from smf.poll_attempt a join smf.meter m on m.id = a.meter_id"
        " where m.serial = %s order by a.started_at",
        s.meter.serial,
    ) == [("schedule", "ok"), ("on_demand", "ok")]
    status, result, error = _request(db_settings, retired)
    assert status == "failed" and result is None
    assert error == "meter 32600761 is disabled or retired (smf.meter.enabled): not read"


@pytest.mark.slow
async def test_monitoring_reads_every_15_minutes_and_reports_the_battery(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with (
        site(db_settings, clock, MeterConfig(serial="32600760", battery=1)) as watched,
        site(db_settings, clock, MeterConfig(serial="32600762", battery=1)) as other,
    ):
        # rule l: battery octet 1 is the "battery bad" code the installation starts with
        assert q(db_settings, "select value from smf.alarm_threshold where rule_code = 'l'") == [
            (1,)
        ]
        p = poller(db_settings, clock)
        for site_ in (watched, other):
            assert (await p.read_meter(site_.info)).committed
        # both were read now (wall clock); pretend those sessions were 16 minutes ago
        _exec(
            db_settings, "update smf.poll_attempt set started_at = started_at - interval '16 min'"
        )
        clock.advance(timedelta(minutes=16))  # the meters' clocks too (status keyed by their time)
        q(
            db_settings,
            "select smf.monitoring_start(%s, now() + interval '1 hour', 'test', 'suspected fault')",
            watched.meter.serial,
        )
        service = _service(db_settings, clock, monitoring_check=0.05)
        stop = asyncio.Event()
        task = asyncio.create_task(service.run(stop))
        # the frozen scheduling clock says no poll is due: only monitoring reads the meter
        await until(lambda: q(db_settings, "select count(*) from smf.poll_attempt") == [(3,)])
        seen = service.loops
        await until(lambda: service.loops >= seen + 30)  # its last session is now recent
        stop.set()
        await asyncio.wait_for(task, 10)
    per_meter = q(
        db_settings,
        "select m.serial, count(*) from smf.poll_attempt a join smf.meter m on m.id = a.meter_id"
        " group by m.serial order by m.serial",
    )
    assert per_meter == [("32600760", 2), ("32600762", 1)]
    # every read reported the battery (source poll); rule l opened one alarm per meter
    assert q(
        db_settings,
        "select m.serial, count(*), min(r.battery_raw), max(r.source) from "
        "smf.meter_status_report r join smf.meter m on m.id = r.meter_id "
        "group by m.serial order by m.serial",
    ) == [("32600760", 2, 1, "poll"), ("32600762", 1, 1, "poll")]
    assert q(
        db_settings,
        "select meter_serial, state, value from smf.alarm_sheet where rule_code = 'l' "
        "order by meter_serial",
    ) == [("32600760", "open", 1), ("32600762", "open", 1)]


@pytest.mark.slow
async def test_a_good_battery_raises_nothing(db_settings: Settings, clock: FixedClock) -> None:
    async with site(db_settings, clock) as s:  # battery octet 0 (bad code: 1)
        assert (await poller(db_settings, clock).read_meter(s.info)).committed
    assert q(db_settings, "select battery_raw from smf.meter_status_report") == [(0,)]
    assert q(db_settings, "select count(*) from smf.alarm_sheet where rule_code = 'l'") == [(0,)]


@pytest.mark.slow
async def test_the_service_refuses_a_schema_not_at_head(
    db_settings: Settings, clock: FixedClock
) -> None:
    _exec(db_settings, "update public.alembic_version set version_num = '9999'")
    p = _service(db_settings, clock)
    with pytest.raises(SchemaNotAtHead, match="9999"):
        await asyncio.wait_for(p.run(asyncio.Event()), 30)
    assert q(db_settings, "select count(*) from smf.poll_attempt") == [(0,)]
