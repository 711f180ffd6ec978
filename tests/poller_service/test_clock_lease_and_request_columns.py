"""The small poller functions, value by value: the clock policy of a meter (smf.clock_policy_of,
clock_corrected_in_interval), the session lease (meter_lease_acquire; 200_poller.sql) and the
on-demand read queue (read_request_claim, read_request_complete, read_request_status;
520_read_requests.sql)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg.types.json import Jsonb


def _meter(conn: psycopg.Connection[Any], serial: str) -> int:
    row = conn.execute(
        "insert into smf.meter (serial) values (%s) returning id", (serial,)
    ).fetchone()
    assert row is not None
    return int(row[0])


def _policy(conn: psycopg.Connection[Any], meter: int) -> tuple[Any, ...]:
    row = conn.execute(
        "select auto_correct, correct_min_s, correct_max_s, boundary_guard_s"
        " from smf.clock_policy_of(%s)",
        (meter,),
    ).fetchone()
    assert row is not None
    return tuple(row)


def test_clock_policy_takes_the_meters_row_then_the_settings_then_built_in_defaults(
    conn: psycopg.Connection[Any],
) -> None:
    """Each field of the policy (s) separately: the meter's own value where set, else the
    setting, else on / 60 / 3600 / 10; an unknown meter gets the defaults."""
    a = _meter(conn, "CP-A")
    b = _meter(conn, "CP-B")
    # as seeded by the migration: on, 60 s, 3600 s, 10 s
    assert _policy(conn, a) == (True, 60, 3600, 10)
    conn.execute("update smf.setting set value = 'off' where key = 'clock_auto_correct'")
    conn.execute("update smf.setting set value = '90' where key = 'clock_correct_min_s'")
    conn.execute("update smf.setting set value = '1800' where key = 'clock_correct_max_s'")
    conn.execute("update smf.setting set value = '20' where key = 'clock_boundary_guard_s'")
    assert _policy(conn, a) == (False, 90, 1800, 20)
    # b's own row: auto on, max 600 s, guard 0 s (0 is a value, not "unset"); min from the setting
    conn.execute(
        "insert into smf.meter_clock_policy (meter_id, auto_correct, correct_max_s,"
        " boundary_guard_s) values (%s, true, 600, 0)",
        (b,),
    )
    assert _policy(conn, b) == (True, 90, 600, 0)
    # no settings at all: the built-in defaults
    conn.execute(
        "delete from smf.setting where key in ('clock_auto_correct', 'clock_correct_min_s',"
        " 'clock_correct_max_s', 'clock_boundary_guard_s')"
    )
    assert _policy(conn, a) == (True, 60, 3600, 10)
    assert _policy(conn, b) == (True, 60, 600, 0)
    assert _policy(conn, -1) == (True, 60, 3600, 10)  # no such meter: one row of defaults


def test_clock_corrected_in_interval_counts_only_automatic_corrections_that_moved_the_clock(
    conn: psycopg.Connection[Any],
) -> None:
    """At most one automatic correction per interval: only an 'auto' correction that corrected
    (fully or partly) in that very interval (UTC start on the meter's grid) counts."""
    m = _meter(conn, "CI-A")
    other = _meter(conn, "CI-B")
    t = datetime(2024, 3, 8, 15, 0, tzinfo=UTC)
    nxt = t + timedelta(minutes=5)

    def correct(meter: int, start: datetime, kind: str, outcome: str) -> None:
        conn.execute(
            "insert into smf.clock_correction (meter_id, at, kind, outcome, reference_time,"
            " meter_interval_start, reason) values (%s, %s, %s, %s, %s, %s, 'test')",
            (meter, start + timedelta(minutes=2), kind, outcome, start, start),
        )

    def corrected(meter: int, start: datetime) -> bool:
        row = conn.execute(
            "select smf.clock_corrected_in_interval(%s, %s)", (meter, start)
        ).fetchone()
        assert row is not None
        return bool(row[0])

    correct(m, t, "auto", "deferred")
    correct(m, t, "auto", "refused")
    correct(m, t, "auto", "failed")
    correct(m, t, "operator", "corrected")  # an operator's correction does not use it up
    assert corrected(m, t) is False
    correct(m, t, "auto", "partial")
    assert corrected(m, t) is True
    correct(m, nxt, "auto", "corrected")
    assert corrected(m, nxt) is True
    assert corrected(m, nxt + timedelta(minutes=5)) is False  # the interval after
    assert corrected(other, t) is False  # another meter's interval


def _acquire(conn: psycopg.Connection[Any], meter: int, holder: str) -> Any:
    row = conn.execute("select smf.meter_lease_acquire(%s, %s, 60)", (meter, holder)).fetchone()
    assert row is not None
    return row[0]


def test_lease_is_taken_renewed_and_taken_over_only_when_expired(
    conn: psycopg.Connection[Any],
) -> None:
    """True when the holder now holds the lease: a free meter, its own lease renewed, or
    another's expired lease; not true while another holder's lease lasts."""
    m = _meter(conn, "LS-A")
    assert _acquire(conn, m, "host:1") is True
    assert _acquire(conn, m, "host:1") is True  # renewed
    assert _acquire(conn, m, "host:2") is not True  # host:1 holds it for 60 s
    assert conn.execute(
        "select holder from smf.meter_session_lease where meter_id = %s", (m,)
    ).fetchall() == [("host:1",)]
    conn.execute(
        "update smf.meter_session_lease set expires_at = clock_timestamp() - interval '1 s'"
        " where meter_id = %s",
        (m,),
    )
    assert _acquire(conn, m, "host:2") is True  # host:1 died: its lease lapsed
    assert conn.execute(
        "select holder from smf.meter_session_lease where meter_id = %s", (m,)
    ).fetchall() == [("host:2",)]


def test_lease_held_by_another_answers_false(conn: psycopg.Connection[Any]) -> None:
    """The documented answer for a meter another poller holds is false."""
    m = _meter(conn, "LS-B")
    assert _acquire(conn, m, "host:1") is True
    assert _acquire(conn, m, "host:2") is False


def _request(
    conn: psycopg.Connection[Any],
    meter: int,
    kind: str,
    requested_at: datetime,
    status: str = "queued",
    claimed_by: str | None = None,
    claimed_at: Any = None,
) -> int:
    row = conn.execute(
        "insert into smf.read_request (meter_id, kind, requested_at, status, claimed_by,"
        " claimed_at) values (%s, %s, %s, %s, %s, %s) returning id",
        (meter, kind, requested_at, status, claimed_by, claimed_at),
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_read_requests_are_claimed_oldest_first_completed_and_shown_with_their_times(
    conn: psycopg.Connection[Any],
) -> None:
    """claim: queued requests and stale running ones, oldest first (ties by id), at most
    p_limit; complete: done with its result or failed with its error, only by the holder of a
    running request; status: the request as the API shows it."""
    a = _meter(conn, "RR-A")
    b = _meter(conn, "RR-B")
    t = datetime(2024, 1, 1, 10, 0, tzinfo=UTC)
    h = timedelta(hours=1)
    r1 = _request(conn, a, "intervals", t)
    r1b = _request(conn, b, "registers", t)  # same time as r1, later id
    r2 = _request(conn, b, "registers", t - h)  # the oldest
    stale = _request(conn, a, "full", t + h, "running", "dead:1", t + h)  # 2024: long stale
    live = _request(conn, a, "instantaneous", t, "running", "alive:1", datetime.now(UTC))
    _request(conn, a, "intervals", t - 2 * h, "done")  # finished: never again
    late = _request(conn, b, "intervals", t + 2 * h)  # beyond the limit
    claimed = conn.execute(
        "select id, meter_id, serial, kind, requested_at from smf.read_request_claim('poller:7', 4)"
    ).fetchall()
    assert claimed == [
        (r2, b, "RR-B", "registers", t - h),
        (r1, a, "RR-A", "intervals", t),
        (r1b, b, "RR-B", "registers", t),
        (stale, a, "RR-A", "full", t + h),
    ]

    def complete(rid: int, holder: str, ok: bool, result: Any, error: str | None) -> Any:
        row = conn.execute(
            "select smf.read_request_complete(%s, %s, %s, %s, %s)",
            (rid, holder, ok, None if result is None else Jsonb(result), error),
        ).fetchone()
        assert row is not None
        return row[0]

    assert complete(r1, "poller:7", True, {"intervals": 288}, None) is True
    assert complete(r2, "poller:7", False, None, "link_error: no answer") is True
    assert complete(r1, "poller:7", True, {"intervals": 1}, None) is not True  # done already
    assert complete(live, "poller:7", True, {}, None) is not True  # alive:1 holds it
    assert complete(r1b, "poller:8", True, {}, None) is not True  # poller:7 holds it

    def status(rid: int) -> tuple[Any, ...]:
        row = conn.execute(
            "select id, serial, kind, status, requested_at, claimed_at, finished_at, result,"
            " error from smf.read_request_status(%s)",
            (rid,),
        ).fetchone()
        assert row is not None
        return tuple(row)

    done = status(r1)
    claimed_at, finished_at = done[5], done[6]
    assert t < claimed_at <= finished_at  # claimed, then finished, by the clock of the calls
    assert done == (r1, "RR-A", "intervals", "done", t, claimed_at, finished_at,
                    {"intervals": 288}, None)  # fmt: skip
    failed = status(r2)
    assert failed[5] is not None and failed[6] is not None
    assert failed == (r2, "RR-B", "registers", "failed", t - h, failed[5], failed[6], None,
                      "link_error: no answer")  # fmt: skip
    running = status(r1b)
    assert running == (r1b, "RR-B", "registers", "running", t, running[5], None, None, None)
    assert running[5] is not None
    assert status(late) == (late, "RR-B", "intervals", "queued", t + 2 * h, None, None, None,
                            None)  # fmt: skip
    assert conn.execute("select * from smf.read_request_status(-1)").fetchall() == []


def test_completing_a_request_one_does_not_hold_answers_false(
    conn: psycopg.Connection[Any],
) -> None:
    """The documented answer for a request another poller holds is false."""
    a = _meter(conn, "RR-C")
    rid = _request(conn, a, "intervals", datetime(2024, 1, 1, tzinfo=UTC))
    conn.execute("select smf.read_request_claim('poller:1')")
    row = conn.execute("select smf.read_request_complete(%s, 'poller:2', true)", (rid,)).fetchone()
    assert row is not None and row[0] is False
