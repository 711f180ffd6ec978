"""`smf meter add | list | show | set | retire | probe | redecode`: the meter registry without SQL.

Bad input (a bad serial, an unknown transport scheme, a malformed URL, an out-of-range value)
gets a specific message and exit status 2, and nothing is written.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date, datetime
from typing import Any


def _fail(msg: str) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return 2


def _when(text: str | None) -> datetime | None:
    if text is None:
        return None
    t = datetime.fromisoformat(text)
    if t.tzinfo is None:
        raise ValueError(f"{text!r}: give a time zone (e.g. 2024-03-01T00:00-03:00)")
    return t


def cmd_meter(args: argparse.Namespace) -> int:
    from poller import registry
    from poller.registry import RegistryError

    try:
        return _dispatch(args, registry)
    except (RegistryError, ValueError) as exc:
        return _fail(str(exc))


def _dispatch(args: argparse.Namespace, registry: Any) -> int:
    from smf.cli import ensure_database

    action = args.meter_action
    if action == "add":
        # validate everything before starting or touching the database
        protocol = registry.resolve_protocol(args.serial, args.transport, args.protocol)
        registry.check_serial(args.serial, protocol)
        if args.transport is not None:
            registry.check_transport(args.transport)
        offset = registry.parse_utc_offset(args.utc_offset)
        schedule = args.schedule or ("never" if protocol == "import_only" else "daily")
        channels = registry.check_channels(args.channels) if args.channels else None
        registry.Changes(
            interval_minutes=args.interval, poll_schedule=schedule, model=args.model
        ).validated()
        ensure_database()
        registry.add(
            None,
            args.serial,
            args.transport,
            interval_minutes=args.interval,
            utc_offset_minutes=offset,
            poll_schedule=schedule,
            model=args.model,
            protocol=protocol,
            channels=channels,
        )
        how = args.transport or "import only (no transport, never polled)"
        print(
            f"meter {args.serial} registered: {how}, {args.interval} min, "
            f"UTC{offset / 60:+g} h, polled {schedule}"
        )
        return 0
    if action == "set":
        changes = registry.Changes(
            transport=args.transport,
            interval_minutes=args.interval,
            utc_offset_minutes=None
            if args.utc_offset is None
            else registry.parse_utc_offset(args.utc_offset),
            poll_schedule=args.schedule,
            model=args.model,
            protocol=args.protocol,
            mm_layout=args.layout,
            register_unit=args.register_unit,
            enabled=True if args.enable else None,
            channel_map=registry.check_channels(args.channels) if args.channels else None,
        ).validated()
        volts = (
            None
            if args.nominal_voltage is None
            else registry.parse_nominal_voltage(args.nominal_voltage)
        )
        if args.nominal_from is not None:
            if volts is None:
                raise ValueError("--nominal-from goes with --nominal-voltage")
            date.fromisoformat(args.nominal_from)  # ValueError names a bad date
        ensure_database()
        out = registry.set_fields(None, args.serial, changes)
        print(f"meter {args.serial} updated")
        if volts is not None:
            nv = registry.set_nominal_voltage(None, args.serial, volts, args.nominal_from)
            what = "detected from its data" if not volts else f"{volts:g} V"
            note = "" if nv["standard"] else " (not one of the standard nominal values)"
            print(f"nominal voltage of {args.serial} from {nv['valid_from']} on: {what}{note}")
        if out["redecoded"] is not None:
            r = out["redecoded"]
            print(
                f"re-decoded {r.reads} stored read(s) as {args.layout}: {r.updated} interval(s) "
                f"corrected, {r.inserted} added"
            )
        return 0
    ensure_database()
    if action == "list":
        rows = registry.list_meters(None)
        for r in rows:
            state = "retired" if r["retired_at"] else ("enabled" if r["enabled"] else "disabled")
            last = r["last_ok_at"].isoformat() if r["last_ok_at"] else "never"
            print(
                f"{r['serial']}  {state:8}  {r['interval_minutes']:>2} min  "
                f"{r['poll_schedule']:6}  {r['mm_layout']:12}  {r['transport'] or '-'}  "
                f"last ok {last}"
            )
        print(f"{len(rows)} meter(s)")
        return 0
    if action == "show":
        r = registry.show(None, args.serial)
        for key in (
            "serial",
            "model",
            "protocol",
            "transport",
            "interval_minutes",
            "utc_offset_minutes",
            "poll_schedule",
            "enabled",
            "retired_at",
            "channel_map",
            "mm_layout",
            "register_unit",
            "last_ok_at",
            "last_outcome",
            "failures_since_ok",
            "raw_reads",
        ):
            print(f"{key:19} {r[key]}")
        nv = registry.nominal_voltage(None, args.serial)
        shown = "-" if nv["nominal_v"] is None else f"{nv['nominal_v']} V ({nv['how']})"
        print(f"{'nominal_voltage':19} {shown}")
        for e in r["events"]:
            print(f"event {e['at'].isoformat()} {e['kind']}: {e['message']}")
        return 0
    if action == "retire":
        at = registry.retire(None, args.serial)
        print(f"meter {args.serial} retired at {at.isoformat()} (its readings are kept)")
        return 0
    if action == "redecode":
        r = registry.redecode_serial(None, args.serial, _when(args.from_), _when(args.to))
        print(
            f"meter {args.serial}: {r.reads} stored read(s) re-decoded, {r.intervals} "
            f"interval(s) sent through ingest: {r.updated} corrected, {r.inserted} added"
        )
        return 0
    if action == "probe":
        return _probe(args.serial)
    return _fail(f"unknown action {action}")


def _probe(serial: str) -> int:
    from db import driver
    from poller.probe import probe
    from poller.protocol.errors import NBR14522Error
    from poller.registry import show
    from poller.store import MeterInfo

    row = show(None, serial, events=50)
    if not row["transport"]:
        return _fail(f"meter {serial} has no transport (set one with `smf meter set`)")
    decided = next((e["message"] for e in row["events"] if e["kind"] == "mm_layout_decided"), None)
    with driver.connect(None) as conn:
        full = driver.run_one(conn, "poll_meter_by_serial", serial=serial)
    assert full is not None
    try:
        result = asyncio.run(probe(MeterInfo.from_row(full), decided_by=decided))
    except (NBR14522Error, OSError) as exc:
        return _fail(f"meter {serial}: {type(exc).__name__}: {exc}")
    print("\n".join(result.lines()))
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("meter", help="register and inspect meters (add, list, show, set, ...)")
    verbs = p.add_subparsers(dest="meter_action", required=True)

    a = verbs.add_parser("add", help="register a meter")
    a.add_argument("serial", help="8-digit NBR 14522 serial")
    a.add_argument(
        "--transport",
        help="tcp://HOST:PORT, wrapper://HOST:PORT or serial:///dev/X?baud=9600; leave it out "
        "for a meter whose data only arrive by import (protocol import_only, never polled)",
    )
    a.add_argument("--interval", type=int, default=5, help="mass-memory interval, 5 or 15 min")
    a.add_argument(
        "--utc-offset", default="-03:00", help="meter clock offset: --utc-offset=-03:00 or =-180"
    )
    a.add_argument(
        "--schedule", help="15min, hourly, daily or never (default: daily; import-only: never)"
    )
    a.add_argument("--model")
    a.add_argument(
        "--protocol",
        help="nbr14522, nbr14522_wrapper, nbr14522_addressed, import_only (default: nbr14522 "
        "with a transport, import_only without)",
    )
    a.add_argument(
        "--channels",
        help="channel map: 'all' or a comma list (active_fwd_kwh,voltage_a_v,...); default "
        "active_fwd_kwh,reactive_ind_fwd_kvarh,reactive_cap_fwd_kvarh",
    )

    verbs.add_parser("list", help="every registered meter")
    s = verbs.add_parser("show", help="one meter: registry row, profile, health, events")
    s.add_argument("serial")

    st = verbs.add_parser("set", help="change a meter's registry row")
    st.add_argument("serial")
    st.add_argument("--transport")
    st.add_argument("--interval", type=int)
    st.add_argument("--utc-offset")
    st.add_argument("--schedule")
    st.add_argument("--model")
    st.add_argument("--protocol")
    st.add_argument("--layout", help="mass-memory layout (re-decodes the stored reads)")
    st.add_argument("--register-unit")
    st.add_argument("--enable", action="store_true", help="enable (un-retire) the meter")
    st.add_argument("--channels", help="channel map: 'all' or a comma list of quantities")
    st.add_argument(
        "--nominal-voltage",
        help="nominal voltage phase to neutral used by VEE (66.4, 127, 220 ...; a VT "
        "secondary such as 66.4 = 115/sqrt 3), or 'auto' to detect it from the data again",
    )
    st.add_argument(
        "--nominal-from",
        help="local day from which --nominal-voltage applies (YYYY-MM-DD; default: all data)",
    )

    r = verbs.add_parser("retire", help="disable a meter for good (its readings are kept)")
    r.add_argument("serial")

    pr = verbs.add_parser("probe", help="read 0x21 and 0x14 (never 0x20) and print them")
    pr.add_argument("serial")

    rd = verbs.add_parser("redecode", help="re-decode stored raw reads with the current layout")
    rd.add_argument("serial")
    rd.add_argument("--from", dest="from_", help="intervals from (ISO time with zone)")
    rd.add_argument("--to", help="intervals before (ISO time with zone)")
    p.set_defaults(func=cmd_meter)
