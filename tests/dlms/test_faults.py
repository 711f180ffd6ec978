"""Every fault of the DLMS emulator, against our client over real TCP and a pseudo-terminal,
and the three defects a DLMS poller must survive: an FCS ending in 0x7E, a meter that hangs up
(no busy loop), a serial read that times out (an error, never an empty answer)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

from db.settings import Settings
from poller.dlms import axdr
from poller.dlms.client import Credentials, DlmsClient
from poller.dlms.errors import (
    AssociationRefusedError,
    AuthenticationError,
    BlockGapError,
    DlmsTimeoutError,
    InvokeIdError,
)
from poller.dlms.link import DlmsTimers, HdlcLink, WrapperLink
from poller.dlms.security import Keys
from poller.emulator.dlms import Capture, DlmsEmulator, DlmsFault, DlmsMeter, DlmsMeterConfig
from poller.emulator.meter import FixedClock
from poller.protocol.errors import LinkClosedError
from poller.protocol.transport import SerialTransport, TcpTransport

from .conftest import AK, EK, NOW, dlms_site, poller, q, stored

PROFILE = axdr.obis_bytes("1.0.99.1.0.255")
T = DlmsTimers(response_timeout=0.3, retries=2, inter_frame=0.2)


@asynccontextmanager
async def connected(
    cfg: DlmsMeterConfig, via: str, clock: FixedClock | None = None, cred: Credentials | None = None
) -> AsyncIterator[tuple[DlmsEmulator, DlmsClient]]:
    emu = DlmsEmulator(
        DlmsMeter(cfg, clock or FixedClock(NOW)), "wrapper" if via == "tcp" else "hdlc"
    )
    if via == "pty":
        tr: TcpTransport | SerialTransport = SerialTransport(await emu.start_pty())
    else:
        tr = TcpTransport("127.0.0.1", await emu.start_tcp())
    await tr.open()
    link = WrapperLink(tr, 16, 1, T) if via == "tcp" else HdlcLink(tr, 16, 1, None, T)
    client = DlmsClient(
        link, cred or Credentials(auth=cfg.auth, password=cfg.password, keys=Keys(AK, EK))
    )
    try:
        yield emu, client
    finally:
        await tr.close()
        await emu.close()


def base(**kw: object) -> DlmsMeterConfig:
    return DlmsMeterConfig(serial="DLMS0001", interval_min=15, profile_days=1, **kw)  # type: ignore[arg-type]


WINDOW = (datetime(2026, 11, 10, 6, 0), datetime(2026, 11, 10, 9, 0))  # local stamps
# 06:00 .. 09:00 inclusive = 13 entries, each 7 columns: 3 blocks of at most 240 octets


@pytest.mark.parametrize("via", ["tcp", "hdlc", "pty"])
async def test_dropped_frames_are_re_sent(via: str) -> None:
    async with connected(base(), via) as (emu, c):
        emu.arm(DlmsFault.DROP_FRAME, "get_next", count=2)
        await c.associate()
        rows = await c.read_buffer(PROFILE, *WINDOW)
    assert len(rows) == 13 and emu.dropped == 2
    assert c.link.stats.resends >= 2


@pytest.mark.parametrize("via", ["tcp", "hdlc"])
async def test_a_block_gap_is_re_requested_once_then_refused(via: str) -> None:
    async with connected(base(), via) as (emu, c):
        emu.arm(DlmsFault.BLOCK_GAP, "get_next", count=1)
        await c.associate()
        rows = await c.read_buffer(PROFILE, *WINDOW)  # block 3 instead of 2: asked again
        assert len(rows) == 13 and c.stats.block_rerequests == 1
        emu.arm(DlmsFault.BLOCK_GAP, "get_next", count=5)
        with pytest.raises(BlockGapError, match="block 3 received, block 2 expected"):
            await c.read_buffer(PROFILE, *WINDOW)


@pytest.mark.parametrize("via", ["tcp", "hdlc"])
async def test_wrong_invoke_ids_are_dropped_and_the_request_re_sent(via: str) -> None:
    async with connected(base(), via) as (emu, c):
        await c.associate()
        emu.arm(DlmsFault.WRONG_INVOKE_ID, "get", count=1)
        clock = await c.read_clock()
        assert clock.local == datetime(2026, 11, 10, 9, 7, 30) and c.stats.wrong_invoke_ids == 1
        emu.arm(DlmsFault.WRONG_INVOKE_ID, "get", count=10)
        with pytest.raises(InvokeIdError):
            await c.read_clock()


@pytest.mark.parametrize("via", ["tcp", "pty"])
async def test_association_refused(via: str) -> None:
    async with connected(base(), via) as (emu, c):
        emu.arm(DlmsFault.REFUSE_ASSOCIATION)
        with pytest.raises(AssociationRefusedError, match="rejected-permanent") as err:
            await c.associate()
    assert err.value.result == 1


async def test_wrong_lls_password_and_wrong_hls_key_are_refused() -> None:
    async with connected(
        base(auth="lls", password=b"right"), "tcp", cred=Credentials(auth="lls", password=b"wrong")
    ) as (_, c):
        with pytest.raises(AssociationRefusedError, match="diagnostic user 13"):
            await c.associate()
    wrong = Keys(AK, bytes(16))  # another encryption key: the meter cannot read our AARQ
    async with connected(
        base(auth="hls_gmac", authentication_key=AK, encryption_key=EK),
        "tcp",
        cred=Credentials(auth="hls_gmac", keys=wrong),
    ) as (_, c):
        with pytest.raises((AssociationRefusedError, AuthenticationError)):
            await c.associate()


@pytest.mark.parametrize("via", ["hdlc", "pty"])
async def test_an_fcs_ending_in_7e_over_tcp_and_serial(via: str) -> None:
    # the emulator picks the clock's hundredths so that its answer's FCS ends in 0x7E; one
    # second of meter time has no such hundredths about once in 1.5: step the clock until one
    clock = FixedClock(NOW)
    async with connected(base(), via, clock) as (emu, c):
        await c.associate()
        for _ in range(20):
            emu.arm(DlmsFault.FCS_7E, "get")
            reading = await c.read_clock()
            if emu.fcs_7e_sent:
                break
            clock.advance(timedelta(seconds=1))
        assert emu.fcs_7e_sent == 1
        assert reading.local.replace(microsecond=0) == (clock() - timedelta(hours=3)).replace(
            tzinfo=None
        )
        assert c.link.stats.resends == 0  # read at once: no timeout, no re-send


async def test_a_meter_that_hangs_up_raises_at_once_without_spinning() -> None:
    async with connected(base(), "tcp") as (emu, c):
        await c.associate()
        emu.arm(DlmsFault.HANG_UP, "get")
        t0 = time.process_time()
        with pytest.raises(LinkClosedError):
            await c.read_clock()
        cpu = time.process_time() - t0
    # a closed connection raises on the first read: a handful of reads, not a busy loop
    assert c.link.stats.reads <= 3, c.link.stats
    assert cpu < 5.0  # (guard only: the read count above is the assertion that decides)


async def test_a_silent_serial_line_is_a_timeout_error() -> None:
    async with connected(base(), "pty") as (emu, c):
        await c.associate()
        emu.arm(DlmsFault.DROP_FRAME, "get", count=10)
        with pytest.raises(DlmsTimeoutError, match="3 tries"):
            await c.read_clock()
    assert c.link.stats.resends == 2


# --- through the poller, into the database -------------------------------------------------------
@pytest.mark.slow
async def test_refused_association_is_logged_meter_refused(
    db_settings: Settings, clock: FixedClock
) -> None:
    async with dlms_site(db_settings, clock, base()) as s:
        s.emulator.arm(DlmsFault.REFUSE_ASSOCIATION, count=5)
        res = await poller(db_settings, clock).read_meter(s.info)
    assert res.outcome == "meter_refused" and res.sessions == 1  # meter-reported: no retry
    assert q(db_settings, "select outcome, error_class from smf.poll_attempt") == [
        ("meter_refused", "AssociationRefusedError")
    ]


@pytest.mark.slow
async def test_cumulative_profile_is_detected_and_differenced(
    db_settings: Settings, clock: FixedClock
) -> None:
    caps = (Capture("1.0.1.8.0.255", unit=30), Capture("1.0.5.8.0.255", unit=32))
    cfg = base(captures=caps, cumulative=True)
    async with dlms_site(db_settings, clock, cfg) as s:
        res = await poller(db_settings, clock).read_meter(s.info)
    assert res.ok and res.committed, res
    rows = stored(db_settings, "DLMS0001")
    # the register grows by the interval's raw value: +A of the interval starting 11:45 UTC
    # (slot 47, 47 mod 6 = 5) = 100 + 50 = 150 Wh; Q1 (k = 1) = 200 + 50 = 250 varh
    r = rows[datetime(2026, 11, 10, 11, 45, tzinfo=UTC)]
    assert (r["active_fwd_wh"], r["reactive_ind_fwd_varh"]) == (150, 250)
    # 11:30 UTC: slot 46, 46 mod 6 = 4: 140 Wh
    assert rows[datetime(2026, 11, 10, 11, 30, tzinfo=UTC)]["active_fwd_wh"] == 140
    # the profile's first entry (09:00 local on 9 Nov, start 11:45 UTC of 9 Nov) only anchors
    # the next: 95 intervals of the 96 the meter holds
    assert len(rows) == 95
    ev = q(
        db_settings,
        "select detail->>'kind', detail->>'by' from smf.meter_event "
        "where kind = 'profile_kind_decided'",
    )
    assert ev == [("cumulative", "data")]
    assert q(db_settings, "select profile_kind from smf.dlms_meter") == [("cumulative",)]


async def test_hls_never_uses_a_counter_beyond_its_reserved_block() -> None:
    # association spends 3 counters (41: ciphered InitiateRequest, 42: f(StoC), 43: the
    # ciphered ACTION carrying it); a block ending at 43 leaves none for the first GET: the
    # session stops instead of reusing a counter
    cfg = base(auth="hls_gmac", authentication_key=AK, encryption_key=EK)
    cred = Credentials(auth="hls_gmac", keys=Keys(AK, EK), invocation_counter=41, counter_limit=43)
    async with connected(cfg, "tcp", cred=cred) as (_, c):
        await c.associate()
        with pytest.raises(AuthenticationError, match="counter 44 beyond the 43 reserved"):
            await c.read_clock()


async def test_an_nbr_meter_switched_to_dlms_gets_default_settings(db_settings: Settings) -> None:
    from poller import registry

    registry.add(db_settings.url, "12345678", "tcp://127.0.0.1:4001")
    registry.set_fields(
        db_settings.url, "12345678",
        registry.Changes(protocol="dlms", transport="tcp://127.0.0.1:4059"),
    )  # fmt: skip
    assert q(db_settings, "select client_sap, server_logical, auth from smf.dlms_meter") == [
        (16, 1, "none")
    ]


@pytest.mark.slow
async def test_nbr_only_settings_are_refused_for_a_dlms_meter(db_settings: Settings) -> None:
    from poller import registry

    registry.add(db_settings.url, "DLMS0001", "tcp://127.0.0.1:4059", protocol="dlms")
    with pytest.raises(registry.RegistryError, match="speaks DLMS"):
        registry.set_fields(db_settings.url, "DLMS0001", registry.Changes(mm_layout="lo-first/bin"))
    assert q(db_settings, "select mm_layout from smf.meter") == [("undetermined",)]
