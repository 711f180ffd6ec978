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


@pytest.mark.xfail(
    strict=True,
    reason="bug: smf.pld_submarket returns null for an unknown name; its banner says SMF02",
)
def test_pld_submarket_refuses_an_unknown_name(conn: psycopg.Connection[Any]) -> None:
    """The banner: SMF02 for a name that is not a submarket."""
    with pytest.raises(psycopg.Error) as e:
        conn.execute("select smf.pld_submarket('CENTRO-OESTE')")
    assert e.value.sqlstate == "SMF02"


@pytest.mark.xfail(
    strict=True,
    reason="bug: smf.pld_submarket drops only lower-case accents (translate runs before upper),"
    " so an upper-case accented name gives null although its banner says accents are ignored",
)
def test_pld_submarket_ignores_upper_case_accents(conn: psycopg.Connection[Any]) -> None:
    """'SÚL' is 'SUL' without its accent."""
    assert conn.execute("select smf.pld_submarket('SÚL')::text").fetchone() == ("S",)
