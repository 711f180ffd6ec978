"""A request acts for its key's account (api/auth.py authenticate with enter=True): after the key
is checked, the transaction runs as role smf_api with the account as principal, so row-level
security filters what it reads. A key this process verified before is checked and entered in one
round trip (db/queries/api.sql api_authenticate); that shortcut must vouch only for the stored
hash the key was verified against, and never enter a locked-out address."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from api import auth
from api.errors import ApiError
from db import driver
from tests.api.conftest import Seed

WHO = "select current_user::text, current_setting('smf.principal', true)"


async def _acting_as(pool: driver.AsyncPool, token: str, source: str) -> tuple[Any, ...]:
    """(role, principal) of a transaction right after authenticate(enter=True), or the status
    of the ApiError it raised with the role the connection kept."""
    async with driver.aconnect(pool) as conn:
        try:
            p = await auth.authenticate(pool, conn, token, source, enter=True)
        except ApiError as exc:
            row = await (await conn.execute(WHO)).fetchone()
            return ("refused", exc.status_code, row)
        row = await (await conn.execute(WHO)).fetchone()
        return ("entered", p.account_id, row)


def _account_id(seed: Seed, name: str) -> int:
    with driver.connect(seed.settings) as conn:
        row = conn.execute("select id from smf.account where name = %s", (name,)).fetchone()
        assert row is not None
        return int(row[0])


def _run(seed: Seed, *calls: tuple[str, str]) -> list[tuple[Any, ...]]:
    async def go() -> list[tuple[Any, ...]]:
        pool = await driver.open_async_pool(seed.settings.url, min_size=1, max_size=2)
        try:
            return [await _acting_as(pool, token, source) for token, source in calls]
        finally:
            await pool.close()

    return asyncio.run(go())


def test_a_key_acts_for_its_account_whether_verified_now_or_before(seeded: Seed) -> None:
    cli = _account_id(seeded, "cli")
    token = seeded.keys["cli"]
    first, again = _run(seeded, (token, "192.0.2.1"), (token, "192.0.2.1"))
    assert first == ("entered", cli, ("smf_api", str(cli)))
    assert again == ("entered", cli, ("smf_api", str(cli)))


@pytest.mark.slow
def test_a_verified_key_whose_stored_hash_changed_is_refused_and_not_entered(
    fresh: tuple[Seed, Any],
) -> None:
    seed, _ = fresh
    token = seed.keys["cli"]
    key_id = auth.key_id(token)

    async def go() -> list[tuple[Any, ...]]:
        pool = await driver.open_async_pool(seed.settings.url, min_size=1, max_size=2)
        try:
            out = [await _acting_as(pool, token, "192.0.2.2")]  # verified: now remembered
            async with driver.aconnect(pool) as conn:  # the key's hash is replaced (re-keyed)
                await conn.execute(
                    "update smf.api_key set hash = %s where id = %s", (auth.new_key()[2], key_id)
                )
            out.append(await _acting_as(pool, token, "192.0.2.2"))
            return out
        finally:
            await pool.close()

    before, after = asyncio.run(go())
    assert before[0] == "entered"
    # refused: 401, and the transaction still runs as the pool's own role, with no principal
    assert after[:2] == ("refused", 401)
    assert after[2][0] != "smf_api" and after[2][1] in (None, "")


@pytest.mark.slow
def test_a_locked_out_address_is_refused_even_with_a_verified_key(
    fresh: tuple[Seed, Any],
) -> None:
    seed, _ = fresh
    token = seed.keys["cli"]
    bad = "smf_aaaaaaaaaaaa_" + "x" * 43
    calls = [(token, "192.0.2.3")] + [(bad, "192.0.2.3")] * 10 + [(token, "192.0.2.3")]
    out = _run(seed, *calls)
    assert out[0][0] == "entered"
    assert all(o[:2] == ("refused", 401) for o in out[1:-1][:5])
    last = out[-1]
    assert last[:2] == ("refused", 429)
    assert last[2][0] != "smf_api" and last[2][1] in (None, "")
