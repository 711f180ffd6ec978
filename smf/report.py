"""`smf report`: a UC's billing-cycle summary, MUSD check and contract exposure for one month.

smf report --uc 000000000199176 --month 2026-10 [--csv] [--raw]
"""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import date, timedelta
from typing import Any

from db.local import ensure_database
from smf import console

Row = dict[str, Any]


def _month(text: str) -> date:
    """A month option: `YYYY-MM`, or `current` / `previous` (the local calendar's, in
    SMF_LOCAL_TIMEZONE: the demo loads the previous one)."""
    if text in ("current", "previous"):
        from datetime import datetime

        today = datetime.now(console.local_zone()).date().replace(day=1)
        if text == "current":
            return today
        return (today - timedelta(days=1)).replace(day=1)
    try:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"month {text!r} is not YYYY-MM (or current, previous)"
        ) from None


def _fmt(value: Any) -> str:
    return "" if value is None else str(value)


def collect(uc_code: str, month: date, *, with_losses: bool = True) -> list[tuple[str, Row]]:
    """(section, row) pairs: billing items, the MUSD verdict, the month's exposure."""
    from db import driver, figures, rules

    with driver.connect() as conn:
        if with_losses:  # the billed series: precomputed figures (computed live when stale)
            billing = figures.billing_summary(conn, uc_code, month)
            musd = figures.musd_check(conn, uc_code, month)
        else:
            billing = rules.billing_summary(conn, uc_code, month, with_losses=False)
            musd = rules.musd_check(conn, uc_code, month, with_losses=False)
        out: list[tuple[str, Row]] = [
            ("billing", {k: v for k, v in r.items() if k not in ("fresh", "computed_at")})
            for r in billing
        ]
        if billing and "computed_at" in billing[0]:
            out.append(("stamp", {"fresh": billing[0]["fresh"], "at": billing[0]["computed_at"]}))
        out += [("quality", r) for r in rules.billing_data_quality(conn, uc_code, month)]
        card = driver.run_one(conn, "uc_card", uc_code=uc_code)
        if card is not None:
            out.append(
                ("meters", {k: card.get(f"{k}_serial") for k in ("main_meter", "backup_meter")})
            )
        out.append(("musd", musd))
        out.append(("exposure", rules.exposure_month(conn, uc_code, month)))
    return out


def cmd_report(args: argparse.Namespace) -> int:
    ensure_database()
    pairs = collect(args.uc, args.month, with_losses=not args.raw)
    if args.csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["section", "field", "posto", "value", "unit", "price", "amount"])
        for section, row in pairs:
            if section == "meters":  # for the hints under the tables only
                continue
            if section == "quality":
                writer.writerow(
                    [
                        section,
                        "day" if row["day"] else "month",
                        _fmt(row["day"]),
                        _fmt(row["completeness_pct"]),
                        "%",
                        "",
                        " ".join(row["finding_rules"]),
                    ]
                )
            elif section == "billing":
                writer.writerow(
                    [
                        section,
                        row["item"],
                        _fmt(row["posto"]),
                        _fmt(row["quantity"]),
                        row["unit"],
                        _fmt(row["price"]),
                        _fmt(row["amount"]),
                    ]
                )
            else:
                for key, value in row.items():
                    writer.writerow([section, key, "", _fmt(value), "", "", ""])
        return 0
    for section, title in (
        ("billing", "Billing summary"),
        ("musd", "MUSD check"),
        ("exposure", "Exposure (contracts - consumption with losses)"),
    ):
        rows = [r for s, r in pairs if s == section]
        if section == "billing":
            rows = [{k: v for k, v in r.items() if k not in ("uc_code", "month")} for r in rows]
            title = f"{title}: UC {args.uc}, {args.month:%Y-%m}" + (
                " (as metered, no transformer losses)"
                if args.raw
                else " (energy and demand include transformer losses; --raw: as metered)"
            )
        console.table(rows, title=title)
        if section == "billing":
            for stamp in (r for s, r in pairs if s == "stamp"):
                how = (
                    "precomputed"
                    if stamp["fresh"]
                    else "computed now (the stored figures are stale)"
                )
                print(f"Figures {how} at {console.when(stamp['at'], seconds=True)}.\n")
            meters = next((r for s, r in pairs if s == "meters"), {})
            _print_quality([r for s, r in pairs if s == "quality"], meters)
    return 0


def _print_quality(rows: list[Row], meters: Row) -> None:
    """The bill's data-quality flags (smf.billing_data_quality) under the summary, in words:
    consecutive days with the same reason print as one range (`2026-11-13..2026-11-30`)."""
    month_row = next((r for r in rows if r["day"] is None), None)
    days = [r for r in rows if r["day"] is not None]
    if month_row is None:
        return
    if not days and not month_row["below_threshold"]:
        print(f"Data quality: complete ({month_row['completeness_pct']} %), no open VEE finding.\n")
        return
    print("Data quality: NOT FINAL")
    if month_row["below_threshold"]:
        print(
            f"  month {month_row['completeness_pct']} % complete"
            f" (threshold {month_row['threshold_pct']} %)"
        )
    runs: list[tuple[date, date, str]] = []
    for r in days:
        why = []
        if r["below_threshold"]:
            why.append(f"{r['completeness_pct']} % complete")
        if r["open_findings"]:
            ids = ", ".join(str(i) for i in r["finding_ids"])
            why.append(f"open VEE findings {', '.join(r['finding_rules'])} (id {ids})")
        text = "; ".join(why)
        if runs and runs[-1][2] == text and runs[-1][1] + timedelta(days=1) == r["day"]:
            runs[-1] = (runs[-1][0], r["day"], text)
        else:
            runs.append((r["day"], r["day"], text))
    for first, last, text in runs:
        span = f"{first:%Y-%m-%d}" if first == last else f"{first:%Y-%m-%d}..{last:%Y-%m-%d}"
        print(f"  {span}: {text}")
    main = meters.get("main_meter")
    if main:
        print(f"  review: smf vee findings --meter {main} --status open")
        if meters.get("backup_meter"):
            print(
                f"  fill gaps from the backup meter {meters['backup_meter']}:"
                f" smf vee estimate --meter {main} --from FIRST-DAY --to LAST-DAY"
            )
        elif any(r["below_threshold"] for r in days):
            print("  days without data: smf import FILE, or poll the meter")
    print("  threshold: smf.setting billing_min_completeness_pct\n")


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("report", help="billing, MUSD check and exposure of a UC-month")
    p.add_argument("--uc", required=True, help="15-digit UC code")
    p.add_argument(
        "--month", required=True, type=_month, help="reference month YYYY-MM (or previous)"
    )
    p.add_argument("--csv", action="store_true", help="CSV on stdout instead of tables")
    p.add_argument("--raw", action="store_true", help="use the raw series (no transformer losses)")
    p.set_defaults(func=cmd_report)
