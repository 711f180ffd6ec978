"""Per-request dependencies: one pooled connection in one transaction, acting as the caller.

The transaction authenticates the key (as the pool's user), then assumes role smf_api with the
principal set (db/queries/api.sql: api_enter), so row-level security filters every row the
handler reads or writes. It commits when the handler returns and rolls back when it raises.
"""

from __future__ import annotations

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


# What handlers annotate their `db` argument with (an explicitly named dependency).
Db = NamedDependency[RequestDb]


def source_of(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


async def provide_db(
    request: Request[Any, Any, Any], state: State
) -> AsyncGenerator[RequestDb, None]:
    pool: driver.AsyncPool = state.pool
    async with driver.aconnect(pool) as conn:
        principal = await auth.authenticate(
            pool, conn, auth.token_from(request.headers), source_of(request)
        )
        await driver.arun(conn, "api_enter", account=principal.account_id)
        yield RequestDb(conn, principal)
