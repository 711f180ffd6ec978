"""Web sessions of the client view, kept in the database so every worker of `smf serve` (and a
restarted server) honours them: the browser holds a random session token (256 bits, HttpOnly,
SameSite=Lax cookie), smf.web_session its SHA-256, the account and the API key it was opened with,
and the expiry (db/functions/505_web_sessions.sql). The key itself is never kept.

Login checks the key like any API request (api/auth.py, with its failed-login lockout, which lives
in the database too) and opens the session; every page then looks the session up (one query as
the API's login role: the lockout of the address, then the account while the session is unexpired
and its key live) and, in the same statement, makes that pooled connection act for the account
(api_enter: db/queries/web.sql web_session_enter), so row-level security filters the rows in the
database. Sessions end on logout (everywhere at once:
the row is gone), after SESSION_TTL_S, or when the key is revoked or the account disabled.

CSRF (every form post of /web): the expected token is derived from the request's own cookies, so
every worker computes the same one and no secret lives in process memory. With a session it is
HMAC-SHA256(session token, "smf-csrf"): another site can neither read the HttpOnly session cookie
nor compute it. Before login (the login form) it is the random value of the `smf_csrf` cookie
(HttpOnly, SameSite=Strict: a post from another site does not carry it), echoed in the form.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import AsyncGenerator, Callable
from typing import Any

from litestar import Request, Response
from litestar.datastructures import State
from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import PermissionDeniedException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api import auth
from api.deps import RequestDb, is_https, source_of
from api.errors import ApiError
from db import driver

COOKIE = "smf_web"
CSRF_COOKIE = "smf_csrf"
CSRF_FIELD = "_csrf_token"
SESSION_TTL_S = 8 * 3600
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class LoginRequired(Exception):
    """No valid session: the page handler's caller redirects to the login form."""


def _well_formed(token: str | None) -> str | None:
    """`token` when it looks like one we issue (43 URL-safe characters), else None."""
    return token if token and len(token) == 43 and set(token) <= _TOKEN_CHARS else None


def digest(token: str) -> bytes:
    """What the database keeps of a session token: its SHA-256 (32 bytes)."""
    return hashlib.sha256(token.encode()).digest()


async def open_session(state: State, token: str) -> str:
    """A new session for the (verified) API key `token`; returns the cookie value (the session
    token). Raises db.errors.NotFound when the key stopped being live meanwhile."""
    session_token = secrets.token_urlsafe(32)
    key_id = auth.key_id(token)
    async with driver.aconnect(state.pool) as conn:
        await driver.arun(
            conn,
            "web_session_open",
            token_sha256=digest(session_token),
            key_id=key_id,
            ttl_s=SESSION_TTL_S,
        )
    return session_token


async def close_session(state: State, cookie: str | None) -> None:
    """End the session of `cookie` for every worker (its row is deleted)."""
    token = _well_formed(cookie)
    if token:
        async with driver.aconnect(state.pool) as conn:
            await driver.arun(conn, "web_session_close", token_sha256=digest(token))


async def check_key(state: State, token: str, source: str) -> auth.Principal:
    """The principal of `token` (ApiError 401/429 as for any API request)."""
    pool: driver.AsyncPool = state.pool
    async with driver.aconnect(pool) as conn:
        return await auth.authenticate(pool, conn, token, source)


async def provide_page_db(
    request: Request[Any, Any, Any], state: State
) -> AsyncGenerator[RequestDb, None]:
    """The page's connection, acting for the session's account; LoginRequired without a live
    session, ApiError 429 while the address is locked out after failed logins."""
    token = _well_formed(request.cookies.get(COOKIE))
    if token is None:
        raise LoginRequired
    source = source_of(request)
    pool: driver.AsyncPool = state.pool
    async with driver.aconnect(pool) as conn:
        # the session's account, entered (api_enter) in the same round trip when valid
        row = await driver.arun_one(
            conn, "web_session_enter", token_sha256=digest(token), source=source
        )
        wait_s = int(row["wait_s"]) if row else 0
        if wait_s > 0:
            raise ApiError(
                429,
                f"too many failed logins from {source}; try again in {wait_s} s",
                headers={"Retry-After": str(wait_s)},
            )
        if row is None or row["account_id"] is None or not row["entered"]:
            raise LoginRequired
        principal = auth.Principal(row["account_id"], row["account_name"], row["role"])
        yield RequestDb(conn, principal)


# --- CSRF ----------------------------------------------------------------------------------


def csrf_expected(cookies: dict[str, str]) -> str | None:
    """The CSRF token a form post with these cookies must carry (None: no cookie to bind it to,
    every post is refused)."""
    session_token = _well_formed(cookies.get(COOKIE))
    if session_token:
        return hmac.new(session_token.encode(), b"smf-csrf", hashlib.sha256).hexdigest()
    return _well_formed(cookies.get(CSRF_COOKIE))


def csrf_token(request: Request[Any, Any, Any]) -> str:
    """The token the page's forms carry (api/pages/views.py page): see csrf_expected; before any
    cookie, the value CsrfMiddleware sets in the `smf_csrf` cookie of this very response."""
    return csrf_expected(request.cookies) or str(request.scope.get("smf_csrf_new", ""))


class CsrfMiddleware:
    """Refuse (403) a form post of /web whose `_csrf_token` is not csrf_expected of its cookies;
    give a browser without a pre-login token (cookie `smf_csrf`) one on its next safe request.
    `secure_cookies`: that cookie carries Secure (served over TLS behind a proxy); so it does
    for a request that came over TLS (api/deps.is_https), as the session cookie does."""

    def __init__(
        self,
        app: ASGIApp,
        secure_cookies: bool = False,
        refuse: Callable[[Request[Any, Any, Any], Exception], Response[Any]] | None = None,
    ) -> None:
        self.app = app
        self.secure_cookies = secure_cookies
        self.refuse = refuse  # renders the refusal (the router's error page), inside the app's
        # middleware so the response carries the security headers like any other

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        request: Request[Any, Any, Any] = scope["litestar_app"].request_class(
            scope=scope, receive=receive
        )
        cookies = request.cookies
        if request.method in ("GET", "HEAD", "OPTIONS"):
            if _well_formed(cookies.get(CSRF_COOKIE)) is None:
                new = secrets.token_urlsafe(32)
                scope["smf_csrf_new"] = new  # type: ignore[typeddict-unknown-key]
                secure = self.secure_cookies or is_https(request)
                send = self._with_cookie(send, new, secure)
            await self.app(scope, receive, send)
            return
        given: Any = request.headers.get("x-csrf-token")
        content_type, _ = request.content_type
        if not given and content_type in (
            RequestEncodingType.URL_ENCODED,
            RequestEncodingType.MULTI_PART,
        ):
            given = (await request.form()).get(CSRF_FIELD)
        expected = csrf_expected(cookies)
        ok = isinstance(given, str) and expected is not None
        if not (ok and hmac.compare_digest(str(given).encode(), str(expected).encode())):
            refusal = PermissionDeniedException("CSRF token verification failed")
            if self.refuse is None:
                raise refusal
            response = self.refuse(request, refusal)
            await response.to_asgi_response(None, request)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _with_cookie(self, send: Send, value: str, secure: bool) -> Send:
        from litestar.datastructures import Cookie, MutableScopeHeaders

        cookie = Cookie(
            key=CSRF_COOKIE,
            value=value,
            path="/web",
            secure=secure,
            httponly=True,
            samesite="strict",
        )

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])  # type: ignore[typeddict-item]
                MutableScopeHeaders.from_message(message).add(  # type: ignore[arg-type]
                    "set-cookie", cookie.to_header(header="")
                )
            await send(message)

        return wrapped
