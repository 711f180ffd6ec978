"""Declared bounds of path and query parameters (issue 17: every parameter has them, and a value
outside them is a 422 problem naming the parameter, never a 500). Used as the annotation of a
handler's argument: `serial: Serial`."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter, QueryParameter

BIGINT_MAX = 9_223_372_036_854_775_807  # ids are PostgreSQL bigint (or int) at most

Id = Annotated[int, PathParameter(ge=1, le=BIGINT_MAX, description="id (1 .. 2^63 - 1)")]
Serial = Annotated[str, PathParameter(min_length=1, max_length=32, description="meter serial")]
UcCode = Annotated[
    str, PathParameter(min_length=1, max_length=32, description="UC code (15 digits)")
]
AneelCode = Annotated[str, PathParameter(min_length=1, max_length=8, description="ANEEL code")]
Name = Annotated[str, PathParameter(min_length=1, max_length=40, description="a name from a list")]
Tz = Annotated[
    str,
    QueryParameter(
        min_length=1, max_length=64, description="IANA time zone, e.g. America/Sao_Paulo"
    ),
]
Month = Annotated[str, QueryParameter(pattern=r"^[0-9]{4}-[0-9]{2}$", description="YYYY-MM")]
TimeText = Annotated[
    str, QueryParameter(min_length=10, max_length=40, description="RFC 3339 time or YYYY-MM-DD")
]
OptMonth = Annotated[
    str | None, QueryParameter(pattern=r"^[0-9]{4}-[0-9]{2}$", description="YYYY-MM")
]
