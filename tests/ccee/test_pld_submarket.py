"""smf.pld_submarket (db/functions/300_jobs.sql): the submarket of a name as CCEE's open data
spells it, case and surrounding blanks ignored."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest


@pytest.mark.parametrize(
    ("name", "submarket"),
    [
        ("SUDESTE", "SE/CO"),
        ("se/co", "SE/CO"),
        (" Seco ", "SE/CO"),
        ("SE", "SE/CO"),
        ("Sudeste/Centro-Oeste", "SE/CO"),
        ("SUL", "S"),
        ("s", "S"),
        ("súl", "S"),  # a lower-case accent is dropped
        ("Nordeste", "NE"),
        ("NE", "NE"),
        ("norte", "N"),
        ("N", "N"),
    ],
)
def test_pld_submarket_maps_ccee_spellings(
    conn: psycopg.Connection[Any], name: str, submarket: str
) -> None:
    """Each spelling of the four submarkets gives smf.submarket's value."""
    assert conn.execute("select smf.pld_submarket(%s)::text", (name,)).fetchone() == (submarket,)


@pytest.mark.parametrize("name", ["CENTRO-OESTE", "", None])
def test_pld_submarket_has_no_submarket_for_another_name(
    conn: psycopg.Connection[Any], name: str | None
) -> None:
    """Another name gives null, which smf.pld_import reports as an invalid row (SMF02)."""
    assert conn.execute("select smf.pld_submarket(%s)", (name,)).fetchone() == (None,)


def test_pld_submarket_ignores_upper_case_accents(conn: psycopg.Connection[Any]) -> None:
    """'SÚL' is 'SUL' and 'NORDÉSTE' is 'NORDESTE' without their accents."""
    assert conn.execute("select smf.pld_submarket('SÚL')::text").fetchone() == ("S",)
    assert conn.execute("select smf.pld_submarket('NORDÉSTE')::text").fetchone() == ("NE",)
