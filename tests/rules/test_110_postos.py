"""Postos tarifários (db/functions/110_postos.sql). Distributor 991: ponta 18:00-21:00, capacitive
window 00:00-06:00, reservado 21:30-06:00 (510 min), intermediário 60 min around ponta."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from db import driver, errors, rules
from tests.rules.conftest import distributor, local, make_uc, put_hours, put_intervals

OCT = date(2026, 10, 1)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("when", "posto", "window", "reservado"),
    [
        ("2026-10-06 18:00", "ponta", "inductive", False),  # Tuesday
        ("2026-10-06 20:45", "ponta", "inductive", False),
        ("2026-10-06 21:00", "fora_ponta", "inductive", False),
        ("2026-10-06 17:45", "fora_ponta", "inductive", False),
        ("2026-10-06 22:00", "fora_ponta", "inductive", True),
        ("2026-10-10 19:00", "fora_ponta", "inductive", False),  # Saturday
        ("2026-10-12 19:00", "fora_ponta", "inductive", False),  # Aparecida
        ("2026-02-16 19:00", "ponta", "inductive", False),  # Carnival Monday keeps ponta
        ("2026-02-17 19:00", "fora_ponta", "inductive", False),  # Carnival Tuesday
        ("2026-04-03 19:00", "fora_ponta", "inductive", False),  # Good Friday
        ("2026-06-04 19:00", "fora_ponta", "inductive", False),  # Corpus Christi
        ("2026-10-07 00:00", "fora_ponta", "capacitive", True),
        ("2026-10-07 05:45", "fora_ponta", "capacitive", True),
        ("2026-10-07 06:00", "fora_ponta", "inductive", False),
        ("2026-10-06 23:45", "fora_ponta", "inductive", True),
    ],
)
def test_posto_of_an_instant(conn, when, posto, window, reservado):
    uc = make_uc(conn, 21, reservado=("21:30", 510))
    got = rules.posto_at(conn, uc.code, local(when))
    assert (got["posto"], got["demand_posto"], got["reactive_window"], got["reservado"]) == (
        posto,
        "ponta" if posto == "ponta" else "fora_ponta",
        window,
        reservado,
    )


@pytest.mark.parametrize(
    ("when", "posto"),
    [
        ("2026-10-06 16:45", "fora_ponta"),
        ("2026-10-06 17:00", "intermediario"),
        ("2026-10-06 18:00", "ponta"),
        ("2026-10-06 21:45", "intermediario"),
        ("2026-10-06 22:00", "fora_ponta"),
        ("2026-10-10 17:30", "fora_ponta"),
    ],
)
def test_intermediario_for_the_white_tariff(conn, when, posto):
    uc = make_uc(conn, 22, aneel="994", modality="branca", intermediario=60)
    got = rules.posto_at(conn, uc.code, local(when))
    assert (got["posto"], got["demand_posto"]) == (posto, "unica")


@pytest.mark.parametrize(
    ("capacitive", "message"),
    [
        (
            "01:00",
            "capacitive window 01:00-07:00 is not 360 consecutive minutes inside 23:30-06:30",
        ),
        (
            "23:00",
            "capacitive window 23:00-05:00 is not 360 consecutive minutes inside 23:30-06:30",
        ),
        (
            "12:00",
            "capacitive window 12:00-18:00 is not 360 consecutive minutes inside 23:30-06:30",
        ),
    ],
)
def test_capacitive_window_outside_the_span_is_refused(conn, capacitive, message):
    with pytest.raises(errors.InvalidParameter, match=message), driver.translate_errors():
        distributor(conn, "995", capacitive=capacitive)


@pytest.mark.parametrize("capacitive", ["23:30", "00:00", "00:30"])
def test_capacitive_window_inside_the_span_is_accepted(conn, capacitive):
    distributor(conn, "996", capacitive=capacitive)


def test_off_grid_ponta_is_refused(conn):
    with (
        pytest.raises(
            errors.InvalidParameter, match="posto schedule time 18:10 is not on the 15-minute grid"
        ),
        driver.translate_errors(),
    ):
        distributor(conn, "997", ponta="18:10")


def test_overlapping_schedules_are_refused(conn):
    dist = distributor(conn, "998")
    with (
        pytest.raises(errors.Conflict, match="posto_schedule_no_overlap"),
        driver.translate_errors(),
    ):
        conn.execute(
            "insert into smf.posto_schedule (distributor_id, valid_during, ponta_start)"
            " values (%s, '[2026-01-01,2027-01-01)', '17:00')",
            (dist,),
        )


def test_a_new_schedule_period_changes_ponta(conn):
    # Close the first period on 2026-10-15; from then on ponta starts at 17:00.
    uc = make_uc(conn, 23, aneel="999")
    conn.execute(
        "update smf.posto_schedule set valid_during = '[2020-01-01,2026-10-15)'"
        " where distributor_id = %s",
        (uc.distributor_id,),
    )
    conn.execute(
        "insert into smf.posto_schedule (distributor_id, valid_during, ponta_start)"
        " values (%s, '[2026-10-15,)', '17:00')",
        (uc.distributor_id,),
    )
    assert rules.posto_at(conn, uc.code, local("2026-10-14 17:30"))["posto"] == "fora_ponta"
    assert rules.posto_at(conn, uc.code, local("2026-10-15 17:30"))["posto"] == "ponta"


def test_labelling_views(conn):
    from tests.rules.conftest import put_hours

    uc = make_uc(conn, 24, aneel="990", capacitive="23:30")
    put_hours(conn, uc, [("2026-10-06 23:00", 10, 0, 0), ("2026-10-06 19:00", 10, 0, 0)])
    hours = conn.execute(
        "select local_hour, posto, reactive_window from smf.hour_label"
        " where uc_code = %s order by hour",
        (uc.code,),
    ).fetchall()
    assert [(h.hour, p, w) for h, p, w in hours] == [
        (19, "ponta", "inductive"),
        (23, "fora_ponta", "mixed"),
    ]
    n = conn.execute(
        "select count(*) filter (where reactive_window = 'capacitive') from"
        " smf.interval_label where uc_code = %s",
        (uc.code,),
    ).fetchone()[0]
    assert n == 2  # 23:30 and 23:45


# ---------- schedule messages in full (times shown as HH:MM)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        # 22:00 + 180 min = 1500 > 1440
        (
            {"ponta": "22:00"},
            "ponta must be 180 consecutive minutes within one day, got 180 from 22:00",
        ),
        # 12:00 is 720 min -> -720 relative, before the span start -30 (23:30)
        (
            {"capacitive": "12:00"},
            "capacitive window 12:00-18:00 is not 360 consecutive minutes inside 23:30-06:30",
        ),
        ({"ponta": "18:07"}, "posto schedule time 18:07 is not on the 15-minute grid"),
        (
            {"intermediario": 0},
            "intermediario of 0 minutes around ponta 18:00 does not fit the day"
            " on the 15-minute grid",
        ),
    ],
)
def test_schedule_messages(conn, kw, message):
    # Times are shown as HH:MM (never "22:00:00" nor "22:00:"), and an intermediario of 0
    # minutes is refused as well as a negative one.
    with pytest.raises(errors.InvalidParameter) as e, driver.translate_errors():
        distributor(conn, "966", **kw)
    assert str(e.value).splitlines()[0] == message


# ---------- schedule versions and a distributor without a schedule


def test_schedule_versions_apply_by_day(conn):
    # uc_quarter_labels takes the schedule version valid on each day (`valid_during @> day`): ponta
    # 18:00 until 2026-10-14, 17:00 from 2026-10-15. 17:30 on Wed 14 is fora ponta, on Thu 15 ponta.
    # One reading of 1 kWh on the 20th is counted once (not once per version).
    uc = make_uc(conn, 155, aneel="968", schedule=False)
    for valid, ponta in (("[2020-01-01,2026-10-15)", "18:00"), ("[2026-10-15,)", "17:00")):
        conn.execute(
            "insert into smf.posto_schedule (distributor_id, valid_during, ponta_start,"
            " capacitive_start) values (%s, %s, %s, '00:00')",
            (uc.distributor_id, valid, ponta),
        )
    assert rules.posto_at(conn, uc.code, local("2026-10-14 17:30"))["posto"] == "fora_ponta"
    assert rules.posto_at(conn, uc.code, local("2026-10-15 17:30"))["posto"] == "ponta"
    put_hours(conn, uc, [("2026-10-20 10:00", 1, 0, 0)])
    items = {
        (r["item"], r["posto"]): r["quantity"] for r in rules.billing_summary(conn, uc.code, OCT)
    }
    assert items[("energy", "fora_ponta")] == D("1.000")


def test_labels_without_a_schedule_are_null(conn):
    # Without a schedule (`d.ps` / `d.cs` null) every label is null, none is guessed: a slot of
    # a distributor without any posto schedule has no posto, demand posto or reactive window.
    uc = make_uc(conn, 156, aneel="969", schedule=False)
    row = conn.execute(
        "select posto, demand_posto, reactive_window from smf.uc_quarter_labels(%s, %s, %s)",
        (uc.id, local("2026-10-06 10:00"), local("2026-10-06 10:15")),
    ).fetchall()
    assert row == [(None, None, None)]


# ---------- the loss factor of the labelling views around a new loss period


def test_hour_label_takes_the_loss_factor_of_its_own_hour_at_a_new_loss_period(conn):
    # Loss 1 % for local days until 2026-10-06, 2.5 % from 2026-10-07 (local midnight =
    # 2026-10-07 03:00 UTC). The hour 23:00-24:00 local of the 6th (02:00-03:00 UTC on the 7th)
    # lies wholly on the 6th: 0.01; the hour 00:00-01:00 local of the 7th: 0.025. The factor is
    # of the hour's own four quarters, never of the next hour's (a window of two hours would give
    # max(0.01, 0.025) = 0.025 at 23:00). meter_id is the UC's main meter.
    uc = make_uc(conn, 157, aneel="967")
    for valid, factor in (("[2020-01-01,2026-10-07)", "0.01"), ("[2026-10-07,)", "0.025")):
        conn.execute("insert into smf.transformer_loss values (%s, %s, %s)", (uc.id, valid, factor))
    put_hours(
        conn,
        uc,
        [(f"2026-10-0{d} {h}:00", 10, 0, 0) for d, h in ((6, 22), (6, 23), (7, "00"), (7, "01"))],
    )
    rows = conn.execute(
        "select meter_id, hour, local_hour, loss_factor from smf.hour_label"
        " where uc_code = %s order by hour",
        (uc.code,),
    ).fetchall()
    assert [(m, h, lh.strftime("%d %H"), f) for m, h, lh, f in rows] == [
        (uc.meter_id, local("2026-10-06 22:00"), "06 22", D("0.01")),
        (uc.meter_id, local("2026-10-06 23:00"), "06 23", D("0.01")),
        (uc.meter_id, local("2026-10-07 00:00"), "07 00", D("0.025")),
        (uc.meter_id, local("2026-10-07 01:00"), "07 01", D("0.025")),
    ]


def _two_loss_periods(conn, seq, aneel):
    """A UC of a distributor with reservado 21:30 + 510 min (to 06:00) and capacitive 00:00-06:00;
    loss 1 % for local days until 2026-10-06, 2.5 % from 2026-10-07."""
    uc = make_uc(conn, seq, aneel=aneel, reservado=("21:30", 510))
    for valid, factor in (("[2020-01-01,2026-10-07)", "0.01"), ("[2026-10-07,)", "0.025")):
        conn.execute("insert into smf.transformer_loss values (%s, %s, %s)", (uc.id, valid, factor))
    return uc


def test_quarter_labels_carry_utc_and_local_times_reservado_and_the_days_loss_factor(conn):
    # [2026-10-06 23:30, 2026-10-07 00:30) local = [02:30, 03:30) UTC on the 7th: four slots.
    # hour_ts is the UTC hour: 23:30 and 23:45 local lie in 02:00 UTC, 00:00 and 00:15 in
    # 03:00 UTC. All four are reservado (21:30 .. 06:00); the loss factor is that of the local
    # day: 0.01 on the 6th, 0.025 on the 7th (not of the UTC day, which is the 7th for all four).
    uc = _two_loss_periods(conn, 158, "965")
    rows = conn.execute(
        "select ts, local_ts, hour_ts, reservado, loss_factor"
        " from smf.uc_quarter_labels(%s, %s, %s)",
        (uc.id, local("2026-10-06 23:30"), local("2026-10-07 00:30")),
    ).fetchall()
    assert [
        (ts.astimezone(UTC).strftime("%d %H:%M"), lt.strftime("%d %H:%M"), hr, rs, f)
        for ts, lt, hr, rs, f in rows
    ] == [
        ("07 02:30", "06 23:30", datetime(2026, 10, 7, 2, tzinfo=UTC), True, D("0.01")),
        ("07 02:45", "06 23:45", datetime(2026, 10, 7, 2, tzinfo=UTC), True, D("0.01")),
        ("07 03:00", "07 00:00", datetime(2026, 10, 7, 3, tzinfo=UTC), True, D("0.025")),
        ("07 03:15", "07 00:15", datetime(2026, 10, 7, 3, tzinfo=UTC), True, D("0.025")),
    ]
    # 21:15 local (00:15 UTC on the 7th) is before reservado starts at 21:30: not reservado.
    row = conn.execute(
        "select reservado, hour_ts from smf.uc_quarter_labels(%s, %s, %s)",
        (uc.id, local("2026-10-06 21:15"), local("2026-10-06 21:30")),
    ).fetchall()
    assert row == [(False, datetime(2026, 10, 7, 0, tzinfo=UTC))]


def test_interval_label_gives_each_reading_its_meter_times_and_labels(conn):
    # 19:00 local on Tuesday the 6th (22:00 UTC) is ponta (demand posto ponta), inductive, not
    # reservado, loss 0.01. Two more 15-minute readings of the main meter: 23:45 local on the
    # 6th (02:45 UTC on the 7th) and 00:00 local on the 7th (03:00 UTC). Both fora ponta (demand
    # posto fora_ponta, azul) and reservado (21:30 .. 06:00); 23:45 in the inductive window, 00:00
    # in the capacitive one (00:00-06:00); loss factor of the local day: 0.01, then 0.025.
    uc = _two_loss_periods(conn, 159, "964")
    readings = ("2026-10-06 19:00", "2026-10-06 23:45", "2026-10-07 00:00")
    put_intervals(conn, uc, [(local(t), 1000, 0, 0) for t in readings])
    rows = conn.execute(
        "select meter_id, ts, local_ts, posto, demand_posto, reactive_window, reservado,"
        " loss_factor from smf.interval_label where uc_code = %s order by ts",
        (uc.code,),
    ).fetchall()
    assert [
        (m, ts.astimezone(UTC).strftime("%d %H:%M"), lt.strftime("%d %H:%M"), *rest)
        for m, ts, lt, *rest in rows
    ] == [
        (uc.meter_id, "06 22:00", "06 19:00", "ponta", "ponta", "inductive", False, D("0.01")),
        (
            uc.meter_id,
            "07 02:45",
            "06 23:45",
            "fora_ponta",
            "fora_ponta",
            "inductive",
            True,
            D("0.01"),
        ),
        (
            uc.meter_id,
            "07 03:00",
            "07 00:00",
            "fora_ponta",
            "fora_ponta",
            "capacitive",
            True,
            D("0.025"),
        ),
    ]
