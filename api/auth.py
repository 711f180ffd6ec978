"""API keys: `smf_<key id>_<secret>`, given as `Authorization: Bearer <key>` or `X-API-Key`.

The database keeps the key id and the argon2id hash of the secret only. A verified (key, hash)
pair is remembered in this process by the SHA-256 of the key, so argon2 (tens of milliseconds
by design) runs once per key and process, while every request still looks the key up (a revoked
or expired key stops working at once). A key that is not live (unknown id, revoked, expired,
malformed) is checked against a decoy hash with the same argon2 parameters, so a wrong secret
and an unknown key id take the same time: key ids cannot be told apart by timing. Failed logins
are recorded per source address in the database (the TCP peer, or the client a trusted proxy
names: api/deps.py source_of); after 10 within 5 minutes that address gets 429 until the window
has passed.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError, VerifyMismatchError

from api.errors import ApiError
from db import driver

_TOKEN = re.compile(r"^smf_([a-z0-9]{12})_([A-Za-z0-9_-]{32,128})$")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_hasher = PasswordHasher()
_verified: dict[bytes, str] = {}  # sha256(key) -> the hash it verified against
_VERIFIED_MAX = 10_000
# The decoy: a hash of a random secret nobody knows, made with the same parameters as real keys.
_DECOY = _hasher.hash(secrets.token_urlsafe(32))
argon2_checks = 0  # argon2 verifications run by this process (tests count them)


@dataclass(frozen=True, slots=True)
class Principal:
    account_id: int
    name: str
    role: str  # admin, analyst, client, service


def new_key() -> tuple[str, str, str]:
    """A new key: (key id, the whole key to hand to its owner once, argon2id hash to store)."""
    key_id = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    token = f"smf_{key_id}_{secrets.token_urlsafe(32)}"
    return key_id, token, _hasher.hash(_secret(token))


def _secret(token: str) -> str:
    return token[len("smf_") + 12 + 1 :]


def key_id(token: str) -> str:
    """The public key id of a well-formed key `token` ("" when it is malformed)."""
    m = _TOKEN.match(token)
    return m.group(1) if m else ""


def token_from(headers: Any) -> str | None:
    auth = headers.get("authorization") or ""
    if auth[:7].lower() == "bearer ":
        return str(auth[7:].strip())
    key = headers.get("x-api-key")
    return str(key).strip() if key else None


def _unauthenticated(detail: str) -> ApiError:
    return ApiError(401, detail, headers={"WWW-Authenticate": 'Bearer realm="smf"'})


async def authenticate(
    pool: driver.AsyncPool,
    conn: driver.AsyncConnection,
    token: str | None,
    source: str,
    *,
    enter: bool = False,
) -> Principal:
    """The principal of `token`. Raises ApiError 401 (no, malformed, unknown, revoked key; the
    failure is recorded) or 429 (too many failures from `source`).

    With `enter`, `conn` acts for the principal when this returns (api_enter: role smf_api, so
    row-level security filters every later statement of the transaction). A key this process
    has verified before, whose stored hash is still the one it was verified against, is looked
    up and entered in one round trip (db/queries/api.sql api_authenticate); any other key is
    verified first and entered after."""
    m = _TOKEN.match(token or "")
    known = _verified.get(hashlib.sha256(token.encode()).digest()) if token and m else None
    row = await driver.arun_one(
        conn,
        "api_authenticate",
        source=source,
        key_id=m.group(1) if m else "",
        enter=enter,
        known_hash=known,
    )
    wait_s = int(row["wait_s"]) if row else 0
    if wait_s > 0:
        raise ApiError(
            429,
            f"too many failed logins from {source}; try again in {wait_s} s",
            headers={"Retry-After": str(wait_s)},
        )
    if token is None:
        raise _unauthenticated("an API key is required: Authorization: Bearer <key>")
    live = bool(m and row and row["hash"])
    if live and row["entered"]:  # type: ignore[index]
        return Principal(row["account_id"], row["account_name"], row["role"])  # type: ignore[index]
    if await _verify(row["hash"] if live else _DECOY, token) and live:  # type: ignore[index]
        principal = Principal(row["account_id"], row["account_name"], row["role"])  # type: ignore[index]
        if enter:
            await driver.arun(conn, "api_enter", account=principal.account_id)
        return principal
    async with driver.aconnect(pool) as other:  # committed even though this request fails
        await driver.arun(other, "api_login_failed", source=source)
    raise _unauthenticated("unknown, malformed, revoked or expired API key")


async def _verify(hash_: str, token: str) -> bool:
    """True when `token`'s secret matches argon2id hash `hash_` (remembered once it did)."""
    global argon2_checks
    digest = hashlib.sha256(token.encode()).digest()
    if _verified.get(digest) == hash_:
        return True
    argon2_checks += 1
    try:
        await asyncio.to_thread(_hasher.verify, hash_, _secret(token) or "-")
    except (VerifyMismatchError, VerificationError):
        return False
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified[digest] = hash_
    return True
