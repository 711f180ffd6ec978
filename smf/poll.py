"""Poller verbs: `smf poll`, `smf read`, `smf emulate`, `smf export`, `smf import-abnt`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path
from typing import Any


def _summary(r: Any) -> str:
    state = "committed" if r.committed else ("pending (database)" if r.ok else "failed")
    drift = "" if r.clock_drift_s is None else f", clock drift {r.clock_drift_s:+.0f} s"
    events = f", events: {', '.join(r.events)}" if r.events else ""
    err = f": {r.error}" if r.error and not r.ok else ""
    return (
        f"{r.serial}: {r.outcome} ({state}) after {r.sessions} session(s), "
        f"{r.intervals_read} intervals read, {r.intervals_stored} new{drift}{events}{err}"
    )


def cmd_poll(args: argparse.Namespace) -> int:
    from db.local import ensure_database
    from poller.service import Poller, PollerConfig

    ensure_database("poller")  # as its login role, not the owner
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    poller = Poller(config=PollerConfig(max_connections=args.max_connections))

    async def main() -> int:
        if args.once:
            results = await poller.poll_once(due_only=not args.all)
            for r in results:
                print(_summary(r))
            failed = sum(not r.ok for r in results)
            print(
                f"{len(results)} meter(s) polled, {failed} failed, "
                f"{sum(r.intervals_stored for r in results)} new intervals"
            )
            return 1 if failed else 0
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        print("polling; Ctrl-C to stop", file=sys.stderr)
        await poller.run(stop)
        return 0

    return asyncio.run(main())


def cmd_read(args: argparse.Namespace) -> int:
    from db.local import ensure_database
    from poller.service import Poller

    ensure_database("poller")  # as its login role, not the owner
    try:
        result = asyncio.run(Poller().read_serial(args.serial))
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(_summary(result))
    return 0 if result.ok else 1


def cmd_emulate(args: argparse.Namespace) -> int:
    from poller import emulated, store

    async def main() -> int:
        fleet = await emulated.start_fleet(
            args.meters, args.base_port, base_serial=args.base_serial
        )
        try:
            if args.register:
                from db.local import ensure_database

                ensure_database()
                store.register_meters(None, emulated.fleet_registry_params(fleet, args.schedule))
            for e, port in zip(fleet.emulators, fleet.ports, strict=True):
                cfg = e.meter.config
                print(
                    f"{e.meter.serial} tcp://{fleet.host}:{port} {cfg.channels} channels, "
                    f"{cfg.interval_min} min"
                )
            print(
                f"{args.meters} emulated meter(s) running"
                f"{' and registered' if args.register else ''}; Ctrl-C to stop",
                file=sys.stderr,
            )
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(sig, stop.set)
            await stop.wait()
        finally:
            await fleet.close()
        return 0

    return asyncio.run(main())


def cmd_export(args: argparse.Namespace) -> int:
    from db.local import ensure_database
    from poller import public_io

    ensure_database()
    data, n = public_io.export_month(None, args.serial, args.month)
    Path(args.file).write_bytes(data)
    print(
        f"wrote {args.file}: {n} intervals of meter {args.serial} in {args.month}, "
        f"{len(data) // 256} blocks"
    )
    return 0


def cmd_import_abnt(args: argparse.Namespace) -> int:
    from db.local import ensure_database
    from smf.files import import_public_format

    ensure_database()
    return import_public_format(Path(args.file))


def register(sub: Any) -> None:
    p = sub.add_parser("poll", help="poll the registered meters on their schedules")
    p.add_argument("--once", action="store_true", help="poll every due meter once and exit")
    p.add_argument("--all", action="store_true", help="with --once: every meter, due or not")
    p.add_argument(
        "--max-connections",
        type=int,
        default=64,
        help="most meter sessions open at once (default 64)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log every session step")
    p.set_defaults(func=cmd_poll)

    p = sub.add_parser("read", help="read one meter now and store the read")
    p.add_argument("serial", help="8-digit serial of a registered meter")
    p.set_defaults(func=cmd_read)

    p = sub.add_parser("emulate", help="run emulated NBR 14522 meters on localhost ports")
    p.add_argument("--meters", type=int, default=10, help="how many emulated meters (default 10)")
    p.add_argument(
        "--base-port", type=int, default=4001, help="first TCP port on 127.0.0.1 (one per meter)"
    )
    p.add_argument(
        "--base-serial",
        type=int,
        default=20_000_000,
        help="serial of the first meter (the next ones count up)",
    )
    p.add_argument("--register", action="store_true", help="upsert them into smf.meter")
    p.add_argument(
        "--schedule",
        default="15min",
        choices=["15min", "hourly", "daily", "never"],
        help="poll schedule given to them with --register",
    )
    p.set_defaults(func=cmd_emulate)

    p = sub.add_parser("export", help="write a meter's month as an ABNT public-format file")
    p.add_argument("serial", help="8-digit serial of a registered meter")
    p.add_argument("--month", required=True, help="local month, YYYY-MM")
    p.add_argument("file", help="output file (256-octet blocks)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("import-abnt", help="import an ABNT public-format file")
    p.add_argument("file", help="ABNT public-format file (256-octet blocks)")
    p.set_defaults(func=cmd_import_abnt)
