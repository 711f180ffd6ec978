"""A DLMS meter read end to end: emulator over real TCP/pty → poller → ingest → database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from db.settings import Settings
from poller.emulator.dlms import DlmsMeterConfig
from poller.emulator.meter import FixedClock

from .conftest import AK, EK, dlms_site, poller, q, stored


@pytest.mark.slow
@pytest.mark.parametrize("via", ["tcp", "hdlc", "pty"])
@pytest.mark.parametrize("auth", ["none", "lls", "hls_gmac"])
async def test_profile_read_and_stored_by_hand(
    db_settings: Settings, clock: FixedClock, via: str, auth: str
) -> None:
    cfg = DlmsMeterConfig(
        serial="DLMS0001",
        interval_min=15,
        auth=auth,
        password=b"s3cret-lls",
        authentication_key=AK,
        encryption_key=EK,
        profile_days=1,
    )
    async with dlms_site(db_settings, clock, cfg, via=via) as s:
        res = await poller(db_settings, clock).read_meter(s.info)
    assert res.ok and res.committed, res
    rows = stored(db_settings, "DLMS0001")
    # Hand-worked interval: start 2026-11-10 11:45 UTC (08:45 local), stamped 09:00 local.
    # slot = (11 × 60 + 45) // 15 = 47; 47 mod 6 = 5.
    # +A (k = 0): raw 100 × 1 + 10 × 5 = 150 Wh; -A (k = 1): 200 + 50 = 250 Wh;
    # Q1 (k = 2): 350 varh; Q4 (k = 3): 450 varh; V L1: 1270 + 10 × (47 mod 3 = 2) = 1290 → 129.0 V
    r = rows[datetime(2026, 11, 10, 11, 45, tzinfo=UTC)]
    assert (
        r["active_fwd_wh"],
        r["active_rev_wh"],
        r["reactive_ind_fwd_varh"],
        r["reactive_cap_fwd_varh"],
        r["voltage_a_mv"],
    ) == (150, 250, 350, 450, 129000)
    assert r["quality"] == "measured" and r["source"] == "meter"
    # The last closed interval: meter 09:07:30 local → last stamp 09:00 → start 11:45 UTC.
    assert max(rows) == datetime(2026, 11, 10, 11, 45, tzinfo=UTC)
    # First read: the poller asks for 2 days (dlms_first_read), the emulator holds 1 day from
    # 09:00 local of 9 Nov: intervals 9 Nov 12:00 UTC .. 10 Nov 11:45 UTC = 96.
    assert len(rows) == 96
    assert q(db_settings, "select channel_map from smf.meter where serial = 'DLMS0001'") == [
        (
            [
                "active_fwd_kwh",
                "active_rev_kwh",
                "reactive_ind_fwd_kvarh",
                "reactive_cap_fwd_kvarh",
                "voltage_a_v",
            ],
        )
    ]
