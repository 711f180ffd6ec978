"""Field-like data imports with every default on (issue 24): property-based, on the fleet
generator (tests/fleetgen.py), through the real ingest path with VEE on ingest and the alarm
triggers as shipped.

For any small fleet (seed, meters, days, mix of 5 and 15-minute meters):
- exactness: every stored interval equals the generator's integers (Wh, varh, mV, mA, quality),
  and no interval the file did not carry exists;
- rollups: rollup_day equals a recomputation from the generator's intervals grouped by local day
  (sums, counts per quality, voltage min/max/sum/n);
- findings: the import leaves no validation_error; no two open findings of one (meter, rule,
  subject) overlap; importing the same file again changes none, and validating the range again
  finds the same ones (none new, none resolved); importing the fleet as per-meter row batches
  instead of one CSV file gives the same open findings.
Each example runs inside a savepoint of the test's transaction that is rolled back."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db.ingest import ingest_csv_stream, ingest_rows
from tests.fleetgen import NAMES, QUALITIES, Fleet

STORED = [  # stored column of each generator quantity, same order as fleetgen.NAMES
    "active_fwd_wh", "active_rev_wh", "reactive_ind_fwd_varh", "reactive_ind_rev_varh",
    "reactive_cap_fwd_varh", "reactive_cap_rev_varh", "voltage_a_mv", "voltage_b_mv",
    "voltage_c_mv", "current_a_ma", "current_b_ma", "current_c_ma",
]  # fmt: skip

fleets = st.builds(
    Fleet,
    meters=st.integers(1, 5),
    days=st.integers(1, 3),
    start=st.sampled_from([date(2026, 10, 3), date(2026, 10, 5), date(2026, 11, 14)]),
    seed=st.integers(0, 2**31),
    five_minute_share=st.sampled_from([0.0, 0.5, 1.0]),
    # rates far above the field's, so that a few meter-days carry every kind of event
    missing_day_rate=st.sampled_from([0.0, 0.3]),
    quality_rate=st.just(0.05),
    gaps_per_month=st.just(40.0),
    outages_per_feeder_month=st.sampled_from([0.0, 30.0]),
    fuse_rate=st.sampled_from([0.0, 10.0]),
    sags_per_feeder_month=st.just(60.0),
    taps_per_feeder_month=st.just(30.0),
    pv_share=st.just(0.6),
    capacitor_share=st.just(0.8),
)


def _ids(conn: psycopg.Connection[Any], fleet: Fleet) -> dict[str, int]:
    serials = [m.serial for m in fleet.meters]
    rows = conn.execute(
        "select serial, id from smf.meter where serial = any(%s)", (serials,)
    ).fetchall()
    return dict(rows)


def _local_midnight(epoch: int) -> datetime:
    """The start of the local (-03:00) day holding instant `epoch`, in UTC."""
    return datetime.fromtimestamp((epoch - 3 * 3600) // 86400 * 86400 + 3 * 3600, UTC)


def _open_findings(conn: psycopg.Connection[Any], ids: list[int]) -> list[tuple[Any, ...]]:
    return conn.execute(
        "select meter_id, rule, subject, ts_from, ts_to, severity, detail from smf.vee_finding"
        " where meter_id = any(%s) and status = 'open' order by 1, 2, 3, 4, 5",
        (ids,),
    ).fetchall()


def _check_exact(conn: psycopg.Connection[Any], fleet: Fleet, ids: dict[str, int]) -> None:
    for d in fleet.data():
        got = conn.execute(
            f"select extract(epoch from ts)::bigint, {', '.join(STORED)}, quality::text"
            " from smf.interval_reading where meter_id = %s order by ts",
            (ids[d.spec.serial],),
        ).fetchall()
        assert len(got) == len(d), d.spec.serial
        arr = np.array([r[:-1] for r in got], dtype=np.int64).reshape(len(got), 1 + len(STORED))
        assert np.array_equal(arr[:, 0], d.ts)
        for k, name in enumerate(NAMES):
            assert np.array_equal(arr[:, 1 + k], d.values[name]), (d.spec.serial, name)
        assert [r[-1] for r in got] == [QUALITIES[q] for q in d.quality.tolist()]


def _check_rollups(conn: psycopg.Connection[Any], fleet: Fleet, ids: dict[str, int]) -> None:
    for d in fleet.data():
        # local day of each interval start: -03:00, so (epoch - 3 h) // 86400 days since 1970
        day = (d.ts - 3 * 3600) // 86400
        expect: dict[date, tuple[int, ...]] = {}
        for dd in np.unique(day):
            sel = day == dd
            v = {k: d.values[k][sel] for k in NAMES}
            q = d.quality[sel]
            expect[date(1970, 1, 1) + timedelta(days=int(dd))] = (
                *(int(v[k].sum()) for k in NAMES[:6]),
                int((q == 0).sum()), int((q == 2).sum()), int((q == 1).sum()),
                *(x for k in ("voltage_a_v", "voltage_b_v", "voltage_c_v")
                  for x in (int(v[k].min()), int(v[k].max()), int(v[k].sum()), int(sel.sum()))),
            )  # fmt: skip
        got = conn.execute(
            "select bucket, active_fwd_wh, active_rev_wh, reactive_ind_fwd_varh,"
            " reactive_ind_rev_varh, reactive_cap_fwd_varh, reactive_cap_rev_varh,"
            " n_measured, n_adjusted, n_estimated,"
            " voltage_a_mv_min, voltage_a_mv_max, voltage_a_mv_sum, voltage_a_mv_n,"
            " voltage_b_mv_min, voltage_b_mv_max, voltage_b_mv_sum, voltage_b_mv_n,"
            " voltage_c_mv_min, voltage_c_mv_max, voltage_c_mv_sum, voltage_c_mv_n"
            " from smf.rollup_day where meter_id = %s and n_measured + n_adjusted + n_estimated > 0"
            " order by bucket",
            (ids[d.spec.serial],),
        ).fetchall()
        assert {r[0]: tuple(int(x) for x in r[1:]) for r in got} == expect, d.spec.serial


def _check_findings(conn: psycopg.Connection[Any], ids: list[int]) -> list[tuple[Any, ...]]:
    found = _open_findings(conn, ids)
    assert [f for f in found if f[1] == "validation_error"] == []
    last: dict[tuple[Any, ...], datetime] = {}
    for meter, rule, subject, lo, hi, *_ in found:
        key = (meter, rule, subject)
        if key in last and hi > lo:
            assert lo >= last[key], f"overlapping open {rule} findings of {key}"
        last[key] = max(hi, last.get(key, hi))
    return found


QUICK = settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.slow
@QUICK
@given(fleet=fleets)
def test_a_generated_fleet_imports_exactly_with_reproducible_findings(conn, fleet: Fleet):
    check_fleet(conn, fleet)


@pytest.mark.slow
@settings(QUICK, max_examples=25)
@given(fleet=fleets)
def test_many_generated_fleets_import_exactly_with_reproducible_findings(conn, fleet: Fleet):
    check_fleet(conn, fleet)


def check_fleet(conn: psycopg.Connection[Any], fleet: Fleet) -> None:
    with conn.transaction(force_rollback=True):
        fleet.register(conn)
        ids = _ids(conn, fleet)
        meter_ids = sorted(ids.values())
        data = b"".join(fleet.csv_chunks())
        ingest_csv_stream(conn, io.BytesIO(data), origin="fleet.csv")
        _check_exact(conn, fleet, ids)
        _check_rollups(conn, fleet, ids)
        found = _check_findings(conn, meter_ids)
        assert conn.execute(
            "select count(*) from smf.job_run where outcome = 'error'"
            " and job in ('vee_validate', 'alarm_eval')"
        ).fetchone() == (0,)
        # the same file again: nothing changes, no finding is added or resolved
        again = ingest_csv_stream(conn, io.BytesIO(data), origin="fleet.csv")
        assert (again.inserted, again.updated) == (0, 0)
        assert _open_findings(conn, meter_ids) == found
        # the range the ingest validated (the local days from the meter's first to its last
        # interval), validated again: the same findings, none new, none resolved
        for d in fleet.data():
            if not len(d):
                continue
            lo = _local_midnight(int(d.ts[0]))
            hi = _local_midnight(int(d.ts[-1])) + timedelta(days=1)
            r = conn.execute(
                "select smf.vee_validate(%s, %s, %s, true)", (ids[d.spec.serial], lo, hi)
            ).fetchone()
            assert (r[0]["new"], r[0]["resolved"], r[0].get("errors")) == (0, 0, None)
        assert _open_findings(conn, meter_ids) == found
    # the same fleet as per-meter row batches (the poller's path): the same open findings
    with conn.transaction(force_rollback=True):
        fleet.register(conn)
        ids2 = _ids(conn, fleet)
        for rows in fleet.row_batches(meters_per_batch=1):
            ingest_rows(conn, rows, source="import")
        _check_exact(conn, fleet, ids2)
        by_serial = {v: k for k, v in ids.items()}
        by_serial2 = {v: k for k, v in ids2.items()}
        second = _open_findings(conn, sorted(ids2.values()))
        assert [(by_serial2[f[0]], *f[1:]) for f in second] == [
            (by_serial[f[0]], *f[1:]) for f in found
        ]
