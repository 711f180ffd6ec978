"""The two ABNT helpers of the meter reports (db/functions/630_reports.sql), value by value:
smf.abnt_command_name (what a 0x28 alteration-log command code did) and smf.phasor_connection
(the metering connection a 0x14 reading shows)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb


@pytest.mark.parametrize(
    ("code", "name"),
    [
        (0x11, "session opening with password"),  # 17
        (0x20, "demand reset (parameters read with reset)"),  # 32
        (0x29, "date changed"),  # 41
        (0x30, "time changed"),  # 48
        (0x33, "multiplication constants changed"),  # 51
        (0x98, "clock micro-adjustment"),  # 152
        (0x99, "fast program load"),  # 153
        (0x28, None),  # 40: the log read itself is not an alteration: not catalogued
        (0x34, None),  # 52: between catalogued codes
        (None, None),
    ],
)
def test_abnt_command_name_names_catalogued_codes_only(
    conn: psycopg.Connection[Any], code: int | None, name: str | None
) -> None:
    """The octet as read (e.g. 0x29 = 41) gives its command's description; others null."""
    assert conn.execute("select smf.abnt_command_name(%s::int)", (code,)).fetchone() == (name,)


@pytest.mark.parametrize(
    ("values", "connection"),
    [
        # three phase voltages, V_B > 0: wye, 3 elements
        ({"VA": 127, "VB": 127, "VC": 127, "IA": 5, "IB": 5, "IC": 5}, "wye_3_element"),
        ({"VA": 127, "VB": 127, "VC": 127, "IB": 0}, "wye_3_element"),  # I_B 0 does not matter
        # line voltages only, no I_B: Aron (two-wattmeter) metering
        ({"VAB": 220, "VBC": 220, "IA": 5, "IC": 5}, "delta_2_element"),
        # I_B = 0 and V_B absent (0): two elements as well
        ({"VAB": 220, "IA": 5, "IB": 0, "IC": 5}, "delta_2_element"),
        # V_B = 0 rules out wye; I_B = 0 with V_B = 0: two elements
        ({"VA": 127, "VB": 0, "VC": 127, "IA": 5, "IB": 0, "IC": 5}, "delta_2_element"),
        # V_B = 0 but a current in B: three elements
        ({"VA": 127, "VB": 0, "VC": 127, "IA": 5, "IB": 5, "IC": 5}, "delta_3_element"),
        ({"VAB": 220, "VBC": 220, "VCA": 220, "IA": 5, "IB": 5, "IC": 5}, "delta_3_element"),
        ({}, "delta_2_element"),  # nothing filled: no I_B
    ],
)
def test_phasor_connection_is_inferred_from_the_fields_the_meter_fills(
    conn: psycopg.Connection[Any], values: dict[str, int], connection: str
) -> None:
    """wye_3_element, delta_2_element or delta_3_element from V_A/V_B/V_C and I_B."""
    got = conn.execute("select smf.phasor_connection(%s)", (Jsonb(values),)).fetchone()
    assert got == (connection,)
