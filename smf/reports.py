"""`smf reports`: operator reports of seed 003 §5.8, on screen or as CSV.

smf reports outages --uc CODE [--n 20] [--csv]        last outages (meter log, or interval gaps)
smf reports alterations --uc CODE [--n 16] [--csv]    last alterations applied to the meter
smf reports phasors (--uc CODE | --all) [--at ISO] [--csv] [--svg FILE]
smf reports display --uc CODE [--csv]                 what the meter's display would show
"""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from formats.phasors import phasor_svg
from smf import console
from smf.console import table

Row = dict[str, Any]


def _fmt(v: Any) -> Any:
    """Instants by the time policy: local time with its offset (smf.console.when)."""
    if isinstance(v, datetime):
        return console.when(v)
    return "" if v is None else v


def fetch(name: str, **params: Any) -> list[Row]:
    from db import driver

    with driver.connect() as conn:
        return driver.run(conn, name, **params)


def phasor_rows(uc_codes: list[str], at: datetime | None = None) -> dict[str, list[Row]]:
    from db import driver

    with driver.connect() as conn:
        return {c: driver.run(conn, "report_phasors", uc_code=c, at=at) for c in uc_codes}


def _out(rows: list[Row], title: str, as_csv: bool) -> None:
    if as_csv:
        if rows:
            w = csv.writer(sys.stdout)
            w.writerow(list(rows[0]))
            for r in rows:
                w.writerow([console.csv_cell(v) for v in r.values()])
        return
    if rows:
        table([{k: _fmt(v) for k, v in r.items()} for r in rows], title=title)
    else:
        print(f"{title}: nothing recorded\n")


def cmd_reports(args: argparse.Namespace) -> int:
    from db.local import ensure_database

    if args.report != "phasors" and not args.uc:
        print(f"error: {args.report} needs --uc CODE", file=sys.stderr)
        return 2
    ensure_database()
    if args.report == "outages":
        rows = fetch("report_outages", uc_code=args.uc, n=args.n or 20)
        src = rows[0]["source"] if rows else ""
        _out(rows, f"Last {args.n or 20} outages of UC {args.uc} ({src})", args.csv)
    elif args.report == "alterations":
        rows = fetch("report_alterations", uc_code=args.uc, n=args.n or 16)
        _out(rows, f"Last {args.n or 16} alterations of UC {args.uc}", args.csv)
    elif args.report == "display":
        _out(fetch("report_display", uc_code=args.uc), f"Display of UC {args.uc}", args.csv)
    else:
        if args.all:
            codes = [r["uc_code"] for r in fetch("report_ucs_with_0x14")]
        elif args.uc:
            codes = [args.uc]
        else:
            print("error: give --uc CODE or --all", file=sys.stderr)
            return 2
        by_uc = phasor_rows(codes, args.at)
        flat = [r for rows in by_uc.values() for r in rows]
        _out(flat, "Phasor analysis (0x14)", args.csv)
        if args.svg:
            Path(args.svg).write_text(phasor_svg(by_uc, when=console.when))
            print(f"wrote {args.svg} ({len(by_uc)} UC(s))", file=sys.stderr)
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser("reports", help="operator reports: outages, alterations, phasors, display")
    p.add_argument(
        "report", choices=["outages", "alterations", "phasors", "display"], help="which report"
    )
    p.add_argument("--uc", help="consumer unit (15-digit code)")
    p.add_argument("--all", action="store_true", help="phasors: every UC with 0x14 values")
    p.add_argument("--n", type=int, help="how many (outages 20, alterations 16)")
    p.add_argument("--at", type=datetime.fromisoformat, help="phasors: reading at or before")
    p.add_argument("--csv", action="store_true", help="CSV on stdout")
    p.add_argument("--svg", help="phasors: write the diagram(s) to this SVG file")
    p.set_defaults(func=cmd_reports)
