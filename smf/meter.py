"""`smf meter add | list | show | set | retire | probe | redecode | clock | report`: the meter
registry without SQL.

Bad input (a bad serial, an unknown transport scheme, a malformed URL, an out-of-range value)
gets a specific message and exit status 2, and nothing is written.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date, datetime
from typing import Any

from smf import console


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
    from db.local import ensure_database

    action = args.meter_action
    if action == "add" and args.protocol == "dlms":
        return _add_dlms(args, registry)
    if action == "clock":
        return _clock(args)
    if action == "report":
        return _report(args, registry)
    if action == "add":
        if args.interval is None:
            args.interval = 5  # NBR 14522 default (DLMS: 15, above)
        # validate everything before starting or touching the database
        protocol = registry.resolve_protocol(args.serial, args.transport, args.protocol)
        registry.check_serial(args.serial, protocol)
        if args.transport is not None:
            registry.check_transport(args.transport)
        if args.transport is None and protocol != "import_only":
            raise registry.RegistryError(
                "a meter that is read needs --transport (tcp://, wrapper:// or serial:///); "
                "a meter whose data only come from files takes --protocol import_only"
            )
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
        if args.dlms_energy_unit or args.dlms_profile_kind:
            registry.set_dlms_decision(
                None,
                args.serial,
                energy_unit=args.dlms_energy_unit,
                profile_kind=args.dlms_profile_kind,
            )
        if any(v is not None for v in (args.clock_auto, args.clock_min_s, args.clock_max_s)):
            registry.set_clock_policy(
                None,
                args.serial,
                auto_correct=None if args.clock_auto is None else args.clock_auto == "on",
                correct_min_s=args.clock_min_s,
                correct_max_s=args.clock_max_s,
            )
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
            last = console.when(r["last_ok_at"]) if r["last_ok_at"] else "never"
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
            print(f"{key:19} {console.cell(r[key]) if r[key] is not None else None}")
        nv = registry.nominal_voltage(None, args.serial)
        shown = "-" if nv["nominal_v"] is None else f"{nv['nominal_v']} V ({nv['how']})"
        print(f"{'nominal_voltage':19} {shown}")
        for key, value in (r.get("dlms") or {}).items():  # DLMS settings (never the keys)
            if key != "capture_objects":
                print(f"dlms_{key:14} {value}")
        for c in r.get("clock_corrections") or []:
            print(
                f"clock {c['at'].isoformat()} {c['kind']} {c['outcome']}: {c['meter_before']} -> "
                f"{c['meter_after']} ({c['reason']})"
            )
        for e in r["events"]:
            print(f"event {console.when(e['at'])} {e['kind']}: {e['message']}")
        return 0
    if action == "retire":
        at = registry.retire(None, args.serial)
        print(f"meter {args.serial} retired at {console.when(at)} (its readings are kept)")
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


def _add_dlms(args: argparse.Namespace, registry: Any) -> int:
    """`smf meter add SERIAL --protocol dlms ...`: keys from --keys-file or the environment."""
    import os

    from db.local import ensure_database

    registry.check_serial(args.serial, "dlms")
    registry.check_transport(args.transport)
    offset = registry.parse_utc_offset(args.utc_offset)
    keys = registry.read_keys(args.keys_file, dict(os.environ))
    opts = registry.DlmsOptions(
        client_sap=args.client_address,
        server_logical=args.server_address,
        server_physical=args.server_physical,
        auth=args.auth,
        profile_obis=args.profile_obis,
        password=keys.get("password", b""),
        authentication_key=keys.get("authentication_key", b""),
        encryption_key=keys.get("encryption_key", b""),
        system_title=keys.get("system_title", b"SMF00001"),
    ).validated(args.transport)
    interval = args.interval if args.interval is not None else 15
    args.schedule = args.schedule or "daily"
    registry.Changes(
        interval_minutes=interval, poll_schedule=args.schedule, model=args.model
    ).validated()
    ensure_database()
    registry.add_dlms(
        None,
        args.serial,
        args.transport,
        opts,
        interval_minutes=interval,
        utc_offset_minutes=offset,
        poll_schedule=args.schedule,
        model=args.model,
    )
    server = str(opts.server_logical)
    if opts.server_physical is not None:
        server += f"/{opts.server_physical}"
    print(
        f"DLMS meter {args.serial} registered: {args.transport}, client {opts.client_sap}, "
        f"server {server}, authentication {opts.auth}, profile {opts.profile_obis}, "
        f"{interval} min, polled {args.schedule}"
        + (" (keys stored encrypted)" if opts.auth != "none" else "")
    )
    return 0


def _clock(args: argparse.Namespace) -> int:
    """`smf meter clock SERIAL --check | --set`."""
    from db.local import ensure_database
    from poller.clockset import operator_clock
    from poller.config import PollerConfig
    from poller.protocol.errors import NBR14522Error

    if args.set == args.check:
        return _fail("say --check (read the clock) or --set (write the poller's time)")
    ensure_database()
    try:
        r = asyncio.run(operator_clock(None, args.serial, args.set, PollerConfig()))
    except (LookupError, RuntimeError, NBR14522Error, OSError) as exc:
        return _fail(f"meter {args.serial}: {type(exc).__name__}: {exc}")
    print(
        f"meter {r.serial}: clock {r.meter_before.isoformat()} at {r.reference.isoformat()} "
        f"(drift {r.drift_s:+.0f} s)"
    )
    if r.meter_after is not None:
        print(f"set: now {r.meter_after.isoformat()} (drift {r.drift_after_s:+.0f} s); logged")
    return 0


def _report(args: argparse.Namespace, registry: Any) -> int:
    """`smf meter report config | clock | connectivity [--csv]`."""
    import csv
    from datetime import UTC, timedelta

    from db.local import ensure_database

    ensure_database()
    hi = datetime.now(UTC)
    rows = registry.reports(
        None, args.which, days=args.days, lo=hi - timedelta(days=args.days), hi=hi
    )
    if not rows:
        print("no meters")
        return 0
    cols = list(rows[0])
    if args.csv:
        w = csv.writer(sys.stdout)
        w.writerow(cols)
        for r in rows:
            w.writerow([r[c] for c in cols])
        return 0
    for r in rows:
        print("  ".join(f"{c}={r[c]}" for c in cols if r[c] is not None))
    print(f"{len(rows)} meter(s)")
    return 0


def _probe(serial: str) -> int:
    from db import driver
    from poller.probe import probe
    from poller.protocol.errors import NBR14522Error
    from poller.registry import show
    from poller.store import MeterInfo

    row = show(None, serial, events=50)
    if not row["transport"]:
        return _fail(f"meter {serial} has no transport (set one with `smf meter set`)")
    if row["protocol"] == "dlms":
        return _probe_dlms(serial)
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


def _probe_dlms(serial: str) -> int:
    """A DLMS probe: GETs only (device id, clock, profile columns, scalers)."""
    from poller import store
    from poller.dlms.probe import probe_dlms
    from poller.protocol.errors import NBR14522Error

    meter = store.meter_for_request(None, serial)
    try:
        result = asyncio.run(probe_dlms(None, meter))
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
    a.add_argument(
        "--interval",
        type=int,
        default=None,
        help="mass-memory interval, 5 or 15 min (DLMS: 15 unless given)",
    )
    a.add_argument(
        "--utc-offset", default="-03:00", help="meter clock offset: --utc-offset=-03:00 or =-180"
    )
    a.add_argument(
        "--schedule", help="15min, hourly, daily or never (default: daily; import-only: never)"
    )
    a.add_argument("--model", help="meter model, free text (e.g. E750)")
    a.add_argument(
        "--protocol",
        help="nbr14522, nbr14522_wrapper, nbr14522_addressed, dlms, import_only (default: nbr14522 "
        "with a transport, import_only without)",
    )
    a.add_argument(
        "--channels",
        help="channel map: 'all' or a comma list (active_fwd_kwh,voltage_a_v,...); default "
        "active_fwd_kwh,reactive_ind_fwd_kvarh,reactive_cap_fwd_kvarh",
    )
    dl = a.add_argument_group("DLMS/COSEM (--protocol dlms)")
    dl.add_argument("--client-address", type=int, default=16, help="client SAP (16 = public)")
    dl.add_argument("--server-address", type=int, default=1, help="server logical address")
    dl.add_argument("--server-physical", type=int, help="server physical address (HDLC)")
    dl.add_argument("--auth", default="none", help="none, lls or hls_gmac")
    dl.add_argument("--profile-obis", default="1.0.99.1.0.255", help="load-profile OBIS")
    dl.add_argument(
        "--keys-file",
        help="password= / authentication_key= / encryption_key= / "
        "system_title= lines (else SMF_DLMS_PASSWORD, SMF_DLMS_AK, SMF_DLMS_EK)",
    )

    verbs.add_parser("list", help="every registered meter")
    s = verbs.add_parser("show", help="one meter: registry row, profile, health, events")
    s.add_argument("serial", help="8-digit serial")

    st = verbs.add_parser("set", help="change a meter's registry row")
    st.add_argument("serial", help="8-digit serial")
    st.add_argument("--transport", help="new transport URL (tcp://, wrapper://, serial:///)")
    st.add_argument("--interval", type=int, help="mass-memory interval, 5 or 15 min")
    st.add_argument("--utc-offset", help="meter clock offset, e.g. --utc-offset=-03:00")
    st.add_argument("--schedule", help="15min, hourly, daily or never")
    st.add_argument("--model", help="meter model, free text")
    st.add_argument(
        "--protocol", help="nbr14522, nbr14522_wrapper, nbr14522_addressed, import_only"
    )
    st.add_argument("--layout", help="mass-memory layout (re-decodes the stored reads)")
    st.add_argument(
        "--register-unit",
        help="Wh per register unit (e.g. 1, 10, 1000) instead of the detected one",
    )
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
    st.add_argument("--dlms-energy-unit", help="DLMS: wh or kwh when attribute 3 is unreadable")
    st.add_argument("--dlms-profile-kind", help="DLMS: interval or cumulative (override)")
    st.add_argument("--clock-auto", choices=("on", "off"), help="automatic clock correction")
    st.add_argument("--clock-min-s", type=int, help="correct from this drift (s)")
    st.add_argument("--clock-max-s", type=int, help="leave the clock alone beyond (s): alarm j")

    ck = verbs.add_parser("clock", help="read (--check) or set (--set) a meter's clock")
    ck.add_argument("serial", help="meter serial (8 digits, or a DLMS device id)")
    ck.add_argument("--check", action="store_true", help="read the clock, log the drift")
    ck.add_argument("--set", action="store_true", help="write the poller's time (UTC+offset)")

    rp = verbs.add_parser("report", help="meter configurations, clocks, connectivity")
    rp.add_argument(
        "which",
        choices=("config", "clock", "connectivity"),
        help="config: settings per meter; clock: drift and corrections; connectivity: sessions",
    )
    rp.add_argument("--days", type=int, default=30, help="window of clock/connectivity (days)")
    rp.add_argument("--csv", action="store_true", help="CSV instead of a table")

    r = verbs.add_parser("retire", help="disable a meter for good (its readings are kept)")
    r.add_argument("serial", help="8-digit serial")

    pr = verbs.add_parser("probe", help="read 0x21 and 0x14 (never 0x20) and print them")
    pr.add_argument("serial", help="8-digit serial")

    rd = verbs.add_parser("redecode", help="re-decode stored raw reads with the current layout")
    rd.add_argument("serial", help="8-digit serial")
    rd.add_argument("--from", dest="from_", help="intervals from (ISO time with zone)")
    rd.add_argument("--to", help="intervals before (ISO time with zone)")
    p.set_defaults(func=cmd_meter)
