"""`smf storage`: the storage tiers.

  smf storage seal   [--before T] [--batch N] [--limit N] [--quiet]
  smf storage status
  smf storage estimate --meters N --interval 5|15 --channels K --years Y [--hot-days D] [--json]

`seal` moves every hot meter-period older than seal_after_days (or ending before --before) into
sealed rows, one transaction per --batch meter-periods (db/storage.py); `status` prints rows,
intervals and bytes per tier and rollup level. Each verb is a `cmd_<verb>` function and a parser
added by `add_<verb>_parser(verbs)`, so further verbs (estimate, export, import) sit beside them.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any


def _instant(text: str) -> datetime:
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO time") from None
    if t.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r}: give an offset (e.g. 2025-01-06T00:00+00:00)")
    return t


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give 1 or more")
    return n


def cmd_seal(args: argparse.Namespace) -> int:
    from db import storage
    from db.local import ensure_database

    ensure_database()

    def show(r: storage.SealResult) -> None:
        if not args.quiet:
            rate = r.sealed / r.seconds if r.seconds else 0.0
            print(
                f"  {r.sealed + r.off_grid + r.empty}/{r.due} meter-periods, "
                f"{r.rows} rows sealed, {rate:.1f} meter-periods/s",
                file=sys.stderr,
            )

    r = storage.seal(edge=args.before, batch=args.batch, limit=args.limit, progress=show)
    if r.busy:
        print("another sealing run holds the lock; nothing done", file=sys.stderr)
        return 0
    rate = f"{r.sealed / r.seconds:.1f}" if r.seconds else "-"
    print(
        f"sealed {r.sealed} meter-periods ({r.rows} rows) before {r.edge:%Y-%m-%d %H:%M %z} "
        f"in {r.batches} transactions, {r.seconds:.1f} s ({rate} meter-periods/s); "
        f"left hot (a row off the interval grid): {r.off_grid}; already sealed: {r.empty}; "
        f"empty hot chunks dropped: {r.chunks_dropped} ({r.bytes_freed / 2**20:.1f} MiB freed)"
    )
    for e in r.errors:
        print(f"warning: {e}", file=sys.stderr)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from db import storage
    from db.local import ensure_database
    from smf import console

    ensure_database()
    rows = storage.status()
    console.table(rows, title="storage tiers (bytes on disk: table, indexes, TOAST)")
    return 0


def add_seal_parser(verbs: Any) -> None:
    p = verbs.add_parser(
        "seal", help="seal closed meter-periods (older than seal_after_days) into compact rows"
    )
    p.add_argument(
        "--before",
        type=_instant,
        default=None,
        help="seal whole periods ending before this instant (default: now - seal_after_days)",
    )
    p.add_argument(
        "--batch", type=_positive, default=None, help="meter-periods per transaction (setting)"
    )
    p.add_argument("--limit", type=_positive, default=None, help="at most this many periods")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=cmd_seal)


def add_status_parser(verbs: Any) -> None:
    p = verbs.add_parser("status", help="rows, intervals and bytes per tier and rollup level")
    p.set_defaults(func=cmd_status)


def cmd_estimate(args: argparse.Namespace) -> int:
    from db import storage_estimate

    e = storage_estimate.estimate(
        args.meters,
        args.interval,
        args.channels,
        args.years,
        args.hot_days,
        path=Path(args.figures) if args.figures else None,
    )
    print(json.dumps(e.as_dict(), indent=2) if args.json else storage_estimate.render(e))
    return 0


def add_estimate_parser(verbs: Any) -> None:
    p = verbs.add_parser(
        "estimate",
        help="bytes per tier and the total for a fleet, from measured bytes per interval",
    )
    p.add_argument("--meters", type=int, required=True, help="number of meters")
    p.add_argument("--interval", type=int, required=True, choices=[5, 15], help="minutes")
    p.add_argument("--channels", type=int, required=True, help="channels per meter (1-12)")
    p.add_argument("--years", type=float, required=True, help="years kept online")
    p.add_argument(
        "--hot-days",
        type=float,
        default=None,
        help="days an interval stays a row before it is sealed (default: the figures file's, 62)",
    )
    p.add_argument("--figures", help="figures file (default: bench/storage_figures.json)")
    p.add_argument("--json", action="store_true", help="print the estimate as JSON")
    p.set_defaults(func=cmd_estimate)


def register(sub: Any) -> None:
    p = sub.add_parser("storage", help="storage tiers: seal closed periods, status, cost estimate")
    verbs = p.add_subparsers(dest="storage_command", required=True)
    add_seal_parser(verbs)
    add_status_parser(verbs)
    add_estimate_parser(verbs)
