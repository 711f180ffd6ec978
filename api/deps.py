"""Per-request dependencies: one pooled connection in one transaction, acting as the caller.

The transaction authenticates the key (as the pool's user), then assumes role smf_api with the
principal set (db/queries/api.sql: api_enter; for a key this process has verified before, both
in one round trip: api_authenticate), so row-level security filters every row the
handler reads or writes. It commits when the handler returns and rolls back when it raises.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from api import auth
from api.errors import ApiError
from db import driver


@dataclass(slots=True)
class RequestDb:
    conn: driver.AsyncConnection
    principal: auth.Principal

    async def rows(self, name: str, /, **params: Any) -> list[dict[str, Any]]:
        return await driver.arun(self.conn, name, **params)

    async def one(self, name: str, /, **params: Any) -> dict[str, Any] | None:
        return await driver.arun_one(self.conn, name, **params)

    def require(self, *roles: str) -> None:
        """ApiError 403 unless the principal has one of `roles`."""
        if self.principal.role not in roles:
            raise ApiError(
                403,
                f"account {self.principal.name} ({self.principal.role}) may not do this; "
                f"needs role {' or '.join(roles)}",
            )


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# What handlers annotate their `db` argument with (an explicitly named dependency).
Db = NamedDependency[RequestDb]


def _in(address: str, nets: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in n for n in nets)


def real_peer(peer: str, forwarded_for: list[str], proxies: tuple[IPNetwork, ...]) -> str:
    """The client address: the TCP peer, unless the peer is a trusted proxy; then the nearest
    address of X-Forwarded-For (read from the right) that is not a trusted proxy. A value that
    is not an IP address ends the walk (the hop that wrote it is the client we can vouch for)."""
    if not _in(peer, proxies):
        return peer
    hops = [h.strip() for v in forwarded_for for h in v.split(",") if h.strip()]
    client = peer
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break
        client = hop
        if not _in(hop, proxies):
            break
    return client


def _proxies(request: Request[Any, Any, Any]) -> tuple[IPNetwork, ...]:
    config = getattr(request.app.state, "config", None)
    return tuple(getattr(config, "trusted_proxies", ()))


def source_of(request: Request[Any, Any, Any]) -> str:
    """Where the request comes from, for the failed-login lockout: the TCP peer; a trusted
    proxy's X-Forwarded-For only (SMF_API_TRUSTED_PROXIES, none by default)."""
    peer = request.client.host if request.client else "unknown"
    return real_peer(peer, request.headers.getall("x-forwarded-for", []), _proxies(request))


def is_https(request: Request[Any, Any, Any]) -> bool:
    """The request came over TLS: to us, or to a trusted proxy that says so (X-Forwarded-Proto)."""
    if request.url.scheme == "https":
        return True
    peer = request.client.host if request.client else ""
    proto = request.headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
    return proto == "https" and _in(peer, _proxies(request))


async def provide_db(
    request: Request[Any, Any, Any], state: State
) -> AsyncGenerator[RequestDb, None]:
    pool: driver.AsyncPool = state.pool
    async with driver.aconnect(pool) as conn:
        principal = await auth.authenticate(
            pool, conn, auth.token_from(request.headers), source_of(request), enter=True
        )
        yield RequestDb(conn, principal)
