"""`smf reports`: operator reports of seed 003 §5.8, on screen or as CSV.

smf reports outages --uc CODE [--n 20] [--csv]        last outages (meter log, or interval gaps)
smf reports alterations --uc CODE [--n 16] [--csv]    last alterations applied to the meter
smf reports phasors (--uc CODE | --all) [--at ISO] [--csv] [--svg FILE]
smf reports display --uc CODE [--csv]                 what the meter's display would show
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

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


def _diagram(rows: list[Row], cx: float, cy: float, r: float) -> list[str]:
    """One phasor diagram: voltages (solid) scaled to r, currents (dashed) scaled to 0.8 r."""
    colours = ["#c0392b", "#27ae60", "#2c3e50"]
    vmax = max((float(x["voltage_v"] or 0) for x in rows), default=0) or 1.0
    imax = max((float(x["current_a"] or 0) for x in rows), default=0) or 1.0
    out = [
        f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="none" stroke="#ddd"/>',
        f'<line x1="{cx - r}" y1="{cy}" x2="{cx + r}" y2="{cy}" stroke="#eee"/>',
        f'<line x1="{cx}" y1="{cy - r}" x2="{cx}" y2="{cy + r}" stroke="#eee"/>',
    ]
    for i, x in enumerate(rows):
        col = colours[i % 3]
        for mag, ang, scale, dash, name in (
            (x["voltage_v"], x["voltage_angle_deg"], r / vmax, "", "V"),
            (
                x["current_a"],
                x["current_angle_deg"],
                0.8 * r / imax,
                ' stroke-dasharray="5,3"',
                "I",
            ),
        ):
            if mag is None or ang is None:
                continue
            a = math.radians(float(ang))
            x2 = cx + float(mag) * scale * math.cos(a)
            y2 = cy - float(mag) * scale * math.sin(a)  # SVG y grows downwards
            label = escape(f"{name}{x['element'].split(' ')[0]}")
            out.append(
                f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{col}" '
                f'stroke-width="2"{dash}><title>{label} {mag} @ {ang} deg</title></line>'
            )
            out.append(
                f'<text x="{x2:.1f}" y="{y2:.1f}" font-size="10" fill="{col}">{label}</text>'
            )
    return out


def phasor_svg(by_uc: dict[str, list[Row]]) -> str:
    """An SVG with one phasor diagram per UC (a grid: the all-UC screen), with its table values."""
    cell, cols = 320, 3
    n = max(len(by_uc), 1)
    width, height = cell * min(n, cols), cell * math.ceil(n / cols)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif">'
    ]
    for k, (uc, rows) in enumerate(by_uc.items()):
        ox, oy = (k % cols) * cell, (k // cols) * cell
        head = rows[0] if rows else {}
        title = f"{uc} {head.get('customer_name', '')}"
        sub = f"{head.get('connection', 'no 0x14')} {_fmt(head.get('at'))}"
        parts.append(f'<g class="uc" data-uc="{escape(uc)}">')
        parts.append(f'<text x="{ox + 8}" y="{oy + 16}" font-size="12">{escape(title)}</text>')
        parts.append(f'<text x="{ox + 8}" y="{oy + 30}" font-size="10">{escape(sub)}</text>')
        parts += _diagram(rows, ox + cell / 2, oy + cell / 2 + 10, cell * 0.36)
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


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
    from smf.cli import ensure_database

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
            Path(args.svg).write_text(phasor_svg(by_uc))
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
