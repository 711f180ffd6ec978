"""The issue-24 scenario at its size (slow): 200 generated meters x 14 days, 5- and 15-minute
meters side by side, imported as one CSV file with every default on (VEE on ingest, alarms). It
used to fail with CardinalityViolation (135 collisions on 56 meters) and store nothing. Now it
stores every row exactly, files no validation_error, and no two open findings of one (meter,
rule, subject) overlap."""

from __future__ import annotations

from typing import Any

import numpy as np
import psycopg
import pytest

from db.ingest import ingest_csv
from db.settings import Settings
from tests.fleetgen import NAMES, Fleet

STORED = (
    "active_fwd_wh", "active_rev_wh", "reactive_ind_fwd_varh", "reactive_ind_rev_varh",
    "reactive_cap_fwd_varh", "reactive_cap_rev_varh", "voltage_a_mv", "voltage_b_mv",
    "voltage_c_mv", "current_a_ma", "current_b_ma", "current_c_ma",
)  # fmt: skip


@pytest.mark.slow
def test_two_hundred_meters_for_two_weeks_import_whole(db_settings: Settings, tmp_path) -> None:
    fleet = Fleet(meters=200, days=14, seed=24)
    with psycopg.connect(db_settings.url) as conn:
        fleet.register(conn)
    path = tmp_path / "fleet.csv"
    fleet.write_csv(path)
    result = ingest_csv(path, settings=db_settings)
    rows = 0
    totals = np.zeros(len(NAMES), dtype=np.int64)
    for d in fleet.data():
        rows += len(d)
        totals += np.array([int(d.values[k].sum()) for k in NAMES], dtype=np.int64)
    assert (result.rows, result.inserted, result.quarantined) == (rows, rows, {})
    with psycopg.connect(db_settings.url) as conn:
        got: Any = conn.execute(
            f"select count(*), {', '.join(f'sum({c})::bigint' for c in STORED)}"
            " from smf.interval_reading"
        ).fetchone()
        assert got[0] == rows and list(got[1:]) == totals.tolist()
        assert conn.execute(
            "select count(*) from smf.vee_finding where rule = 'validation_error'"
        ).fetchone() == (0,)
        errors = conn.execute("select count(*) from smf.job_run where outcome = 'error'")
        assert errors.fetchone() == (0,)
        # the two phases or three out of band together are there, one finding per phase
        multi = conn.execute(
            "select count(*) from (select meter_id, ts_from, ts_to from smf.vee_finding"
            " where rule = 'voltage_band' group by 1, 2, 3 having count(*) > 1) x"
        ).fetchone()[0]
        assert multi > 0
        overlaps = conn.execute(
            "select count(*) from smf.vee_finding a join smf.vee_finding b"
            " on a.meter_id = b.meter_id and a.rule = b.rule and a.subject = b.subject"
            " and a.id < b.id and a.ts_from < b.ts_to and b.ts_from < a.ts_to"
            " where a.status = 'open' and b.status = 'open'"
        ).fetchone()
        assert overlaps == (0,)
