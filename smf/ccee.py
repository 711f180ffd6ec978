"""CCEE verbs: `smf ccee submit | release | status | emulate`.

smf ccee submit --uc CODE --day 2026-10-01 [--dry-run]   one UC-day (explicit: also late days)
smf ccee submit --month 2026-10 [--uc CODE] [--dry-run]  every UC-day of a month not yet accepted
smf ccee submit --due                                     what the scheduler would send now
smf ccee release --uc CODE --day D --reason "..." [--by NAME]
smf ccee status --month 2026-10 [--csv]                   the deadline board
smf ccee emulate [--port 55480]                           our CCEE on loopback (tests, demo)
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys
import time
from datetime import date, timedelta
from typing import Any

from db.local import ensure_database
from smf import console
from smf.report import _month


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"day {text!r} is not YYYY-MM-DD") from None


def _month_days(month: date) -> tuple[date, date]:
    nxt = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return month, nxt - timedelta(days=1)


def next_step(uc: str, day: date, outcome: str, reason: str, last: date | None = None) -> str:
    """The command that moves a held, rejected or failed UC-day on (as smf.ccee_day_issues);
    with `last`, for the run of days day..last that share the outcome and the reason."""
    last = last or day
    if outcome == "held" and "musd_exceeded" in reason:
        each = "" if last == day else f" (and each day to {last})"
        return f'smf ccee release --uc {uc} --day {day} --reason "..."{each}'
    if outcome == "held" and "incomplete: 0 of " in reason:
        return "smf import FILE (no reading of the UC's meter on these days), then smf ccee submit"
    if outcome == "held" and "incomplete" in reason:
        return f"smf vee estimate --uc {uc} --from {day} --to {last}, then smf ccee submit"
    if outcome == "held" and "not_registered" in reason:
        return f"smf uc set {uc} --ccee-from {day}"
    if outcome == "held":
        return f"smf ccee submit --uc {uc} --day {day} --dry-run"
    if last != day:
        return f"smf ccee submit --uc {uc} --month {day:%Y-%m}"
    return f"smf ccee submit --uc {uc} --day {day}"


def _same_every_day(reason: str) -> str:
    """A day with no value at all says where its first gap ends (its first interval): that is
    the same fact on every such day, so it is left out and the days group into one run."""
    return re.sub(r"(incomplete: 0 of \d+ [^;]*); first missing ends [^;\s]+", r"\1", reason)


def print_report(rep: Any, out: Any = None) -> None:
    """The counts in one line, then one line per held, rejected or failed UC-day with CCEE's or
    our reason and the command that moves it on; consecutive days of one UC with the same
    outcome and reason print as one range (`2026-11-01..2026-11-27, 27 days`)."""
    out = out if out is not None else sys.stdout
    held = ", ".join(f"{k} {v}" for k, v in sorted(rep.held_reasons.items()))
    print(
        f"claimed {rep.claimed}: accepted {rep.accepted}, rejected {rep.rejected}, failed "
        f"{rep.failed}, held {rep.held}{f' ({held})' if held else ''}, unchanged {rep.unchanged}",
        file=out,
    )
    runs: list[list[Any]] = []  # [uc, first, last, outcome, reason]
    problems = [(uc, d, o, _same_every_day(r)) for uc, d, o, r in rep.problems]
    for uc, day, outcome, reason in sorted(problems, key=lambda p: (p[0], p[2], p[3], p[1])):
        r = runs[-1] if runs else None
        if r and (r[0], r[3], r[4]) == (uc, outcome, reason) and r[2] + timedelta(days=1) == day:
            r[2] = day
        else:
            runs.append([uc, day, day, outcome, reason])
    for uc, first, last, outcome, reason in sorted(runs, key=lambda r: (r[1], r[0])):
        days = f"{first}" if first == last else f"{first}..{last}, {(last - first).days + 1} days"
        print(f"  {outcome:<8} UC {uc} {days}: {reason}", file=out)
        print(f"           next: {next_step(uc, first, outcome, reason, last)}", file=out)


def counts_text(counts: dict[str, Any]) -> str:
    """`new days 3, late days 0` from {'new_days': 3, 'late_days': 0}."""
    return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()) or "nothing"


def _ccee_errors(fn: Any) -> Any:
    """Print CCEE configuration and credential errors as one line (never a secret)."""

    def run(args: argparse.Namespace) -> int:
        from ccee.errors import CceeError

        try:
            return int(fn(args))
        except CceeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1

    return run


@_ccee_errors
def cmd_submit(args: argparse.Namespace) -> int:
    from ccee import payload, sender
    from ccee.client import CceeClient
    from db import driver
    from db.settings import load_ccee

    ensure_database("jobs")  # as its login role, not the owner
    if args.day and not args.uc:
        print("error: --day needs --uc", file=sys.stderr)
        return 2
    if args.dry_run:
        if not (args.uc and args.day):
            print("error: --dry-run needs --uc and --day", file=sys.stderr)
            return 2
        with driver.connect() as conn:
            uc_id = driver.run_scalar(conn, "ccee_uc_ids", uc_codes=[args.uc])
            row = driver.run_one(conn, "ccee_build", uc_ids=[uc_id], day=args.day, now=None)
        assert row is not None
        for r in row["reasons"]:
            print(f"held: {r['code']}: {r['message']}", file=sys.stderr)
        if row["reasons"]:
            return 1
        p = payload.build(
            row["uc_code"], row["agent_code"], args.day, row["stamps"], row["wh"], row["tipos"]
        )
        print(payload.pretty(p))
        print(f"sha256 {p.sha256}, {len(p.body)} bytes, {p.total_wh} Wh", file=sys.stderr)
        return 0
    cfg = load_ccee()
    with sender.Sender(None, CceeClient(cfg), cfg) as s:
        sender.release_dead_claims()
        if args.uc and args.day:
            rep = s.send_one(args.uc, args.day)
        elif args.month:
            first, last = _month_days(args.month)
            counts = sender.enqueue(None, first, last)
            print(f"queued: {counts_text(counts)}", file=sys.stderr)
            with driver.connect() as conn:
                pairs = [
                    (r["uc_code"], r["day"])
                    for r in driver.run(
                        conn, "ccee_month_uc_days", month=args.month, uc_code=args.uc
                    )
                ]
            rep = s.send_days(pairs)
        else:
            rep = s.run()
    print_report(rep)
    return 0 if rep.failed == 0 else 1


def cmd_release(args: argparse.Namespace) -> int:
    from db import driver

    ensure_database()
    who = args.by or getpass.getuser()
    with driver.connect() as conn:
        rid = driver.run_scalar(
            conn,
            "ccee_release",
            uc_code=args.uc,
            day=args.day,
            by=who,
            reason=args.reason,
            now=None,
        )
    print(f"released UC {args.uc} day {args.day} (release {rid}, by {who}): sent on the next run")
    return 0


COLUMNS = [
    "distributor",
    "uc_code",
    "customer",
    "days_due",
    "complete",
    "held",
    "held_reasons",
    "sent",
    "accepted",
    "rejected",
    "failed",
    "missing",
    "deadline",
    "business_days_left",
    "at_risk",
]


def board(month: date) -> list[dict[str, Any]]:
    from db import driver

    with driver.connect() as conn:
        return driver.run(conn, "ccee_board", month=month, now=None)


def print_board(rows: list[dict[str, Any]], month: date, out: Any = None) -> None:
    out = out if out is not None else sys.stdout  # the stream of the moment, not of import time
    if not rows:
        print(f"no UC in the retail model for {month:%Y-%m}", file=out)
        return
    shown = [
        {c: ("yes" if r[c] is True else "no" if r[c] is False else r[c]) for c in COLUMNS}
        for r in rows
    ]
    console.table(
        shown,
        columns=COLUMNS,
        title=(
            f"CCEE deadline board, month {month:%Y-%m} (MS+7du {rows[0]['deadline']}, "
            f"{rows[0]['business_days_left']} business days left)"
        ),
        out=out,
    )
    if any(r["held"] or r["rejected"] or r["failed"] for r in rows):
        print(f"Which days and why: smf ccee status --uc CODE --month {month:%Y-%m}", file=out)


ISSUE_COLUMNS = ["day", "state", "late", "attempts", "reason", "command"]


def cmd_status(args: argparse.Namespace) -> int:
    from db import driver

    ensure_database()
    if args.uc:
        with driver.connect() as conn:
            issues = driver.run(conn, "ccee_day_issues", uc_code=args.uc, month=args.month)
        if args.csv:
            console.write_csv(issues, ISSUE_COLUMNS)
            return 0
        if not issues:
            print(f"UC {args.uc}, {args.month:%Y-%m}: every day that is over is accepted")
            return 0
        print(
            f"UC {args.uc}, {args.month:%Y-%m}: {len(issues)} day(s) not accepted "
            "(or rejected by CCEE's read-back)"
        )
        for r in issues:
            late = ", late" if r["late"] else ""
            print(f"{r['day']}  {r['state']}{late} (attempts {r['attempts']}): {r['reason']}")
            print(f"            next: {r['command']}")
        return 0
    rows = board(args.month)
    if args.csv:
        console.write_csv(rows, ["month", *COLUMNS])
        return 0
    print_board(rows, args.month)
    return 0


def cmd_emulate(args: argparse.Namespace) -> int:
    from ccee import emulator
    from db.settings import load_ccee

    cfg = load_ccee()
    if not (cfg.client_id and cfg.client_secret):
        print(
            "error: set SMF_CCEE_CLIENT_ID and SMF_CCEE_CLIENT_SECRET (the emulator accepts "
            "those credentials)",
            file=sys.stderr,
        )
        return 2
    state = emulator.State(clients={cfg.client_id: str(cfg.client_secret)})
    if args.accept_any_uc:
        state.accept_unknown_ucs = True
    else:
        from db import driver

        ensure_database()
        with driver.connect() as conn:
            for r in driver.run(conn, "ccee_emulator_ucs"):
                state.ucs[r["uc"]] = emulator.Uc(r["agent"], r["musd_kw"])
    running = emulator.start(state, host="127.0.0.1", port=args.port)
    print(
        f"CCEE emulator on {running.url} ({len(state.ucs)} UCs known); Ctrl-C to stop",
        file=sys.stderr,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        running.stop()
        st = state.stats()
        print(
            f"emulator stopped: {st['requests']} API requests, {st['accepted']} accepted, "
            f"{st['rejected']} rejected",
            file=sys.stderr,
        )
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("ccee", help="CCEE submission: submit, release, status, emulate")
    verbs = p.add_subparsers(dest="ccee_command", required=True)

    s = verbs.add_parser("submit", help="send UC-days to CCEE (see smf ccee submit -h)")
    s.add_argument("--uc", help="UC code (15 digits)")
    s.add_argument("--day", type=_day, help="CCEE day (YYYY-MM-DD, -03:00)")
    s.add_argument("--month", type=_month, help="every UC-day of a month (YYYY-MM)")
    s.add_argument("--due", action="store_true", help="only what is due now (as the scheduler)")
    s.add_argument("--dry-run", action="store_true", help="print the payload, send nothing")
    s.set_defaults(func=cmd_submit)

    r = verbs.add_parser("release", help="release a UC-day held by the MUSD rule")
    r.add_argument("--uc", required=True, help="15-digit UC code")
    r.add_argument("--day", type=_day, required=True, help="CCEE day YYYY-MM-DD")
    r.add_argument("--reason", required=True, help="why it may be sent (kept in the ledger)")
    r.add_argument("--by", help="who releases it (default: the login name)")
    r.set_defaults(func=cmd_release)

    st = verbs.add_parser(
        "status", help="the deadline board of a month; with --uc each day not accepted and why"
    )
    st.add_argument("--month", type=_month, required=True, help="reference month YYYY-MM")
    st.add_argument(
        "--uc", help="one UC: each held, rejected, failed or late day, its reason and next command"
    )
    st.add_argument("--csv", action="store_true", help="CSV on stdout instead of the table")
    st.set_defaults(func=cmd_status)

    e = verbs.add_parser("emulate", help="run our CCEE emulator on loopback")
    e.add_argument(
        "--port", type=int, default=55480, help="loopback port to listen on (default 55480)"
    )
    e.add_argument(
        "--accept-any-uc", action="store_true", help="do not load the UCs from the database"
    )
    e.set_defaults(func=cmd_emulate)
