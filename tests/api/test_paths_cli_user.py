"""`smf user add|key|revoke|group|list` as an administrator runs them: the key it prints once
opens the API within the account's scope only, a revoked key is refused, a scoped database
login role made by `--db-role` connects over TCP with the password printed once."""

from __future__ import annotations

import os
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from smf import cli
from tests.api.conftest import Seed


@pytest.fixture
def admin(
    fresh: tuple[Seed, TestClient[Any]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Any:
    """Run `smf user ...` in this process against the fresh database; returns (rc, out, err)."""
    seed, _ = fresh
    monkeypatch.setenv("SMF_DATABASE_URL", seed.settings.url)

    def run(*argv: str) -> tuple[int, str, str]:
        rc = cli.main(["user", *argv])
        out, err = capsys.readouterr()
        return rc, out, err

    return run


@pytest.mark.slow
def test_key_opens_the_account_scope_only_until_revoked(
    fresh: tuple[Seed, TestClient[Any]], admin: Any
) -> None:
    seed, client = fresh
    mine, theirs = seed.ucs["M-A2"], seed.ucs["M-B1"]
    assert admin("add", "carla", "--role", "client", "--scope", f"uc:{mine}") == (
        0,
        "account carla (client) added\n",
        "",
    )
    rc, token, err = admin("key", "carla", "--label", "laptop")
    token = token.strip()
    assert rc == 0 and token.startswith("smf_") and len(token) > 40
    key_id = token.split("_")[1]
    assert err == f"# key {key_id} of carla; shown once, keep it secret\n"
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/meters/M-A2", headers=headers).status_code == 200
    assert client.get("/api/v1/meters/M-B1", headers=headers).status_code in (403, 404)
    rows = {line.split()[0]: line for line in admin("list")[1].splitlines()}
    assert rows["carla"].split()[1:] == ["client", "keys=1", "db_role=-", f"scopes=uc:{mine}"]
    assert theirs not in rows["carla"]

    assert admin("revoke", key_id) == (0, "1 key(s) revoked\n", "")
    assert client.get("/api/v1/meters/M-A2", headers=headers).status_code == 401
    assert admin("revoke", "carla") == (1, "0 key(s) revoked\n", "")  # nothing left: exit 1
    assert "keys=0" in {ln.split()[0]: ln for ln in admin("list")[1].splitlines()}["carla"]


@pytest.mark.slow
def test_group_scope_through_the_cli(fresh: tuple[Seed, TestClient[Any]], admin: Any) -> None:
    seed, client = fresh
    a1, b1 = seed.ucs["M-A1"], seed.ucs["M-B1"]
    assert admin("group", "mixed", a1, b1) == (0, "group mixed: 2 UC(s) added\n", "")
    assert admin("add", "gus", "--role", "analyst", "--scope", "group:mixed")[0] == 0
    token = admin("key", "gus")[1].strip()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/meters/M-A1", headers=headers).status_code == 200
    assert client.get("/api/v1/meters/M-B1", headers=headers).status_code == 200
    assert client.get("/api/v1/meters/M-A2", headers=headers).status_code in (403, 404)


@pytest.mark.slow
def test_bad_scope_is_refused_before_anything_is_written(admin: Any) -> None:
    with pytest.raises(SystemExit) as exc:  # argparse: usage error, exit 2
        admin("add", "zed", "--role", "client", "--scope", "building:7")
    assert exc.value.code == 2
    assert "zed" not in admin("list")[1]


@pytest.mark.slow
def test_unknown_account_is_one_line(admin: Any) -> None:
    rc, out, err = admin("key", "nobody")
    assert rc == 1 and out == ""
    assert err.startswith("error: ") and "nobody" in err and len(err.splitlines()) == 1


@pytest.mark.slow
def test_db_role_password_is_printed_once_and_works_over_tcp(
    fresh: tuple[Seed, TestClient[Any]], admin: Any
) -> None:
    seed, _ = fresh
    if seed.settings.external_url:
        pytest.skip("an external server has its own authentication")
    cs = seed.settings.cluster
    role = f"smf_t_cli_{os.getpid()}"
    mine = seed.ucs["M-A1"]
    rc, out, _ = admin(
        "add", "graf", "--role", "client", "--scope", f"uc:{mine}", "--db-role", role
    )
    try:
        assert rc == 0
        lines = out.splitlines()
        assert lines[:2] == [
            "account graf (client) added",
            f"database role {role} (read-only, scoped as graf); password, shown once:",
        ]
        password = lines[2]
        assert len(password) >= 24
        db = seed.settings.database
        with psycopg.connect(cs.tcp_url(db, role, password)) as conn:
            row = conn.execute("select array_agg(distinct serial) from smf_read.meter_15min")
            assert row.fetchone() == (["M-A1"],)
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(cs.tcp_url(db, role, password + "x")).close()
    finally:
        with psycopg.connect(seed.settings.url, autocommit=True) as conn:
            if conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone():
                conn.execute(f"drop owned by {role}")
                conn.execute(f"drop role {role}")
