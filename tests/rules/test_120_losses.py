"""Transformer losses and the raw / loss-adjusted series (db/functions/120_losses.sql)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from db import driver, errors
from tests.rules.conftest import local, make_uc, put_hours, put_intervals, scalar


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kv", "factor"),
    [(D("13.8"), D("0.025")), (D(44), D("0.025")), (D(69), D("0.01")), (D(138), D("0.01"))],
)
def test_proposed_loss_factor_by_voltage(conn, kv, factor):
    uc = make_uc(conn, 31, voltage_kv=kv)
    assert (
        conn.execute("select smf.transformer_loss_default(%s)", (uc.code,)).fetchone()[0] == factor
    )


def test_hourly_series_raw_and_adjusted(conn):
    # Raw 400 kWh / 300 kvarh ind / 20 kvarh cap; factor 2.5% -> 410 / 307.5 / 20.5.
    uc = make_uc(conn, 32, loss="0.025")
    put_hours(conn, uc, [("2026-10-06 14:00", 400, 300, 20)])
    row = conn.execute(
        "select p_kwh_raw, q_ind_kvarh_raw, q_cap_kvarh_raw, p_kwh, q_ind_kvarh, q_cap_kvarh,"
        " n_present, n_expected from smf.uc_hourly_energy(%s, %s, %s)",
        (uc.code, local("2026-10-06 14:00"), local("2026-10-06 15:00")),
    ).fetchone()
    assert row == (D(400), D(300), D(20), D("410"), D("307.5"), D("20.5"), 4, 4)


def test_interval_series_keeps_the_stored_grid(conn):
    # A 5-minute meter: three intervals of 10, 12, 14 kWh, factor 1% -> 10.1, 12.12, 14.14.
    uc = make_uc(conn, 33, loss="0.01", interval=5)
    from tests.rules.conftest import put_intervals

    t = local("2026-10-06 14:00")
    from datetime import timedelta

    put_intervals(
        conn,
        uc,
        [(t + timedelta(minutes=5 * k), wh, 0, 0) for k, wh in enumerate((10000, 12000, 14000))],
    )
    rows = conn.execute(
        "select p_kwh_raw, p_kwh from smf.uc_interval_energy(%s, %s, %s)",
        (uc.code, t, t + timedelta(hours=1)),
    ).fetchall()
    assert rows == [(D(10), D("10.1")), (D(12), D("12.12")), (D(14), D("14.14"))]


def test_overlapping_loss_periods_are_refused(conn):
    uc = make_uc(conn, 34, loss="0.025")
    with pytest.raises(errors.Conflict, match="transformer_loss"), driver.translate_errors():
        conn.execute(
            "insert into smf.transformer_loss values (%s, '[2026-01-01,)', 0.01)", (uc.id,)
        )


# ---------- loss periods by day and the [from, to) window of the interval series


def test_interval_energy_takes_the_loss_period_of_its_day(conn):
    # uc_interval_energy takes the loss period valid on the local day (`valid_during @> day`): loss
    # 2 % until 2026-09-30, 5 % from 2026-10-01; one interval at 2026-10-06 10:00 of 1000 Wh -> one
    # row: factor 0.05, 1.000 kWh raw, 1.000 x 1.05 = 1.050 kWh adjusted.
    uc = make_uc(conn, 160)
    for valid, factor in (("[2020-01-01,2026-10-01)", "0.02"), ("[2026-10-01,)", "0.05")):
        conn.execute("insert into smf.transformer_loss values (%s, %s, %s)", (uc.id, valid, factor))
    # The [from, to) bounds: readings at 2026-10-05 23:45 and 2026-10-07 00:00 lie outside
    # [2026-10-06 00:00, 2026-10-07 00:00). Every column of the row, with 2000 varh inductive ->
    # 2.000 and 2.100 kvarh, 3000 varh capacitive -> 3.000 and 3.150. transformer_loss_factor: 0.02
    # on 2026-09-30, 0.05 on 2026-10-01, and 0 for a UC without losses.
    put_intervals(
        conn,
        uc,
        [
            (local("2026-10-05 23:45"), 7000, 0, 0),
            (local("2026-10-06 10:00"), 1000, 2000, 3000),
            (local("2026-10-07 00:00"), 9000, 0, 0),
        ],
    )
    rows = conn.execute(
        "select loss_factor, p_kwh_raw, q_ind_kvarh_raw, q_cap_kvarh_raw, p_kwh, q_ind_kvarh,"
        " q_cap_kvarh from smf.uc_interval_energy(%s, %s, %s)",
        (uc.code, local("2026-10-06 00:00"), local("2026-10-07 00:00")),
    ).fetchall()
    assert rows == [(D("0.05"), D(1), D(2), D(3), D("1.05"), D("2.1"), D("3.15"))]
    factor = "select smf.transformer_loss_factor(%s, %s)"
    assert scalar(conn, factor, uc.code, date(2026, 9, 30)) == D("0.02")
    assert scalar(conn, factor, uc.code, date(2026, 10, 1)) == D("0.05")
    assert scalar(conn, factor, make_uc(conn, 161).code, date(2026, 10, 1)) == D(0)


# ---------- the labelled 15-minute grid with raw and loss-adjusted energies


def test_quarter_hours_sum_a_five_minute_meter_per_slot_and_leave_a_missing_slot_null(conn):
    # A 5-minute meter (3 intervals expected per 15-minute slot), loss 2 %, distributor with
    # reservado 21:30 + 510 min. Window [21:15, 21:45) local on Tue 2026-10-06 = [00:15, 00:45)
    # UTC on the 7th; both slots lie in the UTC hour 00:00 (local 21:00).
    # Slot 21:15: two of three intervals, 21:15 (1000 Wh, 400 varh ind) and 21:20 (2000 Wh,
    # 600 varh cap) -> raw 3 kWh / 0.4 kvarh / 0.6 kvarh; adjusted x 1.02 = 3.06 / 0.408 / 0.612;
    # n_present 2, n_expected 3; fora ponta (ponta ends 21:00), inductive window, not reservado.
    # Slot 21:30: no reading -> energies null, n_present 0, n_expected 3; reservado.
    uc = make_uc(conn, 162, aneel="962", interval=5, loss="0.02", reservado=("21:30", 510))
    put_intervals(
        conn,
        uc,
        [(local("2026-10-06 21:15"), 1000, 400, 0), (local("2026-10-06 21:20"), 2000, 0, 600)],
    )
    rows = conn.execute(
        "select ts, local_ts, hour_ts, posto, demand_posto, reactive_window, reservado,"
        " loss_factor, p_kwh_raw, q_ind_kvarh_raw, q_cap_kvarh_raw, p_kwh, q_ind_kvarh,"
        " q_cap_kvarh, n_present, n_expected from smf.uc_quarter_hours(%s, %s, %s)",
        (uc.id, local("2026-10-06 21:15"), local("2026-10-06 21:45")),
    ).fetchall()
    hour = datetime(2026, 10, 7, 0, tzinfo=UTC)
    labels = ("fora_ponta", "fora_ponta", "inductive")
    assert [(ts, lt.strftime("%H:%M"), *rest) for ts, lt, *rest in rows] == [
        (local("2026-10-06 21:15"), "21:15", hour, *labels, False, D("0.02"),
         D(3), D("0.4"), D("0.6"), D("3.06"), D("0.408"), D("0.612"), 2, 3),
        (local("2026-10-06 21:30"), "21:30", hour, *labels, True, D("0.02"),
         None, None, None, None, None, None, 0, 3),
    ]  # fmt: skip


def test_interval_energy_gives_each_interval_its_utc_start_and_quality(conn):
    # Two stored 15-minute intervals of the main meter: 10:00 local (13:00 UTC) measured and
    # 10:15 local (13:15 UTC) estimated (a filled gap); no loss -> raw = adjusted.
    uc = make_uc(conn, 163)
    put_intervals(
        conn, uc, [(local("2026-10-06 10:00"), 500, 0, 0), (local("2026-10-06 10:15"), 750, 0, 0)]
    )
    conn.execute(
        "update smf.interval_reading set quality = 'estimated' where meter_id = %s and ts = %s",
        (uc.meter_id, local("2026-10-06 10:15")),
    )
    rows = conn.execute(
        "select ts, quality, p_kwh_raw, p_kwh from smf.uc_interval_energy(%s, %s, %s)",
        (uc.code, local("2026-10-06 10:00"), local("2026-10-06 11:00")),
    ).fetchall()
    assert rows == [
        (datetime(2026, 10, 6, 13, 0, tzinfo=UTC), "measured", D("0.5"), D("0.5")),
        (datetime(2026, 10, 6, 13, 15, tzinfo=UTC), "estimated", D("0.75"), D("0.75")),
    ]
