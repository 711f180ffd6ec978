"""The alarm sheet over HTTP: who sees which alarm, acknowledgement and closing through the API
(who = the API principal, when, comment), thresholds per meter and default.

Scopes (tests/api/conftest.py): ana analyst of distributor 001 (M-A1, M-A2); gina analyst of group
g1 (M-A2); cli client of M-A1's UC; other client of M-B1's UC; root admin.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from tests.api.conftest import Seed

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def alarms(seeded: Seed) -> dict[str, int]:
    """One open alarm per meter: rule a (voltage) on M-A1 and M-B1, rule b on M-A2."""
    ids: dict[str, int] = {}
    with psycopg.connect(seeded.settings.url) as c:
        for serial, rule in (("M-A1", "a"), ("M-A2", "b"), ("M-B1", "a")):
            row = c.execute(
                "select smf.alarm_raise(%s, m.id, %s, %s, 140, 133.35, 'A', 'instantaneous',"
                " 'high V')"
                " from smf.meter m where m.serial = %s",
                (rule, T0, T0, serial),
            ).fetchone()
            assert row is not None
            ids[serial] = row[0]
    return ids


def sheet(client: TestClient[Any], seeded: Seed, who: str, **params: Any) -> dict[int, Any]:
    r = client.get("/api/v1/alarms", params=params, headers=seeded.headers(who))
    assert r.status_code == 200, r.text
    return {a["id"]: a for a in r.json()}


@pytest.mark.slow
def test_each_account_sees_its_scope(
    client: TestClient[Any], seeded: Seed, alarms: dict[str, int]
) -> None:
    sees = {
        "root": {"M-A1", "M-A2", "M-B1"},
        "ana": {"M-A1", "M-A2"},
        "gina": {"M-A2"},
        "cli": {"M-A1"},
        "other": {"M-B1"},
    }
    for who, meters in sees.items():
        got = set(sheet(client, seeded, who)) & set(alarms.values())
        assert got == {alarms[m] for m in meters}, who
    a1 = sheet(client, seeded, "cli")[alarms["M-A1"]]
    assert a1["uc_code"] == seeded.ucs["M-A1"] and a1["rule_code"] == "a"
    # numerics travel as decimal strings (exact)
    assert Decimal(a1["value"]) == 140 and Decimal(a1["threshold"]) == Decimal("133.35")
    assert a1["state"] == "open"


def test_filters(client: TestClient[Any], seeded: Seed, alarms: dict[str, int]) -> None:
    by_rule = sheet(client, seeded, "root", rule="b")
    assert alarms["M-A2"] in by_rule and alarms["M-A1"] not in by_rule
    by_uc = sheet(client, seeded, "root", uc=seeded.ucs["M-B1"])
    assert set(by_uc) & set(alarms.values()) == {alarms["M-B1"]}
    # a client filtering on another UC gets nothing, not the other UC's alarms
    assert sheet(client, seeded, "cli", uc=seeded.ucs["M-B1"]) == {}
    r = client.get("/api/v1/alarms", params={"state": "nope"}, headers=seeded.headers("root"))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")


def test_client_may_not_ack(client: TestClient[Any], seeded: Seed, alarms: dict[str, int]) -> None:
    r = client.post(
        f"/api/v1/alarms/{alarms['M-A1']}/ack",
        json={"comment": "mine"},
        headers=seeded.headers("cli"),
    )
    assert r.status_code == 403, r.text
    assert sheet(client, seeded, "cli")[alarms["M-A1"]]["state"] == "open"


def test_analyst_outside_scope_gets_404(
    client: TestClient[Any], seeded: Seed, alarms: dict[str, int]
) -> None:
    for who, serial in (("ana", "M-B1"), ("gina", "M-A1")):
        for verb in ("ack", "close"):
            r = client.post(
                f"/api/v1/alarms/{alarms[serial]}/{verb}",
                json={"comment": "not mine"},
                headers=seeded.headers(who),
            )
            assert r.status_code == 404, (who, verb, r.text)
    assert sheet(client, seeded, "root")[alarms["M-B1"]]["state"] == "open"
    assert sheet(client, seeded, "root")[alarms["M-A1"]]["state"] == "open"


def test_comment_required(client: TestClient[Any], seeded: Seed, alarms: dict[str, int]) -> None:
    h = seeded.headers("ana")
    for body in ({}, {"comment": ""}, {"comment": "   "}):
        r = client.post(f"/api/v1/alarms/{alarms['M-A2']}/ack", json=body, headers=h)
        assert r.status_code in (400, 422), (body, r.text)
    assert sheet(client, seeded, "ana")[alarms["M-A2"]]["acknowledged_at"] is None


def test_ack_then_close_lifecycle(
    client: TestClient[Any], seeded: Seed, alarms: dict[str, int]
) -> None:
    h = seeded.headers("gina")
    aid = alarms["M-A2"]
    before = datetime.now(UTC)
    r = client.post(f"/api/v1/alarms/{aid}/ack", json={"comment": "seen, calling"}, headers=h)
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["state"] == "acknowledged" and a["acknowledged_by"] == "gina"
    assert a["ack_comment"] == "seen, calling"
    assert before <= datetime.fromisoformat(a["acknowledged_at"]) <= datetime.now(UTC)
    # ack twice: 409, the first acknowledgement stays
    r = client.post(f"/api/v1/alarms/{aid}/ack", json={"comment": "again"}, headers=h)
    assert r.status_code == 409 and "already acknowledged" in r.json()["detail"]
    assert sheet(client, seeded, "root")[aid]["ack_comment"] == "seen, calling"
    # the client of that UC? none here; M-A2 is seen by ana too, who closes it
    r = client.post(
        f"/api/v1/alarms/{aid}/close", json={"comment": "fixed CT"}, headers=seeded.headers("ana")
    )
    assert r.status_code == 200, r.text
    c = r.json()
    assert c["state"] == "closed" and c["closed_by"] == "ana" and c["close_comment"] == "fixed CT"
    assert aid not in sheet(client, seeded, "root")  # closed ones only with all/state
    assert aid in sheet(client, seeded, "root", state="closed")
    assert aid in sheet(client, seeded, "root", all=True)
    r = client.post(f"/api/v1/alarms/{aid}/close", json={"comment": "x"}, headers=h)
    assert r.status_code == 409
    r = client.post(f"/api/v1/alarms/{aid}/ack", json={"comment": "x"}, headers=h)
    assert r.status_code == 409
    with psycopg.connect(seeded.settings.url) as conn:
        events = [
            e
            for (e,) in conn.execute(
                "select event from smf.alarm_notification where alarm_id = %s order by id", (aid,)
            )
        ]
    assert events == ["opened", "acknowledged", "closed"]


def test_unknown_alarm_404(client: TestClient[Any], seeded: Seed) -> None:
    r = client.post(
        "/api/v1/alarms/999999/ack", json={"comment": "x"}, headers=seeded.headers("root")
    )
    assert r.status_code == 404


def test_thresholds(client: TestClient[Any], seeded: Seed) -> None:
    # analyst: a meter in scope yes, out of scope 404, the default 403
    r = client.put(
        "/api/v1/alarms/rules/a",
        json={"value": "140", "meter_serial": "M-A1"},
        headers=seeded.headers("ana"),
    )
    assert r.status_code == 200, r.text
    r = client.put(
        "/api/v1/alarms/rules/a",
        json={"value": "140", "meter_serial": "M-B1"},
        headers=seeded.headers("ana"),
    )
    assert r.status_code == 404
    r = client.put("/api/v1/alarms/rules/a", json={"value": "150"}, headers=seeded.headers("ana"))
    assert r.status_code == 403
    r = client.put(
        "/api/v1/alarms/rules/a",
        json={"value": "1", "meter_serial": "M-A1"},
        headers=seeded.headers("cli"),
    )
    assert r.status_code == 403
    r = client.put("/api/v1/alarms/rules/z", json={"value": "1"}, headers=seeded.headers("root"))
    assert r.status_code == 404
    r = client.put("/api/v1/alarms/rules/a", json={"value": "150"}, headers=seeded.headers("root"))
    assert r.status_code == 200, r.text

    def levels(who: str) -> dict[str, Any]:
        r = client.get("/api/v1/alarms/rules", headers=seeded.headers(who))
        assert r.status_code == 200, r.text
        return {
            x["level"]: Decimal(x["value"])
            for x in r.json()
            if x["code"] == "a" and x["level"] and x["valid_to"] is None
        }

    root = levels("root")
    assert root["meter M-A1"] == 140 and root["default"] == 150
    assert "meter M-A1" not in levels("other")  # another UC's meter threshold is not shown
    assert levels("cli")["meter M-A1"] == 140


def _as_principal(conn: psycopg.Connection[Any], name: str) -> None:
    """Act in this transaction as the API does for account `name` (role smf_api + principal)."""
    conn.execute(
        "select set_config('role', 'smf_api', true),"
        " set_config('smf.principal', (select id::text from smf.account where name = %s), true)",
        (name,),
    )


def test_the_database_bounds_alarm_writes_to_the_scope(
    seeded: Seed, alarms: dict[str, int]
) -> None:
    """The write policies, without the API's own checks in front: as smf_api for an analyst of
    distributor 001, an alarm of distributor 002 is "no alarm", a client may not update alarms
    at all, and a default threshold (which applies beyond any one scope) is refused."""
    with psycopg.connect(seeded.settings.url) as conn:
        with conn.transaction(force_rollback=True):
            _as_principal(conn, "ana")
            with pytest.raises(psycopg.DatabaseError, match="no alarm"):
                conn.execute("select smf.alarm_close(%s, 'ana', 'not mine')", (alarms["M-B1"],))
        with conn.transaction(force_rollback=True):
            _as_principal(conn, "ana")
            # a plain update of an out-of-scope row touches nothing
            cur = conn.execute(
                "update smf.alarm set close_comment = 'x' where id = %s", (alarms["M-B1"],)
            )
            assert cur.rowcount == 0
            # the evaluation columns stay the owner's even in scope
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("update smf.alarm set value = 0 where id = %s", (alarms["M-A1"],))
        with conn.transaction(force_rollback=True):
            _as_principal(conn, "cli")  # sees M-A1's alarm, may not change it
            cur = conn.execute(
                "update smf.alarm set close_comment = 'x' where id = %s", (alarms["M-A1"],)
            )
            assert cur.rowcount == 0
        with conn.transaction(force_rollback=True):
            _as_principal(conn, "ana")
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
                conn.execute(
                    "select smf.alarm_set_threshold('a', 150, null, true, null, null, null, 'ana')"
                )
        with conn.transaction(force_rollback=True):
            _as_principal(conn, "ana")  # a meter of its scope: allowed, and the outbox row too
            state = conn.execute(
                "select smf.alarm_acknowledge(%s, 'ana', 'seen')", (alarms["M-A1"],)
            ).fetchone()
            assert state == ("acknowledged",)
            conn.execute("reset role")
            events = conn.execute(
                "select event from smf.alarm_notification where alarm_id = %s order by id",
                (alarms["M-A1"],),
            ).fetchall()
            assert events[-1] == ("acknowledged",)
