"""Source precedence reaches polls: every interval a read returns goes through the ingest path,
whose table (smf.source_precedence: manual > meter > import > backup_meter > estimate) decides.
A CSV import the meter disagrees with is replaced (history kept, disagreement recorded); a manual
edit survives a later poll; a re-read of unchanged data writes nothing."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from db import driver
from db.ingest import ingest_csv_stream
from db.settings import Settings
from poller.emulator import FixedClock
from tests.poller_service.conftest import NOW, expected_rows, poller, q, site

#: an interval every read at NOW holds (15-minute meter; the read covers the last 4.5 days)
TS = NOW.replace(minute=0, second=0) - timedelta(hours=2)  # 2024-03-08 13:00 UTC


def _import_csv(settings: Settings, text: str) -> None:
    with driver.connect(settings) as conn:
        ingest_csv_stream(conn, io.BytesIO(text.encode()), origin="test.csv", source="import")


@pytest.mark.slow
async def test_a_poll_replaces_an_imported_value_and_records_the_disagreement(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with site(db_settings, clock) as s:
        true_wh = expected_rows(s.meter, TS, TS + timedelta(minutes=15))[TS]["active_fwd_wh"]
        imported_wh = true_wh + 1234  # the import says 1.234 kWh more than the meter
        _import_csv(
            db_settings,
            f"ts,meter_serial,active_fwd_kwh\n{TS.isoformat()},{s.meter.serial},"
            f"{imported_wh / 1000:.3f}\n",
        )
        assert q(
            db_settings,
            "select active_fwd_wh, source::text from smf.interval_reading where ts = %s",
            TS,
        ) == [(imported_wh, "import")]
        res = await poller(db_settings, clock).read_meter(s.info)
        assert res.committed and res.intervals_updated == 1, res
        # the meter outranks the import: its value is stored, the import's kept in the history
        assert q(
            db_settings,
            "select active_fwd_wh, source::text, quality::text from smf.interval_reading "
            "where ts = %s",
            TS,
        ) == [(true_wh, "meter", "measured")]
        assert q(
            db_settings,
            "select active_fwd_wh, source::text from smf.interval_reading_history where ts = %s",
            TS,
        ) == [(imported_wh, "import")]
        assert q(
            db_settings,
            "select channel, stored_value, stored_source::text, incoming_value, "
            "incoming_source::text, kept from smf.reading_disagreement where ts = %s",
            TS,
        ) == [("active_fwd_wh", imported_wh, "import", true_wh, "meter", "incoming")]
        # a second read of the same memory changes nothing and records nothing new
        clock.advance(timedelta(seconds=30))
        again = await poller(db_settings, clock).read_meter(s.info)
        assert again.committed and (again.intervals_stored, again.intervals_updated) == (0, 0)
        assert q(db_settings, "select count(*) from smf.reading_disagreement") == [(1,)]
        assert q(db_settings, "select count(*) from smf.interval_reading_history") == [(1,)]


@pytest.mark.slow
async def test_a_manual_edit_survives_a_later_poll(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with site(db_settings, clock) as s:
        p = poller(db_settings, clock)
        assert (await p.read_meter(s.info)).committed
        true_wh = expected_rows(s.meter, TS, TS + timedelta(minutes=15))[TS]["active_fwd_wh"]
        q(
            db_settings,
            "select smf.vee_edit(%s, %s, %s, 'active_fwd', 'set', 7.5, null, 'meter swap', 'op')",
            s.meter.serial,
            TS,
            TS + timedelta(minutes=15),
        )
        clock.advance(timedelta(minutes=20))
        res = await p.read_meter(s.info)
        assert res.committed and res.intervals_updated == 0, res  # the edit is not replaced
        # manual outranks meter: 7.5 kWh = 7500 Wh stays; the history holds only the meter's
        # value the edit replaced (the later poll added no version)
        assert q(
            db_settings,
            "select active_fwd_wh, source::text from smf.interval_reading where ts = %s",
            TS,
        ) == [(7500, "manual")]
        assert q(
            db_settings,
            "select active_fwd_wh, source::text from smf.interval_reading_history where ts = %s",
            TS,
        ) == [(true_wh, "meter")]
