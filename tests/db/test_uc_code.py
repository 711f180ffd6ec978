"""UC code check digits (REN ANEEL 1.095/2024 Annex II): weights 10..1,10,9,8 over N15..N3 and
11..1,10,9,8 over N15..N2; remainder mod 11 below 2 gives 0, otherwise 11 - remainder."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest


def _digit(conn: psycopg.Connection[Any], digits: str) -> int | None:
    row = conn.execute("select smf.uc_check_digit(%s)", (digits,)).fetchone()
    assert row is not None
    return None if row[0] is None else int(row[0])


# Worked by hand.
# Published example 0.013.479.258.028-10, N15..N3 = 0 0 1 3 4 7 9 2 5 8 0 2 8:
#   0*10 + 0*9 + 1*8 + 3*7 + 4*6 + 7*5 + 9*4 + 2*3 + 5*2 + 8*1 + 0*10 + 2*9 + 8*8
#   = 8 + 21 + 24 + 35 + 36 + 6 + 10 + 8 + 18 + 64 = 230; 230 % 11 = 10 -> 11 - 10 = 1.
#   N15..N2 = ... 8 1 with weights 11 10 9 8 7 6 5 4 3 2 1 10 9 8:
#   0 + 0 + 1*9 + 3*8 + 4*7 + 7*6 + 9*5 + 2*4 + 5*3 + 8*2 + 0*1 + 2*10 + 8*9 + 1*8
#   = 9 + 24 + 28 + 42 + 45 + 8 + 15 + 16 + 20 + 72 + 8 = 287; 287 % 11 = 1 (< 2) -> 0.
# "0000000001001": N6 = 1 (weight 1), N3 = 1 (weight 8): 9; 9 % 11 = 9 -> 2.
#   "00000000010012": N6 weight 2, N3 weight 9, N2 = 2 weight 8: 2 + 9 + 16 = 27; 27 % 11 = 5 -> 6.
# "1234567890123": 10+18+24+28+30+30+28+24+18+0+10+18+24 = 262; 262 % 11 = 9 -> 2.
#   "12345678901232": 11+20+27+32+35+36+35+32+27+0+1+20+27+16 = 319; 319 % 11 = 0 -> 0.
@pytest.mark.slow
@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("0013479258028", 1),
        ("00134792580281", 0),
        ("0000000001001", 2),
        ("00000000010012", 6),
        ("1234567890123", 2),
        ("12345678901232", 0),
        ("123456789012", None),  # 12 digits: neither check digit
        ("12345678901A3", None),
    ],
)
def test_check_digit_by_hand(
    conn: psycopg.Connection[Any], digits: str, expected: int | None
) -> None:
    assert _digit(conn, digits) == expected


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("001347925802810", True),  # the published example
        ("000000000100126", True),
        ("123456789012320", True),
        ("001347925802811", False),  # second check digit wrong
        ("001347925802800", False),  # first check digit wrong
        ("000000000100145", False),  # valid under the earlier guess (weights 2..9), not Annex II
        ("00134792580281", False),  # 14 digits
        ("00134792580281A", False),
        (None, False),
    ],
)
def test_code_validity(conn: psycopg.Connection[Any], code: str | None, valid: bool) -> None:
    row = conn.execute("select smf.uc_code_is_valid(%s)", (code,)).fetchone()
    assert row is not None and row[0] is valid


def test_builder_matches_hand_example(conn: psycopg.Connection[Any]) -> None:
    row = conn.execute("select smf.uc_code_with_check_digits(13479258, 28)").fetchone()
    assert row is not None and row[0] == "001347925802810"
    row = conn.execute("select smf.uc_code_with_check_digits(1, 1)").fetchone()
    assert row is not None and row[0] == "000000000100126"


def test_consumer_unit_refuses_bad_code(conn: psycopg.Connection[Any]) -> None:
    conn.execute(
        "insert into smf.distributor (ccee_agent_code, aneel_code, name) values (1, '001', 'D')"
    )
    with pytest.raises(psycopg.errors.CheckViolation, match="consumer_unit_uc_code_valid"):
        conn.execute("""insert into smf.consumer_unit (uc_code, distributor_id, customer_name,
            submarket, tariff_group, modality, supply_voltage_kv)
            select '001347925802811', id, 'C', 'SE/CO', 'A4', 'verde', 13.8 from smf.distributor""")
