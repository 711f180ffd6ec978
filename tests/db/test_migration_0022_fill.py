"""Revision 0022 fills the hourly rollup's quarter-hour minimums of the hours already stored,
from the 15-minute rollups, exactly as the rollup refresh computes them for new data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

from db import migrate
from db.settings import Settings
from tests.storage.helpers import add_meter, new_batch

H0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)

# one 15-minute meter, one UTC hour: (active_fwd_wh, reactive_ind_fwd_varh, reactive_cap_fwd_varh)
# per quarter hour; the capacitive channel is never read (NULL)
QUARTERS = [(120, 10, None), (-90, 0, None), (150, 5, None), (60, 7, None)]


def test_upgrade_to_0022_fills_each_stored_hour_with_its_smallest_absolute_quarter_hour(
    db_settings: Settings,
) -> None:
    """Hours stored before 0022: active min(|120|, |-90|, |150|, |60|) = 60 Wh, inductive
    min(10, 0, 5, 7) = 0 varh, capacitive NULL (no quarter has a value); same after a refresh."""
    with psycopg.connect(db_settings.url, autocommit=True) as conn:
        meter = add_meter(conn, "MIG22", 15)
        batch = new_batch(conn)
        conn.cursor().executemany(
            "insert into smf.interval_reading (meter_id, ts, active_fwd_wh,"
            " reactive_ind_fwd_varh, reactive_cap_fwd_varh, quality, source, batch_id)"
            " values (%s, %s, %s, %s, %s, 'measured', 'meter', %s)",
            [(meter, H0 + timedelta(minutes=15 * i), *q, batch) for i, q in enumerate(QUARTERS)],
        )
        conn.execute(
            "select smf.rollup_refresh(array[%s], array[%s::timestamptz], array[%s::timestamptz])",
            (meter, H0, H0 + timedelta(minutes=45)),
        )
    want = (120 - 90 + 150 + 60, 60, 0, None)  # the hour's 240 Wh and the three minimums
    sql = (
        "select active_fwd_wh, active_fwd_wh_q_min_abs, reactive_ind_fwd_varh_q_min_abs,"
        " reactive_cap_fwd_varh_q_min_abs from smf.rollup_hour where meter_id = %s"
    )
    with psycopg.connect(db_settings.url) as conn:
        assert conn.execute(sql, (meter,)).fetchall() == [want]  # the refresh's own
    migrate.downgrade(db_settings, "0021")
    migrate.upgrade(db_settings)
    with psycopg.connect(db_settings.url) as conn:
        assert conn.execute(sql, (meter,)).fetchall() == [want]  # filled by the revision
