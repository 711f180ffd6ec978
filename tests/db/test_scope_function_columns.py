"""What the scope functions the row-level policies call return for each kind of principal: its
role (smf.principal_role), whether it sees and writes everything (smf.scope_all,
smf.scope_writes), and the UC, meter and distributor ids of its scopes (smf.scope_uc_ids,
smf.scope_meter_ids, smf.scope_distributor_ids): its own ids, and none of the others.

As the API runs a request (tests/api/test_visibility.py): the transaction setting
smf.principal names the account; the owner's session may name any. Two distributors: 031 with
UCs a1 (main + backup meter) and a2 (main only), 032 with UC b1."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from tests.vee.conftest import unit

FUNCTIONS = (
    "select smf.principal_role(), smf.scope_all(), smf.scope_writes(), smf.scope_uc_ids(),"
    " smf.scope_meter_ids(), smf.scope_distributor_ids()"
)


def one(conn: psycopg.Connection[Any], sql: str, *args: Any) -> Any:
    return conn.execute(sql, args).fetchone()[0]


def account(conn: psycopg.Connection[Any], name: str, role: str, *scopes: tuple[str, str]) -> int:
    aid = int(one(conn, "select smf.account_add(%s, %s)", name, role))
    for kind, ref in scopes:
        conn.execute("select smf.account_scope_add(%s, %s, %s)", (name, kind, ref))
    return aid


def as_principal(conn: psycopg.Connection[Any], account_id: int | None) -> tuple[Any, ...]:
    conn.execute(
        "select set_config('smf.principal', %s, true)",
        ("" if account_id is None else str(account_id),),
    )
    return tuple(conn.execute(FUNCTIONS).fetchone())


@pytest.fixture
def world(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    a1 = unit(conn, 7301, backup=True, aneel="031")
    a2 = unit(conn, 7302, aneel="031")
    b1 = unit(conn, 7303, aneel="032")
    dist = dict(
        conn.execute(
            "select aneel_code::text, id from smf.distributor where aneel_code in ('031', '032')"
        ).fetchall()
    )
    conn.execute("select smf.uc_group_add_member('g-a2', %s)", (a2.uc_code,))
    return {"a1": a1, "a2": a2, "b1": b1, "A": dist["031"], "B": dist["032"]}


def test_admin_and_service_principals_see_and_write_everything_without_scope_ids(
    conn: psycopg.Connection[Any], world: dict[str, Any]
) -> None:
    """scope_all and scope_writes true; they need no ids (the policies test scope_all first)."""
    adm = account(conn, "adm", "admin")
    svc = account(conn, "svc", "service")
    assert as_principal(conn, adm) == ("admin", True, True, [], [], [])
    assert as_principal(conn, svc) == ("service", True, True, [], [], [])


def test_a_distributor_analyst_gets_the_ucs_and_meters_of_its_distributor_only(
    conn: psycopg.Connection[Any], world: dict[str, Any]
) -> None:
    """Distributor 031: UCs a1, a2 and their meters (a1's main and backup, a2's main); nothing
    of 032. Analysts write (registration) but do not see all."""
    a1, a2, b1 = world["a1"], world["a2"], world["b1"]
    ana = account(conn, "ana", "analyst", ("distributor", "031"))
    role, everything, writes, ucs, meters, dists = as_principal(conn, ana)
    assert (role, everything, writes) == ("analyst", False, True)
    assert ucs == sorted([a1.uc_id, a2.uc_id])  # array_agg(distinct): ascending
    assert meters == sorted([a1.main, a1.backup, a2.main])
    assert dists == [world["A"]]
    assert b1.uc_id not in ucs and b1.main not in meters and world["B"] not in dists
    conn.execute("set local role smf_api")  # the API's role: the same answers (security definer)
    assert as_principal(conn, ana) == (role, everything, writes, ucs, meters, dists)


def test_a_uc_scoped_client_gets_its_uc_and_its_meters_and_no_distributor(
    conn: psycopg.Connection[Any], world: dict[str, Any]
) -> None:
    """Client of UC a1: a1 and its two meters; a client neither writes nor sees all."""
    a1 = world["a1"]
    cli = account(conn, "cli", "client", ("uc", a1.uc_code))
    assert as_principal(conn, cli) == (
        "client",
        False,
        False,
        [a1.uc_id],
        sorted([a1.main, a1.backup]),
        [],
    )


def test_mixed_scopes_add_up_and_a_group_scope_gives_its_members(
    conn: psycopg.Connection[Any], world: dict[str, Any]
) -> None:
    """An analyst of distributor 032 and of UC a1 gets both (distributor ids: 032 only); a client
    of group g-a2 gets UC a2."""
    a1, a2, b1 = world["a1"], world["a2"], world["b1"]
    mix = account(conn, "mix", "analyst", ("distributor", "032"), ("uc", a1.uc_code))
    assert as_principal(conn, mix) == (
        "analyst",
        False,
        True,
        sorted([a1.uc_id, b1.uc_id]),
        sorted([a1.main, a1.backup, b1.main]),
        [world["B"]],
    )
    grp = account(conn, "grp", "client", ("group", "g-a2"))
    assert as_principal(conn, grp) == ("client", False, False, [a2.uc_id], [a2.main], [])


def test_no_principal_and_a_disabled_account_see_nothing(
    conn: psycopg.Connection[Any], world: dict[str, Any]
) -> None:
    """Without smf.principal, or naming a disabled account: null role, false, empty arrays."""
    off = account(conn, "off", "admin", ("distributor", "031"))
    conn.execute("update smf.account set disabled_at = now() where id = %s", (off,))
    nobody = (None, False, False, [], [], [])
    assert as_principal(conn, None) == nobody
    assert as_principal(conn, off) == nobody
    assert as_principal(conn, 2_000_000_000) == nobody  # no such account
