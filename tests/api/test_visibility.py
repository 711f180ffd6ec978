"""Visibility both ways: each principal sees exactly its own rows in every scoped table, no
fewer and no more, in SQL and through the API.

The seed (tests/api/conftest.py + tests/api/scope_seed.py) has rows in every scoped table for
the UCs of M-A1 and M-A2 (distributor 001) and of M-B1 (distributor 002). Scopes, by hand:
root (admin) and svc (service) see everything; ana, analyst of distributor 001, the UCs of
M-A1 and M-A2; gina, analyst of group g1, the UC of M-A2; cli, client, the UC of M-A1;
other, client, the UC of M-B1.

Three paths: (1) SQL as the API runs it (role smf_api, smf.principal = the account) over every
scoped table of smf; (2) SQL as a database login role mapped to an account (Grafana, psql) over
every relation of smf_read; (3) the API's meter-data endpoints, alarm sheet and search. The
expected rows come from the hand-written attribution in scope_seed.OWNER_OF, never from the
policies under test. A policy that hides a principal's own rows fails the positive check (its
count must be > 0 and its rows exact); one that leaks fails the negative one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from db import driver
from db.cluster import scram_verifier
from tests.api.conftest import Seed, make_client, seeded_clone
from tests.api.scope_seed import ALSO_VISIBLE, OWNER_OF, add_scope_rows

SERIALS = ("M-A1", "M-A2", "M-B1")
SEES: dict[str, set[str] | None] = {  # account -> serials of the UCs it sees (None: all)
    "root": None,
    "svc": None,
    "ana": {"M-A1", "M-A2"},
    "gina": {"M-A2"},
    "cli": {"M-A1"},
    "other": {"M-B1"},
}
DISTS = {"ana": {"001"}}  # analyst scopes on a distributor (alarm groups of it)
EVERYONE_SEES_ALL = {"distributor"}  # its policy is `true`: names and agent codes are public
# smf_read views with no row of any UC, read whole by every role: the SQL catalogue (every
# function and view of smf and smf_read, 998_catalogue.sql)
EVERYONE_READS_VIEWS = {"catalogue"}
# smf_read copies of these tables read both storage tiers (510_scope_policies.sql: the view over
# smf.<table>_all), hot rows and sealed periods; attributed as OWNER_OF[table]
BOTH_TIERS = {"interval_reading", "rollup_15min", "rollup_hour"}


@pytest.fixture(scope="module")
def scope(test_cluster: Any, seeded_template: Any) -> Iterator[Seed]:
    from tests.conftest import drop

    s = seeded_clone(test_cluster, seeded_template)
    with psycopg.connect(s.settings.url) as conn:
        add_scope_rows(conn)
        conn.commit()
    yield s
    drop(s.settings)


@pytest.fixture(scope="module")
def ids(scope: Seed) -> dict[str, Any]:
    with psycopg.connect(scope.settings.url) as conn:
        return {
            "uc": dict(
                conn.execute(
                    "select m.serial, u.id from smf.consumer_unit u"
                    " join smf.meter m on m.id = u.main_meter_id"
                ).fetchall()
            ),
            "dist": dict(conn.execute("select aneel_code, id from smf.distributor").fetchall()),
            "account": dict(conn.execute("select name, id from smf.account").fetchall()),
        }


def _expected(
    conn: psycopg.Connection[Any], rel: str, who: str, ids: dict[str, Any], source: str = ""
) -> list[str]:
    """The rows of smf.<rel> (or of smf.<source>, a view of the same shape, with rel's
    attribution; read as the owner, who bypasses the policies) that `who` owns by the
    hand-written attribution, as sorted jsonb texts."""
    sees = SEES[who]
    if rel in EVERYONE_SEES_ALL or sees is None:
        cond = "true"
    else:
        owner = OWNER_OF[rel]
        cond = f"{owner} = any (%(ucs)s)" if owner else "false"
        if rel in ALSO_VISIBLE:
            cond = f"({cond}) or ({ALSO_VISIBLE[rel]})"
    params = {
        "ucs": [ids["uc"][s] for s in sees or ()],
        "dists": [ids["dist"][d] for d in DISTS.get(who, ())],
    }
    rows = conn.execute(
        f"select to_jsonb(t)::text from smf.{source or rel} t where {cond}",  # type: ignore[arg-type]
        params,
    ).fetchall()
    return sorted(r[0] for r in rows)


def _got(conn: psycopg.Connection[Any], rel: str, schema: str) -> list[str]:
    rows = conn.execute(f"select to_jsonb(t)::text from {schema}.{rel} t").fetchall()  # type: ignore[arg-type]
    return sorted(r[0] for r in rows)


@pytest.mark.slow
def test_every_scoped_table_is_attributed_and_seeded(scope: Seed) -> None:
    """A table added under row-level security must get an attribution in scope_seed.OWNER_OF
    and seeded rows for the three UCs, or this fails (so its visibility is tested both ways)."""
    with psycopg.connect(scope.settings.url) as conn:
        scoped = {
            r[0]
            for r in conn.execute(
                "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                " where n.nspname = 'smf' and c.relkind in ('r', 'p') and c.relrowsecurity"
                "   and has_table_privilege('smf_api', c.oid, 'select')"
            )
        }
        assert scoped == set(OWNER_OF) | EVERYONE_SEES_ALL
        for rel, owner in OWNER_OF.items():
            if owner is None:
                n = conn.execute(f"select count(*) from smf.{rel}").fetchone()[0]  # type: ignore[arg-type]
                assert n > 0, rel
                continue
            ucs = conn.execute(
                f"select count(distinct {owner}) from smf.{rel} t"  # type: ignore[arg-type]
            ).fetchone()[0]
            assert ucs == 3, f"{rel}: rows of {ucs} UCs, want all three"


@pytest.mark.parametrize("who", list(SEES))
def test_the_api_role_sees_exactly_its_own_rows_in_every_scoped_table(
    scope: Seed, ids: dict[str, Any], who: str
) -> None:
    """As the API runs a request: role smf_api, smf.principal = the account id."""
    wrong: list[str] = []
    with psycopg.connect(scope.settings.url) as conn:
        want = {rel: _expected(conn, rel, who, ids) for rel in [*OWNER_OF, *EVERYONE_SEES_ALL]}
        conn.execute("set role smf_api")
        conn.execute("select set_config('smf.principal', %s, false)", (str(ids["account"][who]),))
        for rel, rows in want.items():
            got = _got(conn, rel, "smf")
            if SEES[who] is not None and OWNER_OF.get(rel) is not None:
                assert rows, f"{rel}: the seed gives {who} no row of its own"
            if got != rows:
                extra = len(set(got) - set(rows))
                missing = len(set(rows) - set(got))
                wrong.append(f"{rel}: {missing} own rows hidden, {extra} foreign rows shown")
        conn.rollback()
    assert wrong == [], "\n".join(wrong)


@pytest.fixture(scope="module")
def login_roles(scope: Seed) -> Iterator[dict[str, str]]:
    """Database login roles mapped to new accounts with the scopes of cli and ana."""
    made: dict[str, str] = {}
    pid = os.getpid()
    with driver.connect(scope.settings) as conn:
        for who, kind, ref in (
            ("cli", "uc", scope.ucs["M-A1"]),
            ("ana", "distributor", "001"),
        ):
            role = f"smf_t_vis_{who}_{pid}"
            name = f"vis{who}{pid}"
            driver.run(
                conn,
                "user_add",
                name=name,
                role="client" if who == "cli" else "analyst",
                db_role=role,
            )
            driver.run(conn, "user_scope_add", name=name, kind=kind, ref=ref)
            driver.run(conn, "user_db_role_create", db_role=role, verifier=scram_verifier("pw"))
            made[who] = role
    yield made
    with psycopg.connect(scope.settings.url, autocommit=True) as conn:
        for role in made.values():
            conn.execute(f"drop owned by {role}")  # type: ignore[arg-type]
            conn.execute(f"drop role {role}")  # type: ignore[arg-type]


# smf_read views over smf views: the UC of each row, by hand
VIEW_OWNER = {
    **{
        v: "(select u.id from smf.consumer_unit u where t.meter_id in"
        " (u.main_meter_id, u.backup_meter_id))"
        for v in (
            "meter_15min",
            "meter_hourly",
            "meter_daily",
            "meter_monthly",
            "alarm_coverage",
            "meter_connectivity_daily",
            "fleet_poll_health",
            "alarm_sheet",
            "interval_reading_all",
            "interval_sealed_rows",
            "rollup_15min_all",
            "rollup_hour_all",
        )
    },
    "uc_directory": "t.uc_id",
    "interval_label": "smf.uc_id(t.uc_code)",
    "hour_label": "smf.uc_id(t.uc_code)",
    "ccee_board_recent": "smf.uc_id(t.uc_code)",
}


@pytest.mark.slow
@pytest.mark.parametrize("who", ["cli", "ana"])
def test_a_mapped_login_role_sees_exactly_its_own_rows_in_every_smf_read_relation(
    scope: Seed, ids: dict[str, Any], login_roles: dict[str, str], who: str
) -> None:
    """Every relation of smf_read: scoped tables by OWNER_OF, views by VIEW_OWNER, reference
    tables whole. The role's own rows are there (count > 0) and nothing else."""
    with psycopg.connect(scope.settings.url) as conn:
        rels = [
            r[0]
            for r in conn.execute(
                "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                " where n.nspname = 'smf_read' and c.relkind = 'v' order by 1"
            )
        ]
        reference = set(
            conn.execute("select unnest(smf.scope_reference_tables())").fetchall()[i][0]
            for i in range(
                len(conn.execute("select unnest(smf.scope_reference_tables())").fetchall())
            )
        )
        want: dict[str, list[str]] = {}
        for rel in rels:
            if rel in VIEW_OWNER:
                ucs = [ids["uc"][s] for s in SEES[who] or ()]
                rows = conn.execute(
                    f"select to_jsonb(t)::text from smf.{rel} t"  # type: ignore[arg-type]
                    f" where {VIEW_OWNER[rel]} = any (%s)",
                    (ucs,),
                ).fetchall()
                want[rel] = sorted(r[0] for r in rows)
            elif rel in EVERYONE_READS_VIEWS:
                # the catalogue prints type names relative to the reader's search_path (the
                # owner's "$user" is schema smf): read both sides with the same one
                conn.execute("set search_path to public")
                want[rel] = _got(conn, rel, "smf")
                conn.execute("reset search_path")
            elif rel in reference or rel in EVERYONE_SEES_ALL:
                want[rel] = _got(conn, rel, "smf")
            elif rel in BOTH_TIERS:
                want[rel] = _expected(conn, rel, who, ids, source=f"{rel}_all")
            else:
                want[rel] = _expected(conn, rel, who, ids)
    unknown = [
        r
        for r in rels
        if r not in VIEW_OWNER
        and r not in OWNER_OF
        and r not in reference
        and r not in EVERYONE_SEES_ALL
        and r not in EVERYONE_READS_VIEWS
    ]
    assert unknown == []
    url = scope.settings.url.replace(f"{scope.settings.cluster.user}@", f"{login_roles[who]}@", 1)
    wrong = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("set search_path to public")
        for rel in rels:
            try:
                got = _got(conn, rel, "smf_read")
            except psycopg.Error as exc:
                wrong.append(f"{rel}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
                continue
            own = OWNER_OF.get(rel, VIEW_OWNER.get(rel))
            if own is not None or rel in EVERYONE_READS_VIEWS:
                assert want[rel], f"{rel}: the seed gives {who} no row of its own"
            if got != want[rel]:
                wrong.append(
                    f"{rel}: {len(set(want[rel]) - set(got))} own rows hidden,"
                    f" {len(set(got) - set(want[rel]))} foreign rows shown"
                )
    assert wrong == [], "\n".join(wrong)


METER_ENDPOINTS = {
    # path -> how to read the seeded row's mark out of the response (scope_seed tags each row)
    "registers": lambda body, k, s: [r["registers"] for r in body] == [[k] * 7],
    "instantaneous": lambda body, k, s: [r["values"] for r in body] == [{"tag": s}],
    "events": lambda body, k, s: [r["message"] for r in body] == [s],
    "outages": lambda body, k, s: len(body) == 1,
    "alterations": lambda body, k, s: [r["reader_serial"] for r in body] == [s],
    "connectivity": lambda body, k, s: [a["duration_ms"] for a in body["attempts"]] == [k],
}


@pytest.fixture(scope="module")
def scope_client(scope: Seed) -> Iterator[TestClient[Any]]:
    with make_client(scope.settings) as c:
        yield c


@pytest.mark.parametrize("who", list(SEES))
def test_the_api_shows_each_role_its_own_meter_data_and_404_for_the_rest(
    scope: Seed, scope_client: TestClient[Any], who: str
) -> None:
    h = scope.headers(who)
    sees = SEES[who] or set(SERIALS)
    for k, serial in enumerate(sorted(SERIALS), start=1):
        for path, mark in METER_ENDPOINTS.items():
            r = scope_client.get(f"/api/v1/meters/{serial}/{path}", headers=h)
            if serial in sees:
                assert r.status_code == 200, (who, serial, path, r.text[:200])
                assert mark(r.json(), k, serial), (who, serial, path, r.json())
            else:
                assert r.status_code == 404, (who, serial, path, r.status_code)


@pytest.mark.parametrize("who", list(SEES))
def test_the_alarm_sheet_and_search_list_exactly_the_roles_ucs(
    scope: Seed, scope_client: TestClient[Any], who: str
) -> None:
    h = scope.headers(who)
    sees = SEES[who] or set(SERIALS)
    sheet = scope_client.get("/api/v1/alarms", headers=h)
    assert sheet.status_code == 200, sheet.text[:200]
    rows = sheet.json()
    rows = rows["rows"] if isinstance(rows, dict) else rows
    assert sorted(a["message"] for a in rows if a["message"] in SERIALS) == sorted(sees)
    found = scope_client.get("/api/v1/search", params={"q": "Cliente"}, headers=h)
    assert found.status_code == 200, found.text[:200]
    codes = sorted(u["uc_code"] for u in found.json()["units"])
    assert codes == sorted(scope.ucs[s] for s in sees)
