"""A meter of unknown profile is read exactly in each of the four mass-memory layouts: its first
read decides the layout and register unit from its own data, records the decision and its
evidence as meter events, keeps the raw blocks, and raises no plausibility warning. A meter
whose registers disagree raises one event naming both figures."""

from __future__ import annotations

import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from db.settings import Settings
from poller.emulator import FaultKind, FixedClock, MeterConfig

from .conftest import assert_matches, poller, q, site

YESTERDAY = datetime(2024, 3, 7, 3, tzinfo=UTC)
LAST_END = datetime(2024, 3, 8, 15, tzinfo=UTC)
SERIAL = "32600999"  # peak 349 kW: counts above 255 in every layout


@pytest.mark.slow
@pytest.mark.parametrize("layout", ["hi-first/bin", "lo-first/bin", "hi-first/bcd", "lo-first/bcd"])
async def test_unknown_layout_is_detected_and_read_exactly(
    db_settings: Settings, clock: FixedClock, layout: str
) -> None:
    cfg = MeterConfig(serial=SERIAL, mm_layout=layout)
    async with site(db_settings, clock, cfg) as s:
        assert s.info.mm_layout == "undetermined"
        res = await poller(db_settings, clock).read_meter(s.info)
    assert res.ok and res.committed, res
    assert_matches(db_settings, s.meter, YESTERDAY, LAST_END)
    assert q(db_settings, "select mm_layout, register_unit from smf.meter") == [
        (layout, "kwh_x1000")
    ]
    events = q(db_settings, "select kind, message, detail from smf.meter_event order by id")
    assert [e[0] for e in events] == ["mm_layout_decided", "register_unit_decided"]
    assert layout in events[0][1] and events[0][2]["layout"] == layout
    assert f"{layout} | kwh_x1000" in events[0][2]["sums"]  # the evidence: sums per candidate
    n_blocks, layout_used, blocks = q(
        db_settings, "select n_blocks, layout, blocks from smf.raw_read"
    )[0]
    raw = zlib.decompress(blocks)
    assert layout_used == layout and len(raw) == 256 * n_blocks and raw[0] == 0x21


@pytest.mark.slow
async def test_registers_that_disagree_raise_one_event_with_both_figures(
    db_settings: Settings, clock: FixedClock
) -> None:
    cfg = MeterConfig(serial=SERIAL, register_skew=0.05)
    async with site(db_settings, clock, cfg) as s:
        info = replace(s.info, mm_layout="hi-first/bin", register_unit="kwh_x1000")
        res = await poller(db_settings, clock).read_meter(info)
    assert res.ok and res.events == ["plausibility_contradiction"]
    ((msg, detail),) = q(db_settings, "select message, detail from smf.meter_event")
    ch = detail["channels"][0]
    assert ch["channel"] == "active_fwd_kwh"
    assert ch["register_delta"] == pytest.approx(ch["interval_sum"] * 1.05, rel=1e-3)
    assert f"intervals sum {ch['interval_sum']:.3f} kWh" in msg
    assert f"registers grew {ch['register_delta']:.3f} kWh" in msg


@pytest.mark.slow
async def test_a_late_decision_re_decodes_the_stored_frames(
    db_settings: Settings, clock: FixedClock
) -> None:
    """First read without registers (0x23 not implemented): the two binary placements read the
    data differently and nothing tells them apart, so the layout stays undetermined and the
    read is stored with the default guess (hi-first), wrongly for this lo-first meter. The next
    read has registers: lo-first is decided, and the first read's stored frames are re-decoded
    through the ingest path: every interval right, the wrong versions kept in history, the
    rollups equal to the sum of the corrected intervals."""
    cfg = MeterConfig(serial=SERIAL, mm_layout="lo-first/bin")
    async with site(db_settings, clock, cfg) as s:
        s.faults.add(FaultKind.NOT_IMPLEMENTED, 0x23)
        p = poller(db_settings, clock)
        first = await p.read_meter(s.info)
        assert first.ok and first.events == []
        assert q(db_settings, "select mm_layout from smf.meter") == [("undetermined",)]
        wrong = q(db_settings, "select count(*) from smf.interval_reading")[0][0]
        assert wrong == 432
        with pytest.raises(AssertionError):
            assert_matches(db_settings, s.meter, YESTERDAY, LAST_END)  # the guess was wrong
        clock.advance(timedelta(minutes=10))
        second = await p.read_meter(s.info)
    assert second.ok and second.events[:2] == ["mm_layout_decided", "register_unit_decided"]
    assert q(db_settings, "select mm_layout from smf.meter") == [("lo-first/bin",)]
    assert_matches(db_settings, s.meter, YESTERDAY, LAST_END + timedelta(minutes=10))
    (msg,) = q(db_settings, "select message from smf.meter_event where kind = 'redecoded'")[0]
    assert msg.startswith("1 earlier read(s) re-decoded as lo-first/bin")
    # history kept: the guessed versions of the corrected intervals are in the history table
    changed = q(db_settings, "select count(distinct ts) from smf.interval_reading_history")[0][0]
    assert 0 < changed <= 432
    # rollups exact: the daily rollup equals the sum of the stored (corrected) intervals
    direct, rolled = q(
        db_settings,
        "select (select sum(active_fwd_wh) from smf.interval_reading), "
        "(select sum(active_fwd_wh) from smf.rollup_15min)",
    )[0]
    assert direct == rolled
    assert q(db_settings, "select distinct layout from smf.raw_read") == [("lo-first/bin",)]
