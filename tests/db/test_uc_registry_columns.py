"""The UC registry functions by their results: smf.uc_card's whole row after smf.uc_register /
smf.uc_update / smf.uc_loss_set / smf.uc_retire, the 15-digit code smf.uc_code_complete gives,
meter references by serial, the UC of a meter (smf.meter_uc) and the stale marks of UC figures.

All in the rolled-back `conn` transaction; now() is its start, so "today" (local -03:00) is the
transaction's day and the loss and CCEE periods below are chosen to contain any such day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any

import psycopg
import pytest

from tests.vee.conftest import meter

# The published example 0.013.479.258.028-10 (tests/db/test_uc_code.py works its digits by
# hand): 13 digits 0013479258028 -> check digits 1 and 0; digits 11-13 = ANEEL code 028.
CODE13 = "0.013.479.258.028"
CODE = "001347925802810"
# A second UC of distributor 028, sequential 1: 0000000001 028 -> first check digit
# 1x1 + 2x9 + 8x8 = 83, 83 % 11 = 6 -> 5; second 1x2 + 2x10 + 8x9 + 5x8 = 134, 134 % 11 = 2 -> 9.
OTHER = "000000000102859"


def one(conn: psycopg.Connection[Any], sql: str, *args: Any) -> Any:
    return conn.execute(sql, args).fetchone()[0]


def distributor(conn: psycopg.Connection[Any], aneel: str, agent: int, name: str) -> int:
    return int(
        one(
            conn,
            "insert into smf.distributor (ccee_agent_code, aneel_code, name)"
            " values (%s, %s, %s) returning id",
            agent,
            aneel,
            name,
        )
    )


def register(conn: psycopg.Connection[Any], code: str, aneel: str, **kw: Any) -> str:
    args = {
        "p_code": code,
        "p_distributor_aneel": aneel,
        "p_customer": "  Padaria Central  ",
        "p_submarket": "S",
        "p_tariff_group": "A4",
        "p_modality": "azul",
        "p_supply_voltage_kv": D("13.8"),
        "p_ponta_kw": D("300"),
        "p_fora_ponta_kw": D("520.5"),
        "p_musd_kw": D("600"),
        **kw,
    }
    names = ", ".join(f"{k} => %({k})s" for k in args)
    return str(conn.execute(f"select smf.uc_register({names})", args).fetchone()[0])


CARD = "select * from smf.uc_card(%s)"


def test_uc_card_shows_every_registered_field_with_meters_by_serial_and_todays_loss_factor(
    conn: psycopg.Connection[Any],
) -> None:
    """Registered with 13 digits, demands in kW, voltage in kV, a loss factor and a CCEE retail
    period that hold today; the card is one row with the 15-digit code and the customer trimmed."""
    distributor(conn, "028", 4321, "Distribuidora Sul")
    meter(conn, "UCM-1")
    meter(conn, "UCB-1")
    assert (
        register(
            conn,
            CODE13,
            "028",
            p_main_meter="UCM-1",
            p_backup_meter="UCB-1",
            p_loss_factor=D("0.025"),
            p_loss_from=date(2020, 1, 1),
        )
        == CODE
    )
    uc = one(conn, "select id from smf.consumer_unit where uc_code = %s", CODE)
    conn.execute(
        "insert into smf.ccee_retail_uc (consumer_unit_id, valid_during)"
        " values (%s, '[2021-07-01,)')",
        (uc,),
    )
    now = one(conn, "select now()")
    assert conn.execute(CARD, (CODE,)).fetchall() == [
        (
            CODE,  # uc_code
            "028",  # distributor_aneel_code
            "Distribuidora Sul",  # distributor_name
            4321,  # ccee_agent_code
            "Padaria Central",  # customer_name, trimmed
            "S",  # submarket
            "A4",  # tariff_group
            "azul",  # modality
            D("300.000"),  # contracted_demand_ponta_kw
            D("520.500"),  # contracted_demand_fora_ponta_kw
            D("600.000"),  # musd_kw
            D("13.800"),  # supply_voltage_kv
            "UCM-1",  # main_meter_serial
            "UCB-1",  # backup_meter_serial
            D("0.02500"),  # loss_factor (fraction: 2.5 %)
            date(2020, 1, 1),  # loss_valid_from
            None,  # loss_valid_to: open
            date(2021, 7, 1),  # ccee_retail_from
            now,  # created_at: the registering transaction's time
            None,  # retired_at
        )
    ]
    assert conn.execute(CARD, ("000000000100126",)).fetchall() == []  # no such UC: no row


def test_uc_card_after_update_and_retire_shows_the_new_fields_and_the_first_retirement(
    conn: psycopg.Connection[Any],
) -> None:
    """uc_update returns the code and changes only what it names (JSON null clears a demand or
    the backup meter); uc_retire keeps the first retirement time; no loss factor: nulls."""
    distributor(conn, "028", 4321, "Distribuidora Sul")
    meter(conn, "UCM-2")
    meter(conn, "UCB-2")
    meter(conn, "UCM-3")
    register(conn, CODE, "028", p_main_meter="UCM-2", p_backup_meter="UCB-2")
    changes = (
        '{"customer": "Padaria Nova", "submarket": "NE", "modality": "verde",'
        ' "contracted_demand_ponta_kw": null, "contracted_demand_fora_ponta_kw": 250,'
        ' "supply_voltage_kv": 34.5, "main_meter": "UCM-3", "backup_meter": null}'
    )
    assert one(conn, "select smf.uc_update(%s, %s)", CODE, changes) == CODE
    conn.execute(
        "update smf.consumer_unit set retired_at = '2026-01-31 12:00+00' where uc_code = %s",
        (CODE,),
    )
    first = one(conn, "select retired_at from smf.consumer_unit where uc_code = %s", CODE)
    assert one(conn, "select smf.uc_retire(%s)", CODE) == first  # a second retire keeps it
    row = conn.execute(CARD, (CODE,)).fetchone()
    assert row[4:17] + row[19:] == (
        "Padaria Nova",  # customer_name
        "NE",  # submarket
        "A4",  # tariff_group: not named, kept
        "verde",  # modality
        None,  # contracted_demand_ponta_kw cleared
        D("250.000"),  # contracted_demand_fora_ponta_kw
        D("600.000"),  # musd_kw kept
        D("34.500"),  # supply_voltage_kv
        "UCM-3",  # main_meter_serial
        None,  # backup_meter_serial cleared
        None,  # loss_factor: none registered
        None,  # loss_valid_from
        None,  # loss_valid_to
        first,  # retired_at
    )
    assert row[17] is None  # ccee_retail_from: no retail period
    with pytest.raises(psycopg.Error) as e, conn.transaction():
        conn.execute('select smf.uc_update(%s, \'{"customer": "x"}\')', (CODE,))
    assert (e.value.sqlstate, e.value.diag.message_primary) == (
        "SMF02",
        f"UC {CODE} is retired",
    )


def test_uc_retire_of_a_live_uc_returns_the_transaction_time(
    conn: psycopg.Connection[Any],
) -> None:
    """The retirement time is now() of the retiring transaction, UTC timestamptz."""
    distributor(conn, "028", 4321, "Distribuidora Sul")
    register(conn, CODE, "028")
    now = one(conn, "select now()")
    assert one(conn, "select smf.uc_retire(%s)", CODE) == now
    assert conn.execute(CARD, (CODE,)).fetchone()[19] == now


def test_loss_set_writes_one_period_closes_the_open_one_and_keeps_the_tail(
    conn: psycopg.Connection[Any],
) -> None:
    """1 for a factor written, 0 for null (no factor from then on); the periods afterwards."""
    distributor(conn, "028", 4321, "Distribuidora Sul")
    register(conn, CODE, "028")
    sql = "select smf.uc_loss_set(%s, %s, %s, %s)"
    assert one(conn, sql, CODE, D("0.02"), date(2026, 1, 1), None) == 1
    # [2026-03-01, 2026-05-01) inside the open period: it is cut at 03-01 and its tail kept
    assert one(conn, sql, CODE, D("0.03"), date(2026, 3, 1), date(2026, 5, 1)) == 1
    assert one(conn, sql, CODE, None, date(2027, 1, 1), None) == 0  # none from 2027 on
    periods = conn.execute(
        "select valid_during::text, factor from smf.transformer_loss t join smf.consumer_unit u"
        " on u.id = t.consumer_unit_id where u.uc_code = %s order by lower(valid_during)",
        (CODE,),
    ).fetchall()
    assert periods == [
        ("[2026-01-01,2026-03-01)", D("0.02000")),
        ("[2026-03-01,2026-05-01)", D("0.03000")),
        ("[2026-05-01,2027-01-01)", D("0.02000")),
    ]
    for factor, lo, hi in [
        (D("0.2"), date(2026, 1, 1), None),
        (D("0.01"), date(2026, 2, 1), date(2026, 2, 1)),
    ]:
        with pytest.raises(psycopg.Error) as e, conn.transaction():
            conn.execute(sql, (CODE, factor, lo, hi))
        assert e.value.sqlstate == "SMF02"


def test_code_complete_appends_or_verifies_the_check_digits_and_the_distributor(
    conn: psycopg.Connection[Any],
) -> None:
    """13 digits (dots, dashes, spaces allowed) get their two check digits; 15 are verified."""
    sql = "select smf.uc_code_complete(%s, %s)"
    assert one(conn, sql, CODE13, None) == CODE
    assert one(conn, sql, "0.013.479.258.028-10", "028") == CODE
    assert one(conn, sql, "0000000001 001", None) == "000000000100126"  # 9 -> 2; 27 -> 6
    for code, aneel, message in [
        (
            "001347925802811",
            None,
            "UC code 001347925802811: check digits 11 do not match; for 0013479258028 they"
            " are 10 (REN 1.095/2024 Annex II)",
        ),
        (
            CODE13,
            "029",
            "UC code 001347925802810: digits 11-13 (028) must be the distributor's ANEEL code 029",
        ),
        (
            "12345",
            None,
            "UC code '12345': expected 13 digits (the check digits are then computed) or 15"
            " digits (they are then verified), dots and dashes allowed",
        ),
    ]:
        with pytest.raises(psycopg.Error) as e, conn.transaction():
            conn.execute(sql, (code, aneel))
        assert (e.value.sqlstate, e.value.diag.message_primary) == ("SMF02", message)


def test_meter_references_by_serial_and_the_main_meter_of_a_uc(
    conn: psycopg.Connection[Any],
) -> None:
    """uc_meter_ref: the id, null for null, SMF04 unknown, SMF02 retired (naming the field);
    uc_main_meter: the UC's main meter id, SMF04 without one."""
    m = meter(conn, "UCM-4")
    r = meter(conn, "UCR-4")
    conn.execute("update smf.meter set retired_at = now() where id = %s", (r,))
    ref = "select smf.uc_meter_ref(%s, %s)"
    assert one(conn, ref, "UCM-4", "main meter") == m
    assert one(conn, ref, None, "backup meter") is None
    for serial, state, message in [
        ("NOPE", "SMF04", "backup meter: no meter 'NOPE' (register it first: smf meter add)"),
        ("UCR-4", "SMF02", "backup meter: meter UCR-4 is retired"),
    ]:
        with pytest.raises(psycopg.Error) as e, conn.transaction():
            conn.execute(ref, (serial, "backup meter"))
        assert (e.value.sqlstate, e.value.diag.message_primary) == (state, message)
    distributor(conn, "028", 4321, "Distribuidora Sul")
    register(conn, CODE, "028", p_main_meter="UCM-4")
    register(conn, OTHER, "028")  # no main meter
    assert one(conn, "select smf.uc_main_meter(%s)", CODE) == m
    with pytest.raises(psycopg.Error) as e, conn.transaction():
        conn.execute("select smf.uc_main_meter(%s)", (OTHER,))
    assert e.value.sqlstate == "SMF04"


def test_meter_uc_gives_the_uc_distributor_and_alarm_group_preferring_the_main_role(
    conn: psycopg.Connection[Any],
) -> None:
    """A meter that is one UC's backup and another's main belongs to the latter; a backup-only
    meter to its UC; a meter of no UC: no row."""
    d = distributor(conn, "028", 4321, "Distribuidora Sul")
    meter(conn, "UCM-5")
    meter(conn, "UCX-5")
    loose = meter(conn, "UCL-5")
    register(conn, CODE, "028", p_main_meter="UCM-5", p_backup_meter="UCX-5")
    other = OTHER
    register(conn, other, "028", p_main_meter="UCX-5", p_customer="Other")
    ids = dict(conn.execute("select uc_code::text, id from smf.consumer_unit").fetchall())
    group = one(
        conn,
        "insert into smf.alarm_group (name, distributor_id) values ('g5', %s) returning id",
        d,
    )
    conn.execute(
        "insert into smf.alarm_group_member (consumer_unit_id, group_id) values (%s, %s)",
        (ids[CODE], group),
    )
    sql = "select uc_id, distributor_id, group_id, uc_code, customer_name from smf.meter_uc(%s)"
    main5 = one(conn, "select id from smf.meter where serial = 'UCM-5'")
    x5 = one(conn, "select id from smf.meter where serial = 'UCX-5'")
    assert conn.execute(sql, (main5,)).fetchall() == [
        (ids[CODE], d, group, CODE, "Padaria Central")
    ]
    assert conn.execute(sql, (x5,)).fetchall() == [(ids[other], d, None, other, "Other")]
    assert conn.execute(sql, (loose,)).fetchall() == []


def test_figures_are_marked_stale_per_uc_of_a_main_meter_and_local_month(
    conn: psycopg.Connection[Any],
) -> None:
    """Oct..Dec of a main meter: 3 UC-months (created stale); a backup meter's months: none;
    the scope variant reads pg_temp.rollup_scope."""
    distributor(conn, "028", 4321, "Distribuidora Sul")
    m = meter(conn, "UCM-6")
    b = meter(conn, "UCB-6")
    register(conn, CODE, "028", p_main_meter="UCM-6", p_backup_meter="UCB-6")
    sql = "select smf.uc_figures_mark_stale(%s, %s, %s)"
    oct15, dec2 = date(2026, 10, 15), date(2026, 12, 2)
    assert one(conn, sql, [m], [oct15], [dec2]) == 3  # 2026-10, 2026-11, 2026-12
    assert one(conn, sql, [b], [oct15], [dec2]) == 0
    assert conn.execute(
        "select f.month, f.stale from smf.uc_month_figures f join smf.consumer_unit u"
        " on u.id = f.consumer_unit_id where u.uc_code = %s order by 1",
        (CODE,),
    ).fetchall() == [
        (date(2026, 10, 1), True),
        (date(2026, 11, 1), True),
        (date(2026, 12, 1), True),
    ]
    conn.execute("create temp table rollup_scope (meter_id int, lo_m date, hi_m date)")
    conn.execute(
        "insert into pg_temp.rollup_scope values (%s, '2026-12-01', '2027-01-01'),"
        " (%s, '2026-01-01', '2026-01-01')",
        (m, b),
    )
    # Dec 2026 and Jan 2027 of the main meter (Dec already there: marked again); backup: none
    assert one(conn, "select smf.uc_figures_mark_stale_scope()") == 2
