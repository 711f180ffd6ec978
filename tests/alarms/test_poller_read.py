"""A real read of an emulated meter over TCP raises alarms in the transaction that stores it:
the triggers see what the poller wrote, whatever path that was."""

from __future__ import annotations

from datetime import timedelta

import pytest

from db.settings import Settings
from poller.emulator import FixedClock, MeterConfig
from tests.alarms.helpers import execute, rows
from tests.poller_service.conftest import NOW, poller, site


@pytest.mark.slow
async def test_read_over_tcp_raises_and_a_later_read_clears(db_settings: Settings) -> None:
    clock = FixedClock(NOW)
    cfg = MeterConfig(serial="32600760", channels=12, interval_min=15)
    async with site(db_settings, clock, cfg) as s:
        # maximum voltage programmed at 1 V for this meter: every 0x14 reading violates it
        execute(
            db_settings.url,
            "insert into smf.alarm_threshold (rule_code, meter_id, value) values ('b', %s, 1)",
            s.info.id,
        )
        p = poller(db_settings, clock)
        assert (await p.read_meter(s.info)).committed
        [a] = rows(db_settings.url, "select * from smf.alarm_sheet where rule_code = 'b'")
        assert a["state"] == "open" and a["source"] == "instantaneous" and a["threshold"] == 1
        assert a["value"] > 1 and a["meter_serial"] == "32600760"
        # one alarm for the episode: the interval means broke the rule from the first interval
        # read, the 0x14 reading (the newest data) last; times of the data, not of evaluation
        inst = rows(db_settings.url, "select at from smf.instantaneous_reading")
        first = rows(db_settings.url, "select min(ts) as t from smf.interval_reading")
        assert (a["opened_at"], a["last_at"]) == (first[0]["t"], inst[0]["at"])
        assert a["occurrences"] > 1
        assert (
            rows(db_settings.url, "select count(*) as n from smf.alarm_notification")[0]["n"] == 1
        )
        # raised above any voltage: the next read is within, the alarm clears (not acknowledged)
        execute(
            db_settings.url, "update smf.alarm_threshold set value = 100000 where rule_code = 'b'"
        )
        clock.advance(timedelta(minutes=20))
        assert (await p.read_meter(s.info)).committed
    [a] = rows(db_settings.url, "select * from smf.alarm_sheet where rule_code = 'b'")
    assert a["state"] == "cleared" and a["acknowledged_at"] is None
    ok = rows(db_settings.url, "select count(*) as n from smf.poll_attempt where outcome = 'ok'")
    assert (
        ok[0]["n"] == 2
        and rows(db_settings.url, "select * from smf.alarm_sheet where rule_code = 'm'") == []
    )
