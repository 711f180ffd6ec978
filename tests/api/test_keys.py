"""API keys (issue 17 §4): the failed-login lockout counts the real peer (X-Forwarded-For only
from a trusted proxy: api/deps.py real_peer, cases in test_request_helpers.py), an unknown key id
costs the same argon2 check as a wrong secret, keys expire, and `smf user key --rotate` retires
the older keys (at once or after a grace period)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient

from api import auth
from db import driver, errors
from smf import cli
from tests.api.conftest import Seed


@pytest.fixture
def admin(fresh: tuple[Seed, TestClient[Any]], monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Any:
    seed, _ = fresh
    monkeypatch.setenv("SMF_DATABASE_URL", seed.settings.url)

    def run(*argv: str) -> tuple[int, str, str]:
        rc = cli.main(["user", *argv])
        out, err = capsys.readouterr()
        return rc, out, err

    return run


def _get(client: TestClient[Any], key: str, **headers: str) -> Any:
    return client.get(
        "/api/v1/search", params={"q": ""}, headers={"Authorization": f"Bearer {key}", **headers}
    )


@pytest.mark.slow
def test_forged_forwarded_for_does_not_reset_the_lockout(fresh: tuple[Seed, Any]) -> None:
    seed, client = fresh
    bad = "smf_aaaaaaaaaaaa_" + "x" * 43
    for i in range(10):  # ten failures, each "from" another forged address
        assert _get(client, bad, **{"X-Forwarded-For": f"203.0.113.{i}"}).status_code == 401
    r = _get(client, seed.keys["root"], **{"X-Forwarded-For": "198.51.100.77"})
    assert r.status_code == 429 and "too many failed logins from testclient" in r.text


@pytest.mark.slow
def test_unknown_key_id_and_wrong_secret_cost_one_argon2_check_each(
    client: TestClient[Any], seeded: Seed
) -> None:
    # the decoy hash has the parameters of a real key's hash: the same work per check
    real = auth.new_key()[2]
    assert auth._DECOY.split("$")[:4] == real.split("$")[:4]  # $argon2id$v=19$m=..,t=..,p=..
    key_id = seeded.keys["ana"].split("_")[1]
    cases = {
        "wrong secret": f"smf_{key_id}_" + "z" * 43,
        "unknown id": "smf_zzzzzzzzzzzz_" + "z" * 43,
        "malformed": "smf_nope",
    }
    for what, token in cases.items():
        before = auth.argon2_checks
        r = _get(client, token, **{"X-Forwarded-For": "ignored"})
        assert r.status_code in (401, 429), (what, r.text)
        if r.status_code == 401:
            assert auth.argon2_checks == before + 1, what


@pytest.mark.slow
def test_keys_expire(fresh: tuple[Seed, TestClient[Any]], admin: Any) -> None:
    seed, client = fresh
    rc, out, err = admin("key", "cli", "--expires-days", "30")
    token = out.strip()
    assert rc == 0 and ", valid until " in err
    assert _get(client, token).status_code == 200
    with driver.connect(seed.settings) as conn:
        row = conn.execute(
            "select expires_at from smf.api_key where id = %s", (token.split("_")[1],)
        ).fetchone()
        assert row is not None
        # 30 days from now, within the minute the command ran
        left = row[0] - datetime.now(UTC)
        assert timedelta(days=30) - timedelta(minutes=1) < left <= timedelta(days=30)
        conn.execute(
            "update smf.api_key set expires_at = now() - interval '1 second' where id = %s",
            (token.split("_")[1],),
        )
    r = _get(client, token)
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    past = datetime.now(UTC) - timedelta(days=1)
    with driver.connect(seed.settings) as conn, pytest.raises(errors.InvalidParameter):
        driver.run(
            conn, "user_key_add_expiring", name="cli", key_id="pastpastpast",
            hash=auth.new_key()[2], label=None, expires_at=past,
        )  # fmt: skip
    with pytest.raises(SystemExit):  # argparse refuses it: not in (0, 3650]
        admin("key", "cli", "--expires-days", "0")


@pytest.mark.slow
def test_rotate_retires_the_older_keys_now_or_after_a_grace(
    fresh: tuple[Seed, TestClient[Any]], admin: Any
) -> None:
    seed, client = fresh
    old = seed.keys["cli"]
    rc, out, err = admin("key", "cli", "--rotate", "--grace-hours", "2")
    mid = out.strip()
    assert rc == 0 and "rotated: 1 older key(s) of cli stop working at " in err
    assert _get(client, old).status_code == 200  # still inside its grace
    assert _get(client, mid).status_code == 200
    rc, out, err = admin("key", "cli", "--rotate")
    new = out.strip()
    assert rc == 0 and "rotated: 2 older key(s) of cli stop working now" in err
    assert _get(client, old).status_code == 401
    assert _get(client, mid).status_code == 401
    assert _get(client, new).status_code == 200
    assert _get(client, seed.keys["other"]).status_code == 200  # other accounts untouched
