"""What `smf ccee submit` prints after a run (smf.ccee.print_report): the counts, then each held,
rejected or failed UC-day with its reason and the command that moves it on. Consecutive days of
one UC with the same outcome and reason print as one range, so a new UC with a month of empty
days is one line, not thirty. Expected text written by hand."""

from __future__ import annotations

import io
from datetime import date, timedelta

from ccee.sender import Report
from smf.ccee import print_report

UC = "000007777705999"
OTHER = "000001234505921"


def _empty_day(d: date) -> str:
    # the sender's reason for a day without any value (400_ccee.sql: its first gap ends at 00:05)
    return (
        "incomplete: 0 of 288 five-minute values present; "
        f"first missing ends {d.isoformat()}T00:05:00-03:00"
    )


def _printed(rep: Report) -> list[str]:
    out = io.StringIO()
    print_report(rep, out)
    return out.getvalue().splitlines()


def test_a_run_of_empty_days_prints_as_one_range_with_an_import_hint():
    days = [date(2026, 11, 1) + timedelta(days=i) for i in range(27)]
    rep = Report(claimed=27, held=27, held_reasons={"incomplete": 27})
    rep.problems = [(UC, d, "held", _empty_day(d)) for d in days]
    assert _printed(rep) == [
        "claimed 27: accepted 0, rejected 0, failed 0, held 27 (incomplete 27), unchanged 0",
        f"  held     UC {UC} 2026-11-01..2026-11-27, 27 days: "
        "incomplete: 0 of 288 five-minute values present",
        "           next: smf import FILE (no reading of the UC's meter on these days), "
        "then smf ccee submit",
    ]


def test_a_gap_in_the_days_or_another_reason_starts_a_new_line():
    partial = (
        "incomplete: 280 of 288 five-minute values present; "
        "first missing ends 2026-11-03T10:05:00-03:00"
    )
    musd = "musd_exceeded: 2 hours above the MUSD"
    rep = Report(claimed=6, held=6)
    rep.problems = [
        (UC, date(2026, 11, 1), "held", _empty_day(date(2026, 11, 1))),
        (UC, date(2026, 11, 2), "held", _empty_day(date(2026, 11, 2))),
        (UC, date(2026, 11, 3), "held", partial),  # partial day: its own line, estimate hint
        (UC, date(2026, 11, 5), "held", _empty_day(date(2026, 11, 5))),  # after a gap
        (OTHER, date(2026, 11, 1), "held", musd),
        (OTHER, date(2026, 11, 2), "held", musd),
    ]
    # by first day, then UC code
    lines = _printed(rep)[1:]
    assert lines == [
        f"  held     UC {OTHER} 2026-11-01..2026-11-02, 2 days: {musd}",
        f'           next: smf ccee release --uc {OTHER} --day 2026-11-01 --reason "..." '
        "(and each day to 2026-11-02)",
        f"  held     UC {UC} 2026-11-01..2026-11-02, 2 days: "
        "incomplete: 0 of 288 five-minute values present",
        "           next: smf import FILE (no reading of the UC's meter on these days), "
        "then smf ccee submit",
        f"  held     UC {UC} 2026-11-03: {partial}",
        f"           next: smf vee estimate --uc {UC} --from 2026-11-03 --to 2026-11-03, "
        "then smf ccee submit",
        f"  held     UC {UC} 2026-11-05: incomplete: 0 of 288 five-minute values present",
        "           next: smf import FILE (no reading of the UC's meter on these days), "
        "then smf ccee submit",
    ]


def test_a_single_rejected_day_prints_as_before():
    rep = Report(claimed=1, rejected=1)
    rep.problems = [(UC, date(2026, 11, 4), "rejected", "HTTP 422: medicao invalida")]
    assert _printed(rep)[1:] == [
        f"  rejected UC {UC} 2026-11-04: HTTP 422: medicao invalida",
        f"           next: smf ccee submit --uc {UC} --day 2026-11-04",
    ]
