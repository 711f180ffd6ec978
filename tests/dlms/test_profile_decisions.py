"""What a DLMS read decides and stores, worked by hand: status bits → quality, an unknown OBIS
kept raw and reported, energy in kWh (scaler 3), an unreadable scaler (nothing stored until an
operator says), an interval other than the registered one, the power-failure and
power-quality logs, instantaneous values for the alarm rules, raw reads kept, keys never in
plain text."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from db.settings import Settings
from poller import registry
from poller.dlms.security import Keys
from poller.emulator.dlms import Capture, DlmsMeterConfig
from poller.emulator.meter import FixedClock

from .conftest import AK, EK, dlms_site, poller, q, stored

T = datetime(2026, 11, 10, 11, 45, tzinfo=UTC)  # start of the last closed interval (slot 47)


def cfg(**kw: object) -> DlmsMeterConfig:
    return DlmsMeterConfig(serial="DLMS0001", interval_min=15, profile_days=1, **kw)  # type: ignore[arg-type]


@pytest.mark.slow
async def test_status_bits_become_quality(db_settings: Settings, clock: FixedClock) -> None:
    # outage 11:20-11:25 UTC lies in the 11:15 interval → bit 7 power failure → 'adjusted';
    # 11:00 flagged invalid (bit 2) → 'missing' with no values kept
    outage = (
        datetime(2026, 11, 10, 11, 20, tzinfo=UTC),
        datetime(2026, 11, 10, 11, 25, tzinfo=UTC),
    )
    c = cfg(
        outages=(outage,), invalid_starts=frozenset({datetime(2026, 11, 10, 11, 0, tzinfo=UTC)})
    )
    async with dlms_site(db_settings, clock, c) as s:
        res = await poller(db_settings, clock).read_meter(s.info)
    assert res.ok and res.committed, res
    rows = stored(db_settings, "DLMS0001")
    r1115 = rows[datetime(2026, 11, 10, 11, 15, tzinfo=UTC)]
    assert r1115["quality"] == "adjusted"
    # slot of 11:15 = 45, 45 mod 6 = 3: +A 100 + 30 = 130 Wh (the meter's value, kept)
    assert r1115["active_fwd_wh"] == 130
    r1100 = rows[datetime(2026, 11, 10, 11, 0, tzinfo=UTC)]
    assert r1100["quality"] == "missing" and r1100["active_fwd_wh"] is None
    assert rows[T]["quality"] == "measured"
    flags = q(
        db_settings, "select detail->'flags' from smf.meter_event where kind = 'profile_status'"
    )
    assert flags == [({"invalid": 1, "power_failure": 1},)]
    # the power-failure log (an IDIS event log) → smf.meter_outage
    assert q(db_settings, "select start_at, end_at from smf.meter_outage") == [outage]


@pytest.mark.slow
async def test_unknown_obis_is_kept_raw_and_reported(
    db_settings: Settings, clock: FixedClock
) -> None:
    caps = (Capture("1.0.1.29.0.255", unit=30), Capture("1.0.13.27.0.255", unit=255, kind="other"))
    async with dlms_site(db_settings, clock, cfg(captures=caps)) as s:
        res = await poller(db_settings, clock).read_meter(s.info)
    assert res.ok and res.committed
    assert stored(db_settings, "DLMS0001")[T]["active_fwd_wh"] == 150
    ev = q(
        db_settings,
        "select message, detail->'obis' from smf.meter_event where kind = 'unknown_obis'",
    )
    assert len(ev) == 1 and ev[0][1] == ["1.0.13.27.0.255"]
    assert "kept raw" in ev[0][0]
    raw = q(db_settings, "select layout, n_blocks > 0 from smf.raw_read")
    assert raw == [("dlms", True)]


@pytest.mark.slow
async def test_energy_in_kwh_is_scaled_by_attribute_3(
    db_settings: Settings, clock: FixedClock
) -> None:
    # scaler 3, unit Wh: raw 150 means 150 x 10^3 Wh = 150 kWh = 150 000 Wh stored
    caps = (Capture("1.0.1.29.0.255", scaler=3, unit=30),)
    async with dlms_site(db_settings, clock, cfg(captures=caps)) as s:
        res = await poller(db_settings, clock).read_meter(s.info)
    assert res.ok and res.committed
    assert stored(db_settings, "DLMS0001")[T]["active_fwd_wh"] == 150_000
    ev = q(
        db_settings,
        "select detail->>'energy_unit', message from smf.meter_event "
        "where kind = 'energy_unit_decided'",
    )
    assert ev[0][0] == "attribute3" and "scaler 3, unit Wh" in ev[0][1]


@pytest.mark.slow
async def test_unreadable_scaler_stores_nothing_until_an_operator_decides(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with dlms_site(db_settings, clock, cfg(scaler_readable=False)) as s:
        res = await poller(db_settings, clock).read_meter(s.info)
        assert res.ok and res.committed
        assert stored(db_settings, "DLMS0001") == {}
        assert q(db_settings, "select count(*) from smf.raw_read") == [(1,)]  # kept raw
        registry.set_dlms_decision(db_settings.url, "DLMS0001", energy_unit="wh")
        clock.advance(timedelta(minutes=15))
        res = await poller(db_settings, clock).read_meter(s.info)
    assert res.ok and res.committed
    # the operator said Wh (scaler 0): raw 150 = 150 Wh
    assert stored(db_settings, "DLMS0001")[T]["active_fwd_wh"] == 150


@pytest.mark.slow
async def test_interval_other_than_registered_stores_nothing(
    db_settings: Settings, clock: FixedClock
) -> None:
    c = cfg()
    async with dlms_site(db_settings, clock, c) as s:
        registry.set_fields(db_settings.url, "DLMS0001", registry.Changes(interval_minutes=5))
        s.info = registry_info(db_settings)
        res = await poller(db_settings, clock).read_meter(s.info)
    assert res.outcome == "interval_mismatch"
    assert stored(db_settings, "DLMS0001") == {}
    msg = q(db_settings, "select message from smf.meter_event where kind = 'interval_mismatch'")
    assert "integrates over 15 min, registered as 5 min" in msg[0][0]


def registry_info(settings: Settings):  # type: ignore[no-untyped-def]
    from poller import store

    return store.meter_by_serial(settings.url, "DLMS0001")


@pytest.mark.slow
async def test_power_quality_log_and_instantaneous_values(
    db_settings: Settings, clock: FixedClock
) -> None:
    pq = ((datetime(2026, 11, 10, 10, 0, tzinfo=UTC), 77),)
    std = ((datetime(2026, 11, 10, 9, 30, tzinfo=UTC), 1),)
    async with dlms_site(db_settings, clock, cfg(power_quality=pq, standard_events=std)) as s:
        res = await poller(db_settings, clock).read_meter(s.info)
    assert res.ok and res.committed
    ev = q(
        db_settings,
        "select at, detail->>'log', detail->>'code' from smf.meter_event "
        "where kind = 'meter_log' order by at",
    )
    assert ev == [(std[0][0], "0.0.99.98.0.255", "1"), (pq[0][0], "0.0.99.98.4.255", "77")]
    (values,) = q(db_settings, "select values from smf.instantaneous_reading")[0]
    # 2201 x 10^-1 = 220.1 V; 512 x 10^-2 = 5.12 A; 6000 x 10^-2 = 60.0 Hz; P 3350 W
    assert (values["VA"], values["IA"], values["frequency"], values["P3"]) == (
        220.1,
        5.12,
        60.0,
        3350.0,
    )


@pytest.mark.slow
async def test_keys_are_never_stored_or_logged_in_plain_text(
    db_settings: Settings, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    c = cfg(auth="hls_gmac", authentication_key=AK, encryption_key=EK)
    async with dlms_site(db_settings, clock, c) as s:
        res = await poller(db_settings, clock).read_meter(s.info)
    assert res.ok and res.committed
    (blob,) = q(db_settings, "select secret from smf_secret.dlms_key")[0]
    for key in (AK, EK):
        assert key not in bytes(blob)  # sealed: AES-GCM under SMF_SECRET_KEY_FILE
        assert key.hex() not in caplog.text and repr(key) not in caplog.text
    dump = json.dumps(q(db_settings, "select * from smf.dlms_meter"), default=str)
    assert AK.hex() not in dump and EK.hex() not in dump
    assert repr(Keys(AK, EK)) == "Keys(***)"
    assert "***" in repr(registry.DlmsOptions(auth="hls_gmac", authentication_key=AK))
    # the API role cannot read the key table at all
    rows = q(db_settings, "select has_table_privilege('smf_api', 'smf_secret.dlms_key', 'select')")
    assert rows == [(False,)]
    # the invocation counter moved on by a reserved block (never reused by the next session)
    assert q(db_settings, "select invocation_counter from smf_secret.dlms_key") == [(10_000,)]


@pytest.mark.slow
async def test_instantaneous_voltage_feeds_alarm_rule_b(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with dlms_site(db_settings, clock, cfg()) as s:
        # rule b (maximum voltage) programmed at 200 V for this meter: 220.1 V is above it
        q(
            db_settings,
            "insert into smf.alarm_threshold (rule_code, meter_id, value) "
            "select 'b', id, 200 from smf.meter where serial = 'DLMS0001' returning id",
        )
        res = await poller(db_settings, clock).read_meter(s.info)
    assert res.ok and res.committed
    alarms = q(db_settings, "select rule_code, state from smf.alarm where rule_code = 'b'")
    assert alarms and alarms[0] == ("b", "open")


@pytest.mark.slow
async def test_a_read_the_database_could_not_take_is_stored_once_when_it_is_back(
    db_settings: Settings, clock: FixedClock
) -> None:
    dead = "postgresql://smf@127.0.0.1:9/nowhere?connect_timeout=1"  # nothing listens on port 9
    async with dlms_site(db_settings, clock, cfg()) as s:
        p = poller(db_settings, clock, store_attempts=2)
        # the session's context (settings, keys) is read first; the database then goes away
        # before the store: the decoded read waits in memory
        orig = p._store

        async def store_later(read, attempts=None):  # type: ignore[no-untyped-def]
            p.settings = dead
            return await orig(read, attempts)

        p._store = store_later  # type: ignore[method-assign]
        res = await p.read_meter(s.info)
        assert res.ok and not res.committed and p.pending_count == 1
        assert stored(db_settings, "DLMS0001") == {}
        p._store = orig  # type: ignore[method-assign]
        p.settings = db_settings.url  # ... and the database is back
        assert await p.flush(timeout=10)
        assert await p.flush(timeout=10)  # a second flush finds nothing to store again
    rows = stored(db_settings, "DLMS0001")
    assert len(rows) == 96 and rows[T]["active_fwd_wh"] == 150
    assert q(db_settings, "select count(*) from smf.poll_attempt where outcome = 'ok'") == [(1,)]
