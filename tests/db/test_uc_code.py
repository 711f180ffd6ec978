"""UC code check digits (mod 11, weights 2..9 from the right; 0 for remainders 0 and 1)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest


def _digit(conn: psycopg.Connection[Any], digits: str) -> int:
    row = conn.execute("select smf.uc_check_digit(%s)", (digits,)).fetchone()
    assert row is not None
    return int(row[0])


# Worked by hand. "0000000001001": digits from the right 1,0,0,1,0,... weights 2,3,4,5,...
#   1*2 + 0*3 + 0*4 + 1*5 = 7; 7 % 11 = 7 -> 11 - 7 = 4.
# "00000000010014" (with the first digit 4): 4*2 + 1*3 + 0*4 + 0*5 + 1*6 = 17; 17 % 11 = 6 -> 5.
#   So the code is 000000000100145.
# "1234567890123": from the right 3,2,1,0,9,8,7,6,5,4,3,2,1 with weights 2..9,2..6:
#   3*2+2*3+1*4+0*5+9*6+8*7+7*8+6*9 = 6+6+4+0+54+56+56+54 = 236
#   5*2+4*3+3*4+2*5+1*6 = 10+12+12+10+6 = 50; total 286; 286 % 11 = 0 -> 0.
# "12345678901230": 0*2+3*3+2*4+1*5+0*6+9*7+8*8+7*9 = 0+9+8+5+0+63+64+63 = 212
#   6*2+5*3+4*4+3*5+2*6+1*7 = 12+15+16+15+12+7 = 77; total 289; 289 % 11 = 3 -> 8.
#   So the code is 123456789012308.
@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("0000000001001", 4),
        ("00000000010014", 5),
        ("1234567890123", 0),
        ("12345678901230", 8),
    ],
)
def test_check_digit_by_hand(conn: psycopg.Connection[Any], digits: str, expected: int) -> None:
    assert _digit(conn, digits) == expected


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("000000000100145", True),
        ("123456789012308", True),
        ("123456789012309", False),  # second check digit wrong
        ("123456789012318", False),  # first check digit wrong
        ("12345678901230", False),  # 14 digits
        ("12345678901230A", False),
        (None, False),
    ],
)
def test_code_validity(conn: psycopg.Connection[Any], code: str | None, valid: bool) -> None:
    row = conn.execute("select smf.uc_code_is_valid(%s)", (code,)).fetchone()
    assert row is not None and row[0] is valid


def test_builder_matches_hand_example(conn: psycopg.Connection[Any]) -> None:
    row = conn.execute("select smf.uc_code_with_check_digits(1, 1)").fetchone()
    assert row is not None and row[0] == "000000000100145"


def test_consumer_unit_refuses_bad_code(conn: psycopg.Connection[Any]) -> None:
    conn.execute(
        "insert into smf.distributor (ccee_agent_code, aneel_code, name) values (1, '001', 'D')"
    )
    with pytest.raises(psycopg.errors.CheckViolation, match="consumer_unit_uc_code_valid"):
        conn.execute("""insert into smf.consumer_unit (uc_code, distributor_id, customer_name,
            submarket, tariff_group, modality, supply_voltage_kv)
            select '123456789012309', id, 'C', 'SE/CO', 'A4', 'verde', 13.8 from smf.distributor""")
