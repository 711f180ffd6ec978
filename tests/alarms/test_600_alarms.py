"""Alarm rules a-m evaluated when data lands, the lifecycle and the thresholds (600/610_*.sql).

Expected figures are worked out by hand in each test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from db import driver, errors
from db.ingest import IntervalRow, ingest_rows
from tests.alarms.helpers import execute, insert_instant, rows

T0 = datetime(2026, 10, 5, 12, tzinfo=UTC)  # Monday 09:00 local: fora ponta


def alarms(url: str, rule: str | None = None) -> list[dict[str, Any]]:
    return rows(
        url,
        "select * from smf.alarm_sheet where %s::text is null or rule_code = %s::text order by id",
        rule,
        rule,
    )


@pytest.mark.slow
def test_voltage_unbalance_from_0x14_opens_updates_and_clears(reg: dict[str, Any]) -> None:
    url, m = reg["url"], reg["a12"]
    # VA 220, VB 200, VC 210: mean 210, largest deviation 10 -> 10 / 210 = 4.762 % > 3 % default
    insert_instant(url, m, T0, VA=220, VB=200, VC=210, IA=10, IB=10, IC=10)
    [a] = alarms(url, "c")
    assert (a["state"], a["value"], a["threshold"], a["unit"]) == (
        "open",
        Decimal("4.762"),
        Decimal("3.0"),
        "%",
    )
    assert a["uc_code"] is not None and a["customer_name"] == "Fabrica Um"
    assert a["opened_at"] == T0 and a["source"] == "instantaneous"
    # a repeat while open updates the same alarm: 221/200/210, mean 631/3 = 210.333, largest
    # deviation 221 - 210.333 = 10.667 -> 10.667 / 210.333 = 5.071 %
    insert_instant(url, m, T0 + timedelta(minutes=5), VA=221, VB=200, VC=210)
    [a] = alarms(url, "c")
    assert (a["occurrences"], a["value"], a["last_at"]) == (
        2,
        Decimal("5.071"),
        T0 + timedelta(minutes=5),
    )
    # balanced again: cleared at that reading, never acknowledged by itself
    insert_instant(url, m, T0 + timedelta(minutes=10), VA=220, VB=220, VC=220)
    [a] = alarms(url, "c")
    assert a["state"] == "cleared" and a["cleared_at"] == T0 + timedelta(minutes=10)
    assert a["acknowledged_at"] is None
    assert alarms(url, "h") == []  # currents 10/10/10: no current unbalance


@pytest.mark.slow
def test_negative_and_reverse_power_per_phase(reg: dict[str, Any]) -> None:
    url, m = reg["url"], reg["a12"]
    with driver.connect(reg["settings"]) as c:  # e: below -1.0 kW on any phase
        driver.run_scalar(
            c,
            "alarm_set_threshold",
            rule="e",
            value=-1.0,
            params="{}",
            enabled=True,
            meter_serial=None,
            group_name=None,
            valid_from=None,
            by="t",
        )
    execute(
        url,
        "update smf.alarm_threshold set valid_during = tstzrange(null, null) where rule_code = 'e'",
    )
    # PB = -1500 W = -1.5 kW: negative (d, < 0) and below -1.0 kW (e), phase B
    insert_instant(url, m, T0, VA=220, VB=220, VC=220, PA=1000, PB=-1500, PC=500)
    d, e = alarms(url, "d")[0], alarms(url, "e")[0]
    assert (d["value"], d["threshold"], d["phase"]) == (Decimal("-1.500"), 0, "B")
    assert (e["value"], e["threshold"], e["phase"]) == (Decimal("-1.500"), Decimal("-1.0"), "B")


@pytest.mark.slow
def test_min_voltage_only_when_programmed_and_phase_named(reg: dict[str, Any]) -> None:
    url, m = reg["url"], reg["a12"]
    insert_instant(url, m, T0, VA=120, VB=127, VC=127)
    assert alarms(url, "a") == []  # no default minimum voltage
    execute(
        url, "insert into smf.alarm_threshold (rule_code, meter_id, value) values ('a', %s, 121)", m
    )
    insert_instant(url, m, T0 + timedelta(minutes=1), VA=120, VB=127, VC=127)
    [a] = alarms(url, "a")
    assert (a["value"], a["threshold"], a["phase"]) == (120, 121, "A")


@pytest.mark.slow
def test_lifecycle_ack_only_by_command_repeat_clear_close(reg: dict[str, Any]) -> None:
    url, m, s = reg["url"], reg["a12"], reg["settings"]
    insert_instant(url, m, T0, VA=220, VB=200, VC=210)
    [a] = alarms(url, "c")
    with driver.connect(s) as c, pytest.raises(errors.InvalidParameter, match="comment"):
        driver.run(c, "alarm_ack", id=a["id"], by="ana", comment=" ")
    with driver.connect(s) as c, pytest.raises(errors.NotFound, match="no alarm 999"):
        driver.run(c, "alarm_ack", id=999, by="ana", comment="x")
    with driver.connect(s) as c:
        assert (
            driver.run_scalar(c, "alarm_ack", id=a["id"], by="ana", comment="visto")
            == "acknowledged"
        )
    with (
        driver.connect(s) as c,
        pytest.raises(errors.InvalidParameter, match="already acknowledged"),
    ):
        driver.run(c, "alarm_ack", id=a["id"], by="ana", comment="again")
    insert_instant(url, m, T0 + timedelta(minutes=5), VA=220, VB=200, VC=210)  # repeat
    [a2] = alarms(url, "c")
    assert (a2["id"], a2["state"], a2["occurrences"]) == (a["id"], "acknowledged", 2)
    assert (a2["acknowledged_by"], a2["ack_comment"]) == ("ana", "visto")
    insert_instant(url, m, T0 + timedelta(minutes=10), VA=220, VB=220, VC=220)  # condition ends
    assert alarms(url, "c")[0]["state"] == "cleared"
    insert_instant(url, m, T0 + timedelta(minutes=15), VA=230, VB=200, VC=210)  # a new episode
    first, second = alarms(url, "c")
    assert second["id"] != first["id"] and second["state"] == "open"
    with driver.connect(s) as c:
        assert (
            driver.run_scalar(c, "alarm_close", id=second["id"], by="bia", comment="ok") == "closed"
        )
    events = rows(url, "select alarm_id, event from smf.alarm_notification order by id")
    assert [(e["alarm_id"] == first["id"], e["event"]) for e in events] == [
        (True, "opened"),
        (True, "acknowledged"),
        (True, "cleared"),
        (False, "opened"),
        (False, "closed"),
    ]


@pytest.mark.slow
def test_old_data_does_not_clear_a_newer_violation(reg: dict[str, Any]) -> None:
    url, m = reg["url"], reg["a12"]
    insert_instant(url, m, T0, VA=220, VB=200, VC=210)
    insert_instant(url, m, T0 - timedelta(hours=1), VA=220, VB=220, VC=220)  # late, older
    assert alarms(url, "c")[0]["state"] == "open"


@pytest.mark.slow
def test_thresholds_meter_over_group_over_default_with_validity(reg: dict[str, Any]) -> None:
    url, m, s = reg["url"], reg["a12"], reg["settings"]
    execute(url, "insert into smf.alarm_group (name) values ('G1')")
    execute(
        url, "insert into smf.alarm_group_member select %s, id from smf.alarm_group", reg["uc1"]
    )
    t1 = T0 - timedelta(days=10)
    with driver.connect(s) as c:
        for rule, val, meter, group, frm in (
            ("b", 240, None, None, t1),
            ("b", 235, None, "G1", t1),
            ("b", 230, "A12", None, T0),
            ("b", 245, None, None, T0 + timedelta(days=1)),  # ends the first default row
        ):
            driver.run(
                c,
                "alarm_set_threshold",
                rule=rule,
                value=val,
                params="{}",
                enabled=True,
                meter_serial=meter,
                group_name=group,
                valid_from=frm,
                by="t",
            )

    def thr(at: datetime, meter: int = m) -> Any:
        r = rows(
            url,
            "select value, level from smf.alarm_thresholds_of(%s, %s) where rule_code = 'b'",
            meter,
            at,
        )
        return (r[0]["value"], r[0]["level"]) if r else None

    assert thr(T0 - timedelta(days=1)) == (235, "group")  # meter row not valid yet
    assert thr(T0) == (230, "meter")
    assert thr(T0 - timedelta(days=1), reg["l3"]) == (240, "default")
    assert thr(T0 + timedelta(days=2), reg["l3"]) == (245, "default")
    assert thr(t1 - timedelta(seconds=1), reg["l3"]) is None
    with driver.connect(s) as c:  # switched off for the meter: no row even though defaults exist
        driver.run(
            c,
            "alarm_set_threshold",
            rule="b",
            value=0,
            params="{}",
            enabled=False,
            meter_serial="A12",
            group_name=None,
            valid_from=T0 + timedelta(hours=1),
            by="t",
        )
    assert thr(T0 + timedelta(hours=2)) is None
    with driver.connect(s) as c, pytest.raises(errors.NotFound, match="no meter with serial X"):
        driver.run(
            c,
            "alarm_set_threshold",
            rule="b",
            value=1,
            params="{}",
            enabled=True,
            meter_serial="X",
            group_name=None,
            valid_from=None,
            by="t",
        )


def _ingest(s: Any, serial: str, start: datetime, kwh: list[float], **extra: list[float]) -> None:
    with driver.connect(s) as c:
        ingest_rows(
            c,
            [
                IntervalRow(
                    ts=start + timedelta(minutes=15 * i),
                    meter_serial=serial,
                    values={"active_fwd_kwh": v} | {k: vals[i] for k, vals in extra.items()},
                )
                for i, v in enumerate(kwh)
            ],
            source="import",
        )


@pytest.mark.slow
def test_demand_overrun_and_voltage_unbalance_at_import(reg: dict[str, Any]) -> None:
    url, s = reg["url"], reg["settings"]
    # 15-minute intervals: 20 kWh -> 80 kW, 30 kWh -> 120 kW. Contracted 100 kW x 105 % = 105 kW.
    _ingest(
        s,
        "A12",
        T0,
        [20, 20, 20, 30],
        voltage_a_v=[220, 230, 220, 220],
        voltage_b_v=[220, 210, 220, 220],
        voltage_c_v=[220, 220, 220, 220],
    )
    [k] = alarms(url, "k")
    assert (k["state"], k["value"], k["threshold"]) == (
        "open",
        Decimal("120.000"),
        Decimal("105.000"),
    )
    assert k["opened_at"] == T0 + timedelta(minutes=45) and k["source"] == "interval"
    # interval 2: 230/210/220, mean 220, deviation 10 -> 4.545 % > 3 %; the newest is balanced
    [c] = alarms(url, "c")
    assert (c["value"], c["opened_at"], c["state"]) == (
        Decimal("4.545"),
        T0 + timedelta(minutes=15),
        "cleared",
    )
    assert c["cleared_at"] == T0 + timedelta(minutes=45)
    # the next import: 25 kWh -> 100 kW <= 105 kW, the overrun clears at that interval
    _ingest(s, "A12", T0 + timedelta(hours=1), [25])
    [k] = alarms(url, "k")
    assert (k["state"], k["cleared_at"]) == ("cleared", T0 + timedelta(hours=1))


@pytest.mark.slow
def test_poll_sessions_clock_connectivity_and_serial(reg: dict[str, Any]) -> None:
    url, m = reg["url"], reg["a12"]
    ins = (
        "insert into smf.poll_attempt (meter_id, started_at, duration_ms, trigger, outcome, "
        "error_class, clock_drift_s) values (%s, %s, 100, 'schedule', %s, %s, %s)"
    )
    execute(url, ins, m, T0, "ok", None, 400)  # 400 s > 300 s default
    [j] = alarms(url, "j")
    assert (j["value"], j["threshold"]) == (Decimal("400.0"), 300)
    assert alarms(url, "m") == []  # 1 of 1 sessions ok = 100 %
    execute(url, ins, m, T0 + timedelta(hours=1), "link_error", "timeout", None)
    [mm] = alarms(url, "m")
    assert (mm["value"], mm["threshold"]) == (Decimal("50.0"), 80)  # 1 of 2 ok
    execute(
        url,
        "insert into smf.meter_event (meter_id, at, kind, message, detail) values "
        "(%s, %s, 'serial_changed', 'replaced', '{\"found\": \"X999\"}')",
        m,
        T0,
    )
    [i] = alarms(url, "i")
    assert i["value_text"] == "X999 (registered A12)" and i["state"] == "open"
    execute(url, ins, m, T0 + timedelta(hours=2), "ok", None, 10)
    assert alarms(url, "i")[0]["state"] == "cleared"  # the registered serial answered again
    assert alarms(url, "j")[0]["state"] == "cleared"
    [mm] = alarms(url, "m")  # 2 of 3 = 66.7 % < 80 %: still open, updated
    assert (mm["state"], mm["value"], mm["occurrences"]) == ("open", Decimal("66.7"), 2)


@pytest.mark.slow
def test_battery_code_from_status_report(reg: dict[str, Any]) -> None:
    url, s, m = reg["url"], reg["settings"], reg["a12"]
    with driver.connect(s) as c:
        driver.run(c, "alarm_record_status", meter_id=m, at=T0, battery_raw=1, source="poll")
    [l_] = alarms(url, "l")
    assert (l_["value"], l_["threshold"], l_["state"]) == (1, 1, "open")
    with driver.connect(s) as c:
        driver.run(
            c,
            "alarm_record_status",
            meter_id=m,
            at=T0 + timedelta(days=1),
            battery_raw=0,
            source="poll",
        )
    assert alarms(url, "l")[0]["state"] == "cleared"


@pytest.mark.slow
def test_sheet_says_which_rules_a_3_channel_meter_cannot_report(reg: dict[str, Any]) -> None:
    url = reg["url"]
    cov = {
        r["rule_code"]: r["status"]
        for r in rows(url, "select rule_code, status from smf.alarm_coverage where serial = 'L3'")
    }
    assert cov["c"] == "skipped: 3-channel meter without 0x14 reports no voltage"
    assert cov["h"] == "skipped: 3-channel meter without 0x14 reports no current"
    assert cov["d"] == "skipped: no 0x14 values (per-phase power)"
    assert cov["j"] == "skipped: import-only meter (no sessions)"
    assert cov["k"] == "evaluated" and cov["a"] == "not programmed"
    a12 = {
        r["rule_code"]: r["status"]
        for r in rows(url, "select rule_code, status from smf.alarm_coverage where serial = 'A12'")
    }
    assert a12["c"] == "evaluated" and a12["j"] == "evaluated"


@pytest.mark.slow
def test_a_failing_evaluation_never_loses_the_reading(reg: dict[str, Any]) -> None:
    url, m = reg["url"], reg["a12"]
    with pytest.warns(UserWarning) if False else _nullcontext():
        execute(
            url,
            "insert into smf.instantaneous_reading (meter_id, at, values) "
            'values (%s, %s, \'{"VA": "not a number"}\')',
            m,
            T0,
        )
    assert rows(url, "select count(*) as n from smf.instantaneous_reading")[0]["n"] == 1
    assert alarms(url) == []


class _nullcontext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.mark.slow
def test_monitoring_mode_due_every_15_minutes_until_its_end(reg: dict[str, Any]) -> None:
    url, s, m = reg["url"], reg["settings"], reg["a12"]
    now = datetime.now(UTC)
    with driver.connect(s) as c:
        driver.run(
            c,
            "alarm_monitor_start",
            serial="A12",
            until=now + timedelta(hours=2),
            by="t",
            reason="suspeita",
        )
    now = datetime.now(UTC)

    def due(at: datetime) -> list[str]:
        with driver.connect(s) as c:
            return [r["serial"] for r in driver.run(c, "meters_due_monitoring", now=at)]

    assert due(now) == ["A12"]  # never read
    execute(
        url,
        "insert into smf.poll_attempt (meter_id, started_at, duration_ms, trigger, outcome)"
        " values (%s, %s, 10, 'schedule', 'ok')",
        m,
        now - timedelta(minutes=5),
    )
    assert due(now) == []  # read 5 minutes ago
    assert due(now + timedelta(minutes=10)) == ["A12"]  # 15 minutes since
    assert due(now + timedelta(hours=3)) == []  # monitoring ended
    with driver.connect(s) as c, pytest.raises(errors.InvalidParameter, match="not in the future"):
        driver.run(
            c,
            "alarm_monitor_start",
            serial="A12",
            until=now - timedelta(hours=1),
            by="t",
            reason=None,
        )
