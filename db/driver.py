"""The one module that imports the driver: engine/pool, named queries, error translation.

Python sends only SQL kept in db/queries/*.sql, called by name with named parameters.
"""

from __future__ import annotations

import contextlib
import random
import re
import select
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
import sqlalchemy.exc
from psycopg import sql
from psycopg.rows import dict_row
from sqlalchemy import Engine, create_engine, event

from db import errors
from db.settings import Settings, load, multi_host

Connection = psycopg.Connection[Any]  # what callers annotate with; only this module imports psycopg
QUERIES_DIR = Path(__file__).resolve().parent / "queries"
_NAME = re.compile(r"^--\s*name:\s*([a-z0-9_]+)\s*$", re.MULTILINE)


def sqlalchemy_url(libpq_url: str) -> str:
    """The SQLAlchemy form of a libpq URL. A multi-host URL (h1:p1,h2:p2, a failover formation)
    becomes ?host=h1:p1&host=h2:p2, the form SQLAlchemy parses; psycopg receives the hosts and
    target_session_attrs as libpq does."""
    url = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", libpq_url)
    if not multi_host(url):
        return url
    parts = urlsplit(url)
    userinfo, _, hosts = parts.netloc.rpartition("@")
    query = [("host", h) for h in hosts.split(",")] + parse_qsl(parts.query, keep_blank_values=True)
    netloc = f"{userinfo}@" if userinfo else ""
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query)))


@cache
def _queries() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted(QUERIES_DIR.glob("*.sql")):
        parts = _NAME.split(path.read_text())
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            if name in found:
                raise RuntimeError(f"query {name!r} defined twice (again in {path.name})")
            found[name] = body.strip()
    return found


def query(name: str) -> str:
    try:
        return _queries()[name]
    except KeyError:
        raise KeyError(f"no query named {name!r} in {QUERIES_DIR}") from None


_ENGINES: dict[str, Engine] = {}


def engine(url: str | None = None) -> Engine:
    """The pooled engine of a database URL (one per URL per process)."""
    url = url or load().url
    if url not in _ENGINES:
        _ENGINES[url] = eng = create_engine(
            sqlalchemy_url(url), pool_size=5, max_overflow=10, pool_pre_ping=True
        )
        event.listen(eng, "connect", _session_setup)
    return _ENGINES[url]


def _session_setup(dbapi_conn: Any, _record: Any) -> None:
    # Staging tables of a large import live in temp buffers; the default (8 MB) made a
    # 4-million-row batch page its temp tables through the kernel. Only settable before the
    # session touches a temp table, hence here, when the pool opens the connection.
    dbapi_conn.execute("set temp_buffers = '1GB'")
    dbapi_conn.commit()


def dispose_all() -> None:
    """Close every pooled connection (before dropping a database, or at exit)."""
    while _ENGINES:
        _ENGINES.popitem()[1].dispose()


@contextmanager
def connect(settings: Settings | str | None = None) -> Iterator[psycopg.Connection[Any]]:
    """A pooled psycopg connection in a transaction: committed on success, rolled back on error.

    Raises the domain errors of db.errors for driver errors.
    """
    url = settings if isinstance(settings, str) else (settings or load()).url
    try:
        raw = engine(url).raw_connection()
    except (psycopg.OperationalError, sqlalchemy.exc.DBAPIError) as exc:  # no connection
        raise errors.DatabaseUnavailable(str(exc).strip()) from exc
    conn: psycopg.Connection[Any] = raw.driver_connection  # type: ignore[assignment]
    unavailable = False
    try:
        with translate_errors():
            yield conn
            conn.commit()
    except BaseException as exc:
        # a server that went away, or one that is no longer the primary (25006 after a
        # failover demoted it): this connection is not given out again
        unavailable = isinstance(exc, errors.DatabaseUnavailable)
        if not conn.broken:
            with contextlib.suppress(psycopg.Error):
                conn.rollback()
        raise
    finally:
        if conn.broken or conn.closed or unavailable:  # drop it from the pool, quietly
            raw.invalidate()
        else:
            raw.close()


T = TypeVar("T")
RETRY_ATTEMPTS = 5  # transactions tried at most this many times on a deadlock/serialisation failure
RETRY_BASE_S = 0.05  # first back-off; doubles each time, with full jitter


def in_transaction(
    settings: Settings | str | None,
    work: Callable[[Connection], T],
    *,
    attempts: int = RETRY_ATTEMPTS,
) -> T:
    """Run `work(conn)` in one transaction (connect()), and again from the start when the server
    rolled it back for a deadlock or a serialisation failure (errors.RetryableConflict): at most
    `attempts` times, sleeping a random time up to 0.05, 0.1, 0.2 … s between tries. `work` must
    be repeatable (re-read its input). The last failure is raised."""
    for attempt in range(1, attempts + 1):
        try:
            with connect(settings) as conn:
                return work(conn)
        except errors.RetryableConflict:
            if attempt == attempts:
                raise
            time.sleep(random.uniform(0, RETRY_BASE_S * 2 ** (attempt - 1)))
    raise AssertionError("unreachable")


def run(conn: Connection, name: str, /, **params: Any) -> list[dict[str, Any]]:
    """Execute the named query; return its rows as dicts (empty for statements)."""
    with conn.cursor(row_factory=dict_row) as cur, translate_errors():
        cur.execute(query(name), params)  # type: ignore[arg-type]
        return cur.fetchall() if cur.description else []


def run_one(conn: Connection, name: str, /, **params: Any) -> dict[str, Any] | None:
    rows = run(conn, name, **params)
    return rows[0] if rows else None


def run_scalar(conn: Connection, name: str, /, **params: Any) -> Any:
    """The first column of the first row of the named query (which must return one)."""
    row = run_one(conn, name, **params)
    if row is None:
        raise RuntimeError(f"query {name!r} returned no row")
    return next(iter(row.values()))


def create_database(
    admin_url: str, name: str, *, if_missing: bool = False, replace: bool = False
) -> None:
    """Create database `name` through the admin connection `admin_url` (autocommit)."""
    with translate_errors(), psycopg.connect(admin_url, autocommit=True) as conn:
        if replace:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )
        elif (
            if_missing
            and conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
        ):
            return
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))


def drop_database(admin_url: str, name: str) -> None:
    with translate_errors(), psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )


_COPY_CONTEXT = re.compile(r"line (\d+)(?:, column (\w+))?")


@contextmanager
def copy_into(
    conn: Connection,
    name: str,
    /,
    *,
    columns: Sequence[str],
    line_offset: int = 0,
    **literals: Any,
) -> Iterator[psycopg.Copy]:
    """COPY FROM STDIN through the named query: `{columns}` becomes the quoted column list and
    every other `{placeholder}` a literal. A data error (bad number, timestamp, extra field)
    raises BatchRejected naming the input line (COPY's line + line_offset) and column."""
    stmt = sql.SQL(query(name)).format(
        columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
        **{k: sql.Literal(v) for k, v in literals.items()},
    )
    try:
        with conn.cursor() as cur, cur.copy(stmt) as copy:
            yield copy
    except (psycopg.DataError, psycopg.errors.BadCopyFileFormat) as exc:
        m = _COPY_CONTEXT.search(exc.diag.context or "")
        problem = exc.diag.message_primary or str(exc)
        if not m:
            raise errors.BatchRejected(f"malformed batch: {problem}") from exc
        line = int(m.group(1)) + line_offset
        where = f"line {line}" + (f", column {m.group(2)}" if m.group(2) else "")
        raise errors.BatchRejected(f"{where}: {problem}", line) from exc


def copy_out_csv(conn: Connection, name: str, /, **literals: Any) -> bytes:
    """The rows of the named query as CSV (no header) through COPY ... TO STDOUT, as one bytes
    value: the caller bounds the result (db/archive.py asks for a few meters at a time). Every
    `{placeholder}` becomes a literal (COPY takes no bind parameters)."""
    select = sql.SQL(query(name)).format(**{k: sql.Literal(v) for k, v in literals.items()})
    stmt = sql.SQL("copy ({}) to stdout with (format csv)").format(select)
    buf = bytearray()
    with translate_errors(), conn.cursor() as cur, cur.copy(stmt) as copy:
        for chunk in copy:
            buf += chunk
    return bytes(buf)


_BY_SQLSTATE: dict[str, type[errors.SmfError]] = {
    "SMF01": errors.BatchRejected,
    "SMF02": errors.InvalidParameter,
    "SMF04": errors.NotFound,
    "23505": errors.Conflict,  # unique_violation
    "23P01": errors.Conflict,  # exclusion_violation
    "23514": errors.InvalidParameter,  # check_violation
    "23503": errors.InvalidParameter,  # foreign_key_violation
    "23502": errors.InvalidParameter,  # not_null_violation
    "22003": errors.InvalidParameter,  # numeric_value_out_of_range
    "22P02": errors.InvalidParameter,  # invalid_text_representation
    "22001": errors.InvalidParameter,  # string_data_right_truncation (a value too long)
    "22007": errors.InvalidParameter,  # invalid_datetime_format
    "22008": errors.InvalidParameter,  # datetime_field_overflow
    "22021": errors.InvalidParameter,  # character_not_in_repertoire (a NUL, bad UTF-8)
}


def translate(exc: psycopg.Error) -> errors.SmfError | None:
    """The domain error for a driver error, or None when it is not ours to name."""
    state = exc.sqlstate or ""
    if (
        (isinstance(exc, psycopg.OperationalError) and not state)
        or state.startswith("08")
        or state in ("57P01", "57P02", "57P03", "25006")
    ):  # connection lost, server shutting down, server read-only (a standby now: failover)
        return errors.DatabaseUnavailable(str(exc).strip())
    if state in ("40P01", "40001"):  # deadlock, serialization failure
        return errors.RetryableConflict(str(exc).strip())
    if not state and isinstance(exc, psycopg.DataError):  # refused before sending (a NUL in text)
        return errors.InvalidParameter(str(exc).strip())
    cls = _BY_SQLSTATE.get(exc.sqlstate or "")
    if cls is None:
        return None
    diag = exc.diag
    message = diag.message_primary or str(exc)
    if diag.constraint_name and cls is not errors.BatchRejected:
        message = f"{message} (constraint {diag.constraint_name})"
    if diag.message_detail:
        message = f"{message}: {diag.message_detail}"
    if cls is errors.BatchRejected:
        hint = diag.message_hint or ""
        line = int(hint) if hint.isdigit() else None
        return errors.BatchRejected(message, line)
    return cls(message)


@contextmanager
def translate_errors() -> Iterator[None]:
    """Raise the domain error of a driver error (also one SQLAlchemy wrapped, as in migrations)."""
    try:
        yield
    except psycopg.Error as exc:
        mapped = translate(exc)
        if mapped is None:
            raise
        raise mapped from exc
    except sqlalchemy.exc.DBAPIError as exc:
        mapped = translate(exc.orig) if isinstance(exc.orig, psycopg.Error) else None
        if mapped is None:
            raise
        raise mapped from exc


# ---------------------------------------------------------------------------------------------
# Async access (the API): a psycopg_pool AsyncConnectionPool over the same named queries.
# Errors go through the same translate() above; nothing here builds SQL from strings.
# ---------------------------------------------------------------------------------------------

from collections.abc import AsyncIterator  # noqa: E402
from contextlib import asynccontextmanager  # noqa: E402

import psycopg_pool  # noqa: E402

# Refusals by row-level security or grants (only roles other than the owner meet them: the API).
_BY_SQLSTATE.setdefault("42501", errors.PermissionDenied)  # insufficient_privilege

AsyncConnection = psycopg.AsyncConnection[Any]
AsyncPool = psycopg_pool.AsyncConnectionPool


async def open_async_pool(
    settings: Settings | str | None = None,
    *,
    min_size: int = 2,
    max_size: int = 10,
    timeout: float = 5.0,
) -> AsyncPool:
    """An open async pool of the database. Opening does not wait for the server: requests made
    while it is down raise DatabaseUnavailable and the pool reconnects when it returns."""
    url = settings if isinstance(settings, str) else (settings or load()).url
    pool = psycopg_pool.AsyncConnectionPool(
        url,
        min_size=min_size,
        max_size=max_size,
        open=False,
        timeout=timeout,
        # behind a multi-host URL a pooled connection may outlive its server's time as the
        # primary: check that it still is before each use (one round trip, as the default check)
        check=_check_primary if multi_host(url) else _check_unless_just_returned,
        reset=None if multi_host(url) else _note_returned,
        kwargs={"autocommit": False},
    )
    await pool.open(wait=False)
    return pool


# A connection handed back in good order less than this many seconds ago, on whose socket the
# server has sent nothing since, is handed out again without the check's round trip (one of the
# six of a short API request). A server that ends the session (a restart, a crash, a terminated
# backend) says so on the socket or closes it, which makes it readable: then the full check runs
# and the pool replaces the connection. What the socket cannot show (a host that vanished without
# a word within RECENT_S) fails its request with DatabaseUnavailable, nothing written, and the
# pool discards the connection when it comes back.
RECENT_S = 0.2
_returned_at: weakref.WeakKeyDictionary[AsyncConnection, float] = weakref.WeakKeyDictionary()


async def _note_returned(conn: AsyncConnection) -> None:
    """The pool's reset callback (one-host URLs): remember when `conn` came back idle."""
    _returned_at[conn] = time.monotonic()


def _quiet(conn: AsyncConnection) -> bool:
    """Whether the idle connection's socket has nothing to read (no message, no end of stream)."""
    try:
        readable, _, _ = select.select([conn.fileno()], [], [], 0)
    except (OSError, ValueError, psycopg.Error):
        return False
    return not readable


async def _check_unless_just_returned(conn: AsyncConnection) -> None:
    """The pool's check behind a one-host URL: the default round trip, unless `conn` came back
    within RECENT_S and its socket is quiet."""
    at = _returned_at.get(conn)
    if (
        at is not None
        and time.monotonic() - at < RECENT_S
        and not (conn.broken or conn.closed)
        and _quiet(conn)
    ):
        return
    await AsyncPool.check_connection(conn)


async def _check_primary(conn: AsyncConnection) -> None:
    """The pool's check behind a multi-host URL: raise (the pool then drops the connection and
    opens another, to the primary of the moment) when the server is gone or in recovery."""
    if conn.broken:
        raise psycopg.OperationalError("connection is broken")
    autocommit = conn.autocommit
    await conn.set_autocommit(True)
    try:
        cur = await conn.execute(query("ha_in_recovery"))
        row = await cur.fetchone()
    finally:
        await conn.set_autocommit(autocommit)
    if row is None or row[0]:
        raise psycopg.OperationalError("the server is in recovery (a standby): not the primary")


@asynccontextmanager
async def aconnect(pool: AsyncPool, timeout: float | None = None) -> AsyncIterator[AsyncConnection]:
    """A pooled async connection in a transaction: committed on success, rolled back on error.
    Raises DatabaseUnavailable when no connection can be had (within `timeout` s, default the
    pool's), other db.errors as translate()."""
    try:
        async with pool.connection(timeout=timeout) as conn:
            with translate_errors():
                async with conn.transaction():
                    yield conn
    except psycopg_pool.PoolTimeout as exc:
        raise errors.DatabaseUnavailable(f"no database connection: {exc}") from exc


async def arun(conn: AsyncConnection, name: str, /, **params: Any) -> list[dict[str, Any]]:
    """Execute the named query on an async connection; rows as dicts (empty for statements)."""
    with translate_errors():
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query(name), params)  # type: ignore[arg-type]
            return await cur.fetchall() if cur.description else []


async def arun_one(conn: AsyncConnection, name: str, /, **params: Any) -> dict[str, Any] | None:
    rows = await arun(conn, name, **params)
    return rows[0] if rows else None


async def arun_tuples(
    conn: AsyncConnection, name: str, /, **params: Any
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The named query's column names and rows as tuples (cheaper than dicts for long results)."""
    with translate_errors():
        async with conn.cursor() as cur:
            await cur.execute(query(name), params)  # type: ignore[arg-type]
            if cur.description is None:
                return [], []
            return [c.name for c in cur.description], await cur.fetchall()


async def arun_listed(
    conn: AsyncConnection, name: str, /, *, columns: Sequence[str], **params: Any
) -> list[dict[str, Any]]:
    """Run a named query whose `{columns}` is a comma list of the given column names (quoted
    identifiers, chosen by the caller from a fixed list) and `{text_columns}` the same list each
    cast to text; other parameters are bound."""
    stmt = _listed(name, columns)
    with translate_errors():
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(stmt, params)
            return await cur.fetchall() if cur.description else []


async def astream(
    conn: AsyncConnection, name: str, /, *, batch: int = 2000, **params: Any
) -> AsyncIterator[list[tuple[Any, ...]]]:
    """The named query's rows in batches of tuples through a server-side cursor (the caller's
    transaction must stay open while it iterates), so a year of rows never sits in memory.
    The first batch is preceded by nothing; column names: see astream_columns."""
    with translate_errors():
        async with conn.cursor(name=f"smf_{name}") as cur:
            await cur.execute(query(name), params)  # type: ignore[arg-type]
            while rows := await cur.fetchmany(batch):
                yield rows


def _listed(name: str, columns: Sequence[str]) -> sql.Composed:
    return sql.SQL(query(name)).format(
        columns=sql.SQL(", ").join(map(sql.Identifier, columns)),
        text_columns=sql.SQL(", ").join(
            sql.SQL("{}::text").format(sql.Identifier(c)) for c in columns
        ),
    )


async def astream_listed(
    conn: AsyncConnection, name: str, /, *, columns: Sequence[str], batch: int = 1, **params: Any
) -> AsyncIterator[tuple[Any, ...]]:
    """The rows of a named query whose `{columns}` is a comma list of the given column names
    (as arun_listed) and `{text_columns}` the same list each cast to text (`"col"::text`), one
    by one as the server sends them through a server-side cursor fetching `batch` rows at a time
    (the caller's transaction must stay open while it iterates)."""
    stmt = _listed(name, columns)
    with translate_errors():
        async with conn.cursor(name=f"smf_{name}") as cur:
            await cur.execute(stmt, params)
            while rows := await cur.fetchmany(batch):
                for row in rows:
                    yield row


async def acopy_out(
    conn: AsyncConnection,
    name: str,
    /,
    *,
    columns: Sequence[tuple[str, str]],
    chunk_bytes: int = 1 << 16,
    **literals: Any,
) -> AsyncIterator[bytes]:
    """COPY (named query) TO STDOUT as CSV with a header, as the server sends it. `{columns}`
    becomes `column as alias, ...` from the (column, alias) pairs (identifiers, quoted) and every
    other `{placeholder}` a literal (COPY takes no bind parameters)."""
    select = sql.SQL(query(name)).format(
        columns=sql.SQL(", ").join(
            sql.SQL("{} as {}").format(sql.Identifier(c), sql.Identifier(a)) for c, a in columns
        ),
        **{k: sql.Literal(v) for k, v in literals.items()},
    )
    stmt = sql.SQL("copy ({}) to stdout with (format csv, header)").format(select)
    buf = bytearray()
    with translate_errors():
        async with conn.cursor() as cur, cur.copy(stmt) as copy:
            async for chunk in copy:  # one row per chunk: hand them on in blocks
                buf += chunk
                if len(buf) >= chunk_bytes:
                    yield bytes(buf)
                    buf.clear()
    if buf:
        yield bytes(buf)


def set_role_password(admin_url: str, role: str, verifier: str) -> None:
    """Set the password of `role` to a SCRAM verifier (never a plain password)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("alter role {} password {}").format(sql.Identifier(role), sql.Literal(verifier))
        )


async def alisten(url: str, channel: str) -> AsyncIterator[str]:
    """Payloads of NOTIFY on `channel` (a fixed identifier), over a dedicated connection."""
    with translate_errors():
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
            await conn.execute(sql.SQL("listen {}").format(sql.Identifier(channel)))
            async for note in conn.notifies():
                yield note.payload
