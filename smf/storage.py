"""`smf storage`: the storage tiers.

  smf storage estimate --meters N --interval 5|15 --channels K --years Y [--hot-days D] [--json]
      bytes per tier and the total for a fleet, from the bytes per interval measured by a
      benchmark and recorded with its date in bench/storage_figures.json
      (db/storage_estimate.py)

Each verb is a `cmd_<verb>` function and a parser added by `add_<verb>_parser(verbs)`, listed
in register() below; the sealing verbs (`seal`, `status`) sit beside `estimate` the same way.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


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
    p = sub.add_parser("storage", help="storage tiers: cost estimate")
    verbs = p.add_subparsers(dest="storage_command", required=True)
    add_estimate_parser(verbs)
