"""`smf vee`: validation, estimation and editing of interval data, and virtual meters.

  smf vee validate  --meter S | --uc CODE | --distributor ANEEL  --from D --to D
  smf vee estimate  --meter S | --uc CODE | --distributor ANEEL  --from D --to D
  smf vee edit      --meter S --from T --to T (--set KWH | --scale F | --copy-from S) --reason R
  smf vee findings  [--meter S] [--status open] [--from D --to D] [--accept ID | --resolve ID]
  smf vee explain   --meter S --at T
  smf vee virtual   define NAME "FORMULA" --from D [--to D] | series NAME --from D --to D
  smf vee summary   --distributor ANEEL --month YYYY-MM
  smf vee daily     [--day D]       (estimate and validate yesterday's data: jobs/vee_daily.py)

D: a local date (YYYY-MM-DD; --to D includes that day) or an ISO time; T: an interval start,
ISO with an offset (a time without one is local). Ranges are [from, to).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from smf.console import table


def _zone() -> ZoneInfo:
    from db.settings import load

    return ZoneInfo(load().local_timezone)


def _when(text: str, *, end: bool = False) -> datetime:
    """A local date (start of it; with end=True the start of the next day) or an ISO time."""
    try:
        if len(text) == 10:
            d = date.fromisoformat(text) + timedelta(days=1 if end else 0)
            return datetime(d.year, d.month, d.day, tzinfo=_zone())
        t = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date (YYYY-MM-DD) or ISO time"
        ) from None
    return t if t.tzinfo else t.replace(tzinfo=_zone())


def _end(text: str) -> datetime:
    return _when(text, end=True)


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def _scope(args: argparse.Namespace) -> tuple[str, str]:
    for kind in ("meter", "uc", "distributor"):
        if getattr(args, kind, None):
            return kind, str(getattr(args, kind))
    raise SystemExit("error: give --meter, --uc or --distributor")


def _connect() -> Any:
    from db import driver
    from db.local import ensure_database

    ensure_database()
    return driver.connect()


def cmd_validate(args: argparse.Namespace) -> int:
    from db import vee

    kind, ref = _scope(args)
    with _connect() as conn:
        rows = vee.validate(conn, kind, ref, args.start, args.end)
    table([{"meter": r["serial"], **r["result"]} for r in rows], title="validation")
    return 0


def cmd_estimate(args: argparse.Namespace) -> int:
    from db import vee

    kind, ref = _scope(args)
    with _connect() as conn:
        rows = vee.estimate(conn, kind, ref, args.start, args.end, args.operator)
    table(
        [
            {
                "meter": r["serial"],
                "run": r["result"]["run_id"],
                "filled": json.dumps(r["result"]["filled"]),
                "left_missing": r["result"]["left_missing"],
            }
            for r in rows
        ],
        title="estimation",
    )
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    from db import vee

    if args.set is not None:
        op, value, source = "set", args.set, None
    elif args.scale is not None:
        op, value, source = "scale", args.scale, None
    else:
        op, value, source = "copy_from", None, args.copy_from
    with _connect() as conn:
        out = vee.edit(
            conn,
            serial=args.meter,
            start=args.start,
            end=args.end,
            operation=op,
            value=value,
            source_serial=source,
            channel=args.channel,
            reason=args.reason,
            operator=args.operator,
        )
    print(
        f"edit {out['edit_id']}: {out['intervals']} interval(s) of {args.meter} {op} "
        f"(batch {out['batch_id']})"
    )
    return 0


def cmd_findings(args: argparse.Namespace) -> int:
    from db import vee

    with _connect() as conn:
        for fid, status in ((args.accept, "accepted"), (args.resolve, "resolved")):
            if fid is not None:
                vee.set_status(conn, fid, status, args.operator)
                print(f"finding {fid}: {status} by {args.operator}")
                return 0
        rows = vee.findings(
            conn,
            serial=args.meter,
            status=args.status,
            start=args.start,
            end=args.end,
            limit=args.limit,
        )
    # instants by the time policy: local time with its offset (smf.console.when)
    which = ", ".join(
        f"{k} {v}" for k, v in (("meter", args.meter), ("status", args.status)) if v is not None
    )
    table(rows, title=f"findings ({len(rows)})", empty=f"no findings ({which or 'any'})")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from db import vee

    with _connect() as conn:
        row = vee.explain(conn, args.meter, args.at)
    if row is None:
        print(
            f"no stored interval of {args.meter} starting at {args.at.isoformat()}", file=sys.stderr
        )
        return 1
    for k, v in row.items():
        print(f"{k:>18}: {json.dumps(v, default=str) if isinstance(v, dict | list) else v}")
    return 0


def cmd_virtual(args: argparse.Namespace) -> int:
    from db import vee

    with _connect() as conn:
        if args.action == "define":
            if not args.formula:
                raise SystemExit("error: define needs NAME and FORMULA")
            vid = vee.define_virtual(
                conn,
                args.name,
                args.formula,
                args.start.date(),
                args.end.date() if args.end else None,
            )
            print(f"virtual meter {args.name} defined (id {vid})")
            return 0
        if args.end is None:
            raise SystemExit("error: series needs --to")
        rows = vee.virtual_series(conn, args.name, args.start, args.end, args.resolution)
    table(rows, title=f"{args.name} per {args.resolution} (kWh)")
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    from db import vee
    from smf.report import _month

    with _connect() as conn:
        rows = vee.distributor_summary(conn, args.distributor, _month(args.month))
    table(rows, title=f"distributor {args.distributor}, {args.month}")
    return 0


def cmd_daily(args: argparse.Namespace) -> int:
    from db.local import ensure_database
    from jobs import vee_daily

    ensure_database()
    day = date.fromisoformat(args.day) if args.day else None
    summary = vee_daily.run(None, day)
    print(summary)
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("vee", help="validate, estimate and edit interval data; virtual meters")
    vsub = p.add_subparsers(dest="vee_command", required=True)
    user = getpass.getuser()

    def scoped(name: str, func: Any, help_: str) -> argparse.ArgumentParser:
        q = vsub.add_parser(name, help=help_)
        g = q.add_mutually_exclusive_group(required=True)
        g.add_argument("--meter", help="meter serial")
        g.add_argument("--uc", help="UC code (its main and backup meters)")
        g.add_argument("--distributor", help="ANEEL code (the meters of its UCs)")
        q.add_argument(
            "--from",
            dest="start",
            type=_when,
            required=True,
            help="from: local date YYYY-MM-DD or ISO time with offset",
        )
        q.add_argument(
            "--to",
            dest="end",
            type=_end,
            required=True,
            help="to (inclusive local date) or ISO time with offset (exclusive)",
        )
        q.add_argument("--operator", default=user, help="who runs it (default: the OS user)")
        q.set_defaults(func=func)
        return q

    scoped("validate", cmd_validate, "run the validation rules; findings are recorded once")
    scoped("estimate", cmd_estimate, "fill missing intervals (backup, register, day-type mean)")

    q = vsub.add_parser("edit", help="a manual edit of one channel over [from, to), with a reason")
    q.add_argument("--meter", required=True, help="meter serial")
    q.add_argument(
        "--from",
        dest="start",
        type=_when,
        required=True,
        help="interval start, ISO time with offset",
    )
    q.add_argument(
        "--to", dest="end", type=_when, required=True, help="end (exclusive), ISO time with offset"
    )
    how = q.add_mutually_exclusive_group(required=True)
    how.add_argument("--set", type=_decimal, help="value per interval (kWh, kvarh, V or A)")
    how.add_argument("--scale", type=_decimal, help="multiply the stored values by this")
    how.add_argument("--copy-from", help="copy the same channel from this meter")
    q.add_argument("--channel", default="active_fwd", help="channel to edit (default active_fwd)")
    q.add_argument("--reason", required=True, help="why (required, kept in smf.vee_manual_edit)")
    q.add_argument("--operator", default=user, help="who edits (default: the OS user)")
    q.set_defaults(func=cmd_edit)

    q = vsub.add_parser("findings", help="list findings, or accept / resolve one")
    q.add_argument("--meter", help="only this meter (serial)")
    q.add_argument(
        "--status", choices=["open", "accepted", "resolved"], help="only findings in this status"
    )
    q.add_argument(
        "--from", dest="start", type=_when, help="from: local date or ISO time with offset"
    )
    q.add_argument(
        "--to", dest="end", type=_end, help="to: inclusive local date or ISO time with offset"
    )
    q.add_argument("--limit", type=int, default=200, help="most rows to print (default 200)")
    q.add_argument(
        "--accept", type=int, metavar="ID", help="accept finding ID (a known, explained condition)"
    )
    q.add_argument("--resolve", type=int, metavar="ID", help="mark finding ID resolved")
    q.add_argument(
        "--operator", default=user, help="who accepts or resolves (default: the OS user)"
    )
    q.set_defaults(func=cmd_findings)

    q = vsub.add_parser("explain", help="why an interval's value is what it is")
    q.add_argument("--meter", required=True, help="meter serial")
    q.add_argument("--at", type=_when, required=True, help="interval start")
    q.set_defaults(func=cmd_explain)

    q = vsub.add_parser("virtual", help="define a virtual meter, or print its series")
    q.add_argument(
        "action", choices=["define", "series"], help="define a virtual meter or print its series"
    )
    q.add_argument("name", help="virtual meter name")
    q.add_argument(
        "formula",
        nargs="?",
        help='formula (define only), e.g. "M(99000001).active_fwd - M(99000002).active_fwd"',
    )
    q.add_argument(
        "--from",
        dest="start",
        type=_when,
        required=True,
        help="valid from (define) / series from: local date or ISO time",
    )
    q.add_argument(
        "--to", dest="end", type=_end, help="series to: inclusive local date or ISO time"
    )
    q.add_argument(
        "--resolution",
        default="hour",
        choices=["interval", "15min", "hour", "day", "month"],
        help="series bucket (default hour; day and month are local)",
    )
    q.set_defaults(func=cmd_virtual)

    q = vsub.add_parser(
        "summary", help="per distributor and month: captive, free, generation, billing"
    )
    q.add_argument("--distributor", required=True, help="ANEEL code")
    q.add_argument("--month", required=True, help="YYYY-MM")
    q.set_defaults(func=cmd_summary)

    q = vsub.add_parser("daily", help="estimate and validate yesterday (the daily job)")
    q.add_argument("--day", help="local day YYYY-MM-DD (default: yesterday)")
    q.set_defaults(func=cmd_daily)
