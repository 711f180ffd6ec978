"""POST /api/v1/imports: a CSV file (see README) or an ABNT public-format file as the request
body, streamed to a temporary file (413 past SMF_API_MAX_UPLOAD_MB), then through the ingest
path (db.ingest, poller.public_io) in one transaction: counts and quarantine, or 422 naming the
line and nothing written. Query parameters decimal, utc_offset and date_order read a CSV as
`smf import`'s flags of the same names do (README "CSV import format").
GET /api/v1/imports/{batch}: a batch, how its file was read, and its quarantined rows.
Admin and service accounts only: the ingest path writes as smf_writer (the API's login role
assuming it for the import's connection; BYPASSRLS, no superuser)."""

from __future__ import annotations

import asyncio
import re
import tempfile
from dataclasses import dataclass
from typing import IO, Annotated, Any, Literal

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.params import QueryParameter

from api.config import ApiConfig
from api.deps import Db
from api.errors import ApiError
from api.params import Id
from api.schemas import ImportBatch, ImportResult
from db import errors
from formats.upload import binary_size_problem

IMPORTERS = ("admin", "service")


def _looks_public_format(head: bytes, size: int) -> bool:
    """ABNT public-format files are whole 256-octet blocks of binary data, not text."""
    if not head or size % 256:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return not any(c in head for c in (b",", b";"))


# The CLI's flags as this endpoint's query parameters, in the ingest path's messages: a flag with
# its value ("--utc-offset -03:00") becomes "utc_offset=-03:00", a flag alone its name.
_FLAG_VALUE = re.compile(
    r"--(utc-offset|date-order|decimal) (?=[-+]\d\d:\d\d|Z\b|dmy\b|mdy\b|point\b|comma\b|auto\b)"
)
_FLAG = re.compile(r"--(utc-offset|date-order|decimal)\b")


def _as_parameters(message: str) -> str:
    message = _FLAG_VALUE.sub(lambda m: m[1].replace("-", "_") + "=", message)
    return _FLAG.sub(lambda m: m[1].replace("-", "_"), message)


@dataclass(frozen=True, slots=True)
class CsvOptions:
    """How to read a CSV upload (the query parameters; `smf import`'s flags of the same names)."""

    decimal: str = "auto"
    utc_offset: str | None = None
    date_order: str | None = None

    @property
    def given(self) -> bool:
        return self != CsvOptions()


def _ingest(
    config: ApiConfig, fh: IO[bytes], size: int, origin: str, options: CsvOptions
) -> ImportResult:
    from db import driver, ingest

    fh.seek(0)
    head = fh.read(256)
    fh.seek(0)
    if _looks_public_format(head, size):
        from poller import public_io

        if options.given:
            raise errors.BatchRejected(
                "decimal, utc_offset and date_order read CSV files; this is an ABNT "
                "public-format file (its times are the meter's, at its registered offset)"
            )
        from poller.protocol.errors import NBR14522Error

        try:
            serial, r = asyncio.run(public_io.import_file(config.writer_db, fh.read(), origin))
        except NBR14522Error as exc:
            raise errors.BatchRejected(f"not a valid ABNT public-format file: {exc}") from exc
        fmt: Literal["csv", "abnt"] = "abnt"
    else:
        if problem := binary_size_problem(head, size):
            raise errors.BatchRejected(problem)
        serial = None
        try:
            with driver.connect(config.writer_db) as conn:
                r = ingest.ingest_csv_stream(
                    conn,
                    fh,
                    origin=origin,
                    decimal=options.decimal,
                    utc_offset=options.utc_offset,
                    date_order=options.date_order,
                )
        except errors.BatchRejected as exc:
            raise errors.BatchRejected(_as_parameters(str(exc)), exc.line) from exc
        fmt = "csv"
    return ImportResult(
        batch_id=r.batch_id,
        format=fmt,
        rows=r.rows,
        inserted=r.inserted,  # type: ignore[arg-type]
        updated=r.updated,
        unchanged=r.unchanged,
        quarantined=r.quarantined,
        meter_serial=serial,
        href=f"/api/v1/imports/{r.batch_id}",
    )


@post(
    "/api/v1/imports",
    tags=["imports"],
    status_code=201,
    summary="Import a CSV or ABNT file",
    request_max_body_size=None,
)
async def import_file(
    db: Db,
    state: State,
    request: Request[Any, Any, Any],
    filename: Annotated[str | None, QueryParameter(max_length=200)] = None,
    decimal: Annotated[
        Literal["auto", "point", "comma"],
        QueryParameter(description="a CSV's decimal separator; auto: a ';' file tells"),
    ] = "auto",
    utc_offset: Annotated[
        str | None,
        QueryParameter(
            max_length=6,
            description="read CSV time stamps without a UTC offset at this one (±HH:MM or Z); "
            "without it they are refused",
        ),
    ] = None,
    date_order: Annotated[
        Literal["dmy", "mdy"] | None,
        QueryParameter(
            description="DD/MM or MM/DD slash dates (with utc_offset); else the file tells"
        ),
    ] = None,
) -> ImportResult:
    db.require(*IMPORTERS)
    if utc_offset is not None and utc_offset[:1] == " ":  # an unescaped "+" of a query string
        utc_offset = "+" + utc_offset[1:]
    options = CsvOptions(decimal, utc_offset, date_order)
    config: ApiConfig = state.config
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > config.max_upload_bytes:
        raise _too_large(config)
    size = 0
    with tempfile.SpooledTemporaryFile(max_size=8 << 20) as fh:
        async for chunk in request.stream():
            size += len(chunk)
            if size > config.max_upload_bytes:
                raise _too_large(config)
            fh.write(chunk)
        if size == 0:
            raise ApiError(422, "empty upload: send the file as the request body", field="body")
        return await asyncio.to_thread(
            _ingest,
            config,
            fh,  # type: ignore[arg-type]
            size,
            filename or "api upload",
            options,
        )


def _too_large(config: ApiConfig) -> ApiError:
    mib = config.max_upload_bytes >> 20
    return ApiError(
        413,
        f"upload larger than {mib} MiB (SMF_API_MAX_UPLOAD_MB); split the file",
        limit_bytes=config.max_upload_bytes,
    )


@get("/api/v1/imports/{batch_id:int}", tags=["imports"], summary="An import batch")
async def import_batch(db: Db, batch_id: Id) -> Response[ImportBatch]:
    db.require(*IMPORTERS)
    row = await db.one("api_import_batch", batch_id=batch_id)
    if row is None:
        raise errors.NotFound(f"no import batch {batch_id}")
    quarantine = await db.rows("api_import_quarantine", batch_id=batch_id)
    if row["decisions"]:  # the flags they name, as this API's query parameters
        row["decisions"] = [_as_parameters(d) for d in row["decisions"]]
    return Response(ImportBatch(**row, quarantine=quarantine))
