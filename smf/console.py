"""The one output module of the command line and the jobs: tables, CSV, progress bars and the
time policy, all on `rich`.

Time policy: every instant a person reads (CLI tables, logs, `jobs list`, alarms, findings,
reports) is printed in the local time zone (`SMF_LOCAL_TIMEZONE`, default America/Sao_Paulo) with
its UTC offset, to the minute: `2026-11-18 14:00-03`. Storage stays UTC interval starts; CSV
output keeps ISO 8601 with the offset (`2026-11-18T14:00:00-03:00`) so that a spreadsheet or a
script reads the same instant back.
"""

from __future__ import annotations

import csv
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, tzinfo
from decimal import Decimal
from functools import cache
from typing import IO, Any
from zoneinfo import ZoneInfo

from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

Row = Mapping[str, Any]

# Column names, a rule of dashes, the rows: plain ASCII, readable in a log or a pipe.
PLAIN = box.Box("    \n    \n -  \n    \n    \n    \n    \n    \n", ascii=True)


@cache
def local_zone() -> tzinfo:
    """The local time zone of the platform (SMF_LOCAL_TIMEZONE, default America/Sao_Paulo)."""
    return ZoneInfo(os.environ.get("SMF_LOCAL_TIMEZONE") or "America/Sao_Paulo")


def offset_text(moment: datetime) -> str:
    """`-03` for a whole-hour offset, `+05:30` otherwise, `+00` for UTC."""
    off = moment.utcoffset()
    assert off is not None
    minutes = int(off.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}" + (f":{rest:02d}" if rest else "")


def when(moment: datetime | None, *, seconds: bool = False, zone: tzinfo | None = None) -> str:
    """An instant as people read it: local time with its offset, `2026-11-18 14:00-03`.
    A naive datetime is refused (it has no instant); None prints as an empty string."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no UTC offset; refusing to guess its zone")
    local = moment.astimezone(zone or local_zone())
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + offset_text(local)


def iso(moment: datetime | None, *, zone: tzinfo | None = None) -> str:
    """An instant for CSV: ISO 8601 in local time with the offset, `2026-11-18T14:00:00-03:00`."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} has no UTC offset; refusing to guess its zone")
    return moment.astimezone(zone or local_zone()).isoformat()


def cell(value: Any) -> str:
    """One value as text for a table: instants by the time policy, dates ISO, None empty,
    Decimals as stored (no float rounding), dicts as `key=value` pairs."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={cell(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    return str(value)


def csv_cell(value: Any) -> str:
    if isinstance(value, datetime):
        return iso(value)
    return cell(value)


def _console(out: IO[str] | None) -> Console:
    stream = out or sys.stdout
    tty = stream.isatty() if hasattr(stream, "isatty") else False
    # Not a terminal (a pipe, a file, a test): no colour, no wrapping of wide tables.
    return Console(
        file=stream,
        width=None if tty else 10_000,
        color_system="auto" if tty else None,
        highlight=False,
        soft_wrap=not tty,
    )


def table(
    rows: Sequence[Row],
    *,
    title: str | None = None,
    columns: Sequence[str] | None = None,
    out: IO[str] | None = None,
    empty: str | None = None,
) -> None:
    """Print rows as a plain table: a title line, the column names, a rule, one line per row.
    With no rows print `empty` (when given) and nothing else."""
    if not rows:
        if empty:
            print(empty, file=out or sys.stdout)
        return
    cols = list(columns or rows[0].keys())
    t = Table(
        title=title,
        title_justify="left",
        title_style=None,
        box=PLAIN,
        show_edge=False,
        pad_edge=False,
        header_style=None,
        collapse_padding=True,
    )
    for c in cols:
        t.add_column(c, overflow="fold", no_wrap=True)
    for r in rows:
        t.add_row(*(cell(r.get(c)) for c in cols))
    console = _console(out)
    with console.capture() as captured:
        console.print(t)
    stream = out or sys.stdout
    stream.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()) + "\n")


def write_csv(rows: Iterable[Row], columns: Sequence[str], out: IO[str] | None = None) -> None:
    """Rows as CSV with a header line (instants as ISO 8601 with the local offset)."""
    writer = csv.writer(out or sys.stdout)
    writer.writerow(columns)
    for r in rows:
        writer.writerow([csv_cell(r.get(c)) for c in columns])


@contextmanager
def progress(
    description: str, total: int, *, enabled: bool = True, out: IO[str] | None = None
) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr; yields `update(done)` (done out of total, e.g. bytes read).
    Disabled (or stderr not a terminal and no `out`): yields a no-op, so that logs and pipes get
    no control characters."""
    stream = out or sys.stderr
    if not enabled or not (out or (hasattr(stream, "isatty") and stream.isatty())):
        yield lambda n: None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=Console(file=stream),
        transient=False,
    )
    with bar:
        task = bar.add_task(description, total=max(total, 1))
        yield lambda done: bar.update(task, completed=min(done, total))


class LocalTimeFormatter(logging.Formatter):
    """Log records stamped by the time policy: `2026-11-18 14:00:05-03 INFO name message`."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, tz=local_zone())
        return when(moment, seconds=True)


def configure_logging(fmt: str = "%(asctime)s %(levelname)s %(name)s %(message)s") -> None:
    """INFO logs on stderr with local time stamps (the time policy)."""
    handler = logging.StreamHandler()
    handler.setFormatter(LocalTimeFormatter(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
