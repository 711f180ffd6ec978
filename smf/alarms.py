"""`smf alarms`: the alarm sheet (seed 003 §5.9) and its commands.

smf alarms list [--all] [--state open] [--uc CODE] [--csv]   the sheet, and what is skipped
smf alarms ack ID --comment TEXT [--by WHO]                  explicit acknowledgement
smf alarms close ID --comment TEXT [--by WHO]
smf alarms rules [--set RULE VALUE [--meter SERIAL | --group NAME] [--from ISO] [--method M]
                  [--basis B] [--disable]]
smf alarms group NAME --uc CODE [--uc CODE ...]              thresholds per group: rules --group
smf alarms monitor SERIAL (--hours N | --until ISO) [--reason TEXT] | smf alarms monitor --list
smf alarms notify [--url URL] [--once]                       deliver webhook notifications
"""

from __future__ import annotations

import argparse
import csv
import getpass
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from smf import console
from smf.console import table

Row = dict[str, Any]
SHEET_COLUMNS = [
    "id",
    "state",
    "rule_code",
    "rule_name",
    "uc_code",
    "customer_name",
    "meter_serial",
    "opened_at",
    "last_at",
    "value",
    "threshold",
    "unit",
    "phase",
    "occurrences",
    "acknowledged_by",
    "acknowledged_at",
    "ack_comment",
    "cleared_at",
]


def _iso(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 date/time") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} needs a UTC offset (e.g. -03:00 or Z)")
    return value


def _fmt(v: Any) -> Any:
    """Instants by the time policy (local time with its offset, smf.console.when)."""
    if isinstance(v, datetime):
        return console.when(v)
    return v


def sheet(all_: bool = False, state: str | None = None, uc_code: str | None = None) -> list[Row]:
    from db import driver

    with driver.connect() as conn:
        return driver.run(
            conn,
            "alarm_sheet",
            all=all_,
            state=state,
            uc_code=uc_code,
            distributor_id=None,
            limit=10000,
        )


def skipped(uc_code: str | None = None) -> list[Row]:
    from db import driver

    with driver.connect() as conn:
        return driver.run(conn, "alarm_skipped", uc_code=uc_code)


def cmd_list(args: argparse.Namespace) -> int:
    rows = sheet(args.all, args.state, args.uc)
    if args.csv:
        w = csv.writer(sys.stdout)
        w.writerow([*SHEET_COLUMNS, "message"])
        for r in rows:
            w.writerow([console.csv_cell(r[c]) for c in [*SHEET_COLUMNS, "message"]])
        return 0
    shown = [
        {
            "id": r["id"],
            "state": r["state"] + ("" if r["acknowledged_at"] is None else " (ack)"),
            "rule": f"{r['rule_code']} {r['rule_name']}",
            "UC": r["uc_code"] or "-",
            "customer": r["customer_name"] or "-",
            "meter": r["meter_serial"],
            "violation": _fmt(r["opened_at"]),
            "last": _fmt(r["last_at"]),
            "value": r["value_text"] or r["value"],
            "threshold": r["threshold"],
            "unit": r["unit"],
            "phase": r["phase"] or "",
            "n": r["occurrences"],
        }
        for r in rows
    ]
    if shown:
        table(shown, title=f"Alarm sheet ({len(shown)} alarm(s))")
    else:
        print("Alarm sheet: no alarms\n")
    skip = skipped(args.uc)
    if skip:
        table(
            [
                {
                    "rules": r["rules"],
                    "why": r["status"].removeprefix("skipped: "),
                    "meters": r["meters"],
                    "for example": r["examples"],
                }
                for r in skip
            ],
            title="Not evaluated (the meter cannot report the quantity)",
        )
    return 0


def cmd_ack(args: argparse.Namespace) -> int:
    from db import driver

    with driver.connect() as conn:
        name = "alarm_ack" if args.action == "ack" else "alarm_close"
        state = driver.run_scalar(conn, name, id=args.id, by=args.by, comment=args.comment)
    print(f"alarm {args.id}: {state} by {args.by}")
    return 0


def cmd_rules(args: argparse.Namespace) -> int:
    from db import driver

    with driver.connect() as conn:
        if args.set:
            rule, value = args.set
            params: dict[str, str] = {}
            if args.method:
                params["method"] = args.method
            if args.basis:
                params["basis"] = args.basis
            new_id = driver.run_scalar(
                conn,
                "alarm_set_threshold",
                rule=rule,
                value=value,
                params=json.dumps(params),
                enabled=not args.disable,
                meter_serial=args.meter,
                group_name=args.group,
                valid_from=args.valid_from,
                by=args.by,
            )
            where = args.meter or args.group or "default"
            print(f"threshold {new_id}: rule {rule} = {value} ({where})")
        rows = driver.run(conn, "alarm_rules")
    table(
        [
            {
                "rule": f"{r['code']} {r['name']}",
                "level": r["level"] or "(not programmed)",
                "value": "" if r["value"] is None else r["value"],
                "unit": r["unit"],
                "params": "" if not r["params"] else json.dumps(r["params"]),
                "on": "" if r["enabled"] is None else ("yes" if r["enabled"] else "no"),
                "from": _fmt(r["valid_from"]) or "",
                "to": _fmt(r["valid_to"]) or "",
            }
            for r in rows
        ],
        title="Alarm rules and thresholds",
    )
    return 0


def cmd_group(args: argparse.Namespace) -> int:
    from db import driver

    with driver.connect() as conn:
        for uc in args.uc:
            gid = driver.run_scalar(conn, "alarm_group_assign", group=args.name, uc_code=uc)
            print(f"UC {uc} in alarm group {args.name} ({gid})")
    return 0


def cmd_monitor(args: argparse.Namespace) -> int:
    from db import driver

    with driver.connect() as conn:
        if args.serial:
            if args.until is None and args.hours is None:
                print("error: give --hours N or --until ISO", file=sys.stderr)
                return 2
            until = args.until or datetime.now(UTC) + timedelta(hours=args.hours)
            mid = driver.run_scalar(
                conn,
                "alarm_monitor_start",
                serial=args.serial,
                until=until,
                by=args.by,
                reason=args.reason,
            )
            print(f"monitoring {mid}: meter {args.serial} read every 15 min until {_fmt(until)}")
        rows = driver.run(conn, "alarm_monitor_list")
    if rows:
        table(
            [{k: _fmt(v) for k, v in r.items()} for r in rows], title="Under 15-minute monitoring"
        )
    elif not args.serial:
        print("no meter under 15-minute monitoring")
    return 0


def cmd_notify(args: argparse.Namespace) -> int:
    from jobs.alarm_webhook import WebhookSender, url_from_env

    url = args.url or url_from_env()
    if not url:
        print("error: give --url or set SMF_ALARM_WEBHOOK_URL", file=sys.stderr)
        return 2
    sender = WebhookSender(url)
    if args.once:
        n = sender.deliver_pending()
        print(f"{n} notification(s) delivered")
        return 0
    sender.run_forever()
    return 0


def _run(func: Any) -> Any:
    def wrapped(args: argparse.Namespace) -> int:
        from db.local import ensure_database

        ensure_database()
        return int(func(args))

    return wrapped


def register(sub: Any) -> None:
    p = sub.add_parser("alarms", help="the alarm sheet: list, acknowledge, rules, monitoring")
    verbs = p.add_subparsers(dest="action", required=True)
    who = getpass.getuser()

    v = verbs.add_parser("list", help="the alarm sheet (open, acknowledged, cleared)")
    v.add_argument("--all", action="store_true", help="include closed alarms")
    v.add_argument(
        "--state",
        choices=["open", "acknowledged", "cleared", "closed"],
        help="only alarms in this state",
    )
    v.add_argument("--uc", help="one consumer unit (15-digit code)")
    v.add_argument("--csv", action="store_true", help="CSV on stdout")
    v.set_defaults(func=_run(cmd_list))

    for name, text in (("ack", "acknowledge an alarm"), ("close", "close an alarm")):
        v = verbs.add_parser(name, help=text)
        v.add_argument("id", type=int, help="alarm id (first column of `smf alarms list`)")
        v.add_argument("--comment", required=True, help="why (required)")
        v.add_argument("--by", default=who, help=f"who (default {who})")
        v.set_defaults(func=_run(cmd_ack))

    v = verbs.add_parser("rules", help="rules a-m and their thresholds; --set programs one")
    v.add_argument(
        "--set",
        nargs=2,
        metavar=("RULE", "VALUE"),
        help="program RULE (a-m) with VALUE (its threshold)",
    )
    level = v.add_mutually_exclusive_group()
    level.add_argument("--meter", help="for one meter (serial)")
    level.add_argument("--group", help="for an alarm group")
    v.add_argument("--from", dest="valid_from", type=_iso, help="valid from (default now)")
    v.add_argument("--method", choices=["nema", "ieee"], help="unbalance definition (c, h)")
    v.add_argument("--basis", choices=["contracted_pct", "kw"], help="demand basis (k)")
    v.add_argument("--disable", action="store_true", help="switch the rule off at this level")
    v.add_argument("--by", default=who, help="who programs it (default: the OS user)")
    v.set_defaults(func=_run(cmd_rules))

    v = verbs.add_parser(
        "group", help="put consumer units in an alarm group (thresholds per group)"
    )
    v.add_argument("name", help="alarm group name")
    v.add_argument("--uc", action="append", required=True, help="UC code (repeat for more)")
    v.set_defaults(func=_run(cmd_group))

    v = verbs.add_parser("monitor", help="15-minute monitoring of a point until an end time")
    v.add_argument("serial", nargs="?", help="meter serial (8 digits); omit with --list")
    v.add_argument("--hours", type=float, help="monitor for N hours from now")
    v.add_argument("--until", type=_iso, help="monitor until this ISO time with offset")
    v.add_argument("--reason", help="why the point is monitored")
    v.add_argument("--list", action="store_true", help="list the points under monitoring")
    v.add_argument("--by", default=who, help="who asks for it (default: the OS user)")
    v.set_defaults(func=_run(cmd_monitor))

    v = verbs.add_parser("notify", help="deliver alarm notifications to a webhook")
    v.add_argument("--url", help="target (default SMF_ALARM_WEBHOOK_URL)")
    v.add_argument("--once", action="store_true", help="deliver what is pending and exit")
    v.set_defaults(func=_run(cmd_notify))
