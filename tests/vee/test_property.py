"""Property: over random sequences of ingest (with gaps), estimation, late real data and manual
edits on one meter with a backup and four valid business days of history:
- no measured value is ever replaced by an estimate (the stored rows equal a model in which
  estimation only fills empty slots);
- every estimate is replaced once real data arrive (late measured data wins over estimates);
- every change of a stored row is one history row holding the previous version;
- rollups equal their recomputation from the raw intervals.
Manual edits are deliberate: the model sends no real data to a manually edited slot afterwards
(what should win there is a policy question for the ingest precedence rules)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.db.test_rollup_property import LEVELS, _mismatches
from tests.vee.conftest import day_rows, local, put, unit

SLOTS = 36  # three hours of 5-minute slots on Monday 2026-10-05
D0 = local("2026-10-05 00:00")
STEP = timedelta(minutes=5)

slots = st.sets(st.integers(0, SLOTS - 1), min_size=1, max_size=12)
kwh = st.integers(0, 5000).map(lambda wh: wh / 1000)
op = st.one_of(
    st.tuples(st.just("ingest"), slots, kwh),
    st.tuples(st.just("estimate"), st.just(frozenset()), st.just(0.0)),
    st.tuples(st.just("edit"), st.tuples(st.integers(0, SLOTS - 1), st.integers(1, 4)), kwh),
)

State = tuple[int, str, str]  # (active Wh, quality, source)


def _stored(conn: Any, meter: int) -> dict[int, State]:
    rows = conn.execute(
        "select ts, active_fwd_wh, quality::text, source::text from smf.interval_reading_all"
        " where meter_id = %s and ts >= %s and ts < %s",
        (meter, D0, D0 + SLOTS * STEP),
    ).fetchall()
    return {int((ts - D0) / STEP): (wh, q, s) for ts, wh, q, s in rows}


def _history(conn: Any, meter: int) -> dict[int, list[State]]:
    rows = conn.execute(
        "select ts, active_fwd_wh, quality::text, source::text from smf.interval_reading_history"
        " where meter_id = %s and ts >= %s and ts < %s order by ts, superseded_at, ctid",
        (meter, D0, D0 + SLOTS * STEP),
    ).fetchall()
    out: dict[int, list[State]] = {}
    for ts, wh, q, s in rows:
        out.setdefault(int((ts - D0) / STEP), []).append((wh, q, s))
    return out


@pytest.mark.slow
def test_vee_sequences_keep_measured_history_and_rollups(conn):
    u = unit(conn, 71, backup=True)
    for d in ("2026-09-29", "2026-09-30", "2026-10-01", "2026-10-02"):
        put(conn, u.main_serial, day_rows(d, 1.0))
    backup_rows = [r for i, r in enumerate(day_rows("2026-10-05", 1.5)) if i < SLOTS and i % 3]
    put(conn, u.backup_serial, backup_rows)  # the backup lacks every third slot

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(op, min_size=1, max_size=6))
    def check(ops: list[tuple[str, Any, float]]) -> None:
        with conn.transaction(force_rollback=True):
            model: dict[int, State] = {}
            versions: dict[int, list[State]] = {}  # superseded states, oldest first
            manual: set[int] = set()

            def change(slot: int, new: State) -> None:
                old = model.get(slot)
                if old is not None and old != new:
                    versions.setdefault(slot, []).append(old)
                model[slot] = new

            for kind, arg, value in ops:
                if kind == "ingest":
                    todo = sorted(s for s in arg if s not in manual)
                    if todo:
                        put(conn, u.main_serial, [
                            (D0 + s * STEP, {"active_fwd_kwh": value}) for s in todo])  # fmt: skip
                        for s in todo:
                            change(s, (round(value * 1000), "measured", "meter"))
                elif kind == "estimate":
                    conn.execute(
                        "select smf.vee_estimate(%s, %s, %s, 'prop')",
                        (u.main, D0, D0 + SLOTS * STEP),
                    )
                    for s, state in _stored(conn, u.main).items():
                        if s not in model:  # only empty slots may be filled, by an estimate
                            assert state[1:] in {("adjusted", "backup_meter"),
                                                 ("estimated", "estimate")}, (s, state)  # fmt: skip
                            model[s] = state
                else:
                    first, n = arg
                    last_stored = max(model, default=-1)
                    lo, hi = first, min(first + n, SLOTS)
                    try:
                        with conn.transaction():
                            conn.execute(
                                "select smf.vee_edit(%s, %s, %s, 'active_fwd', 'set',"
                                " %s::numeric, null, 'property test', 'prop')",
                                (u.main_serial, D0 + lo * STEP, D0 + hi * STEP, value),
                            )
                    except psycopg.Error as exc:  # the one refusal expected: past the stored data
                        assert exc.sqlstate == "SMF02" and "beyond the data" in str(exc), exc
                        assert hi > last_stored + 1 or lo < min(model, default=SLOTS), exc
                        continue
                    for s in range(lo, hi):
                        change(s, (round(value * 1000), "adjusted", "manual"))
                        manual.add(s)
                assert _stored(conn, u.main) == model
            history = _history(conn, u.main)
            assert history == versions
            for table in LEVELS:
                assert _mismatches(conn, table) == [], table

    check()
