"""Web sessions of the client view: the login form's API key stays in this process's memory; the
browser holds only a random session id signed with HMAC-SHA256 (HttpOnly, SameSite=Lax cookie).

The key is checked like any API request (api/auth.py, with its failed-login rate limit); every page
then opens one pooled connection acting for the key's account (api_enter), so row-level security
filters the rows in the database. Sessions end on logout, after SESSION_TTL_S, or when the server
restarts (the signing secret is drawn at start-up; `smf serve` runs one worker).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.datastructures import State

from api import auth
from api.deps import RequestDb, source_of
from api.errors import ApiError
from db import driver

COOKIE = "smf_web"
SESSION_TTL_S = 8 * 3600
_SECRET = secrets.token_bytes(32)
_sessions: dict[str, tuple[str, float]] = {}  # session id -> (API key, expiry, monotonic s)


class LoginRequired(Exception):
    """No valid session: the page handler's caller redirects to the login form."""


def _sign(sid: str) -> str:
    return hmac.new(_SECRET, sid.encode(), hashlib.sha256).hexdigest()


def open_session(token: str) -> str:
    """A new session for `token`; returns the cookie value (session id and its signature)."""
    now = time.monotonic()
    for sid in [s for s, (_, exp) in _sessions.items() if exp < now]:
        del _sessions[sid]
    sid = secrets.token_urlsafe(24)
    _sessions[sid] = (token, now + SESSION_TTL_S)
    return f"{sid}.{_sign(sid)}"


def _sid(cookie: str | None) -> str | None:
    sid, _, sig = (cookie or "").partition(".")
    return sid if sid and hmac.compare_digest(sig, _sign(sid)) else None


def close_session(cookie: str | None) -> None:
    sid = _sid(cookie)
    if sid:
        _sessions.pop(sid, None)


def token_of(cookie: str | None) -> str | None:
    sid = _sid(cookie)
    entry = _sessions.get(sid) if sid else None
    if entry is None or entry[1] < time.monotonic():
        return None
    return entry[0]


async def check_key(state: State, token: str, source: str) -> auth.Principal:
    """The principal of `token` (ApiError 401/429 as for any API request)."""
    pool: driver.AsyncPool = state.pool
    async with driver.aconnect(pool) as conn:
        return await auth.authenticate(pool, conn, token, source)


async def provide_page_db(
    request: Request[Any, Any, Any], state: State
) -> AsyncGenerator[RequestDb, None]:
    """The page's connection, acting for the session's account; LoginRequired without one."""
    token = token_of(request.cookies.get(COOKIE))
    if token is None:
        raise LoginRequired
    pool: driver.AsyncPool = state.pool
    async with driver.aconnect(pool) as conn:
        try:
            principal = await auth.authenticate(pool, conn, token, source_of(request))
        except ApiError as exc:  # the key was revoked since login
            if exc.status_code == 401:
                raise LoginRequired from exc
            raise
        await driver.arun(conn, "api_enter", account=principal.account_id)
        yield RequestDb(conn, principal)
