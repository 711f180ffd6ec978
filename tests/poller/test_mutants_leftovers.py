"""The last killable mutmut survivors of poller/protocol/ and db/ingest.py (issue 13 §5; see the
survivor table in bench/RESULTS.md): the layout a mass memory was decoded with, a connection
reset by the peer, a progress bar whose first call is exactly 1 %, and a mass-memory grid that
does not divide an hour."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import struct
from datetime import datetime
from typing import Any

import pytest

from poller.protocol.client import MeterClient
from poller.protocol.codec.massmem import period_anchor
from poller.protocol.codec.mmlayout import Layout
from poller.protocol.errors import LinkClosedError
from poller.protocol.transport import TcpTransport

from .test_mutants_transport import server


@pytest.mark.parametrize("layout", list(Layout))
def test_decoded_mass_memory_says_its_layout(layout: Layout) -> None:
    # decode_groups is pure (no I/O): no session is needed. Nothing to decode, but the result
    # must still name the layout it was decoded under (MassMemory's default is hi-first/bin).
    client = MeterClient(session=None)  # type: ignore[arg-type]
    mm = client.decode_groups("12345678", False, (), layout)
    assert mm.layout is layout
    assert mm.intervals == [] and mm.meter_serial == "12345678" and mm.previous is False


async def test_tcp_reset_by_the_peer_names_the_error() -> None:
    async with server(b"") as (port, writers, _):
        t = TcpTransport("127.0.0.1", port)
        await t.open()
        for _ in range(500):  # until the server has accepted (a condition, not a fixed sleep)
            if writers:
                break
            await asyncio.sleep(0.01)
        sock: Any = writers[0].get_extra_info("socket")
        # SO_LINGER on with 0 s: the close sends RST, so the client sees ECONNRESET
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writers[0].transport.abort()
        with pytest.raises(LinkClosedError, match=r"^link closed \(peer closed: .*[Rr]eset.*\)$"):
            for _ in range(500):
                await t.read(0.01)
        await t.close()


def test_period_anchor_grid_counts_from_midnight_not_from_the_hour() -> None:
    # A 40-minute grid does not divide an hour: from midnight its points are 00:00, 00:40, 01:20,
    # 02:00 ... A reset at 01:10:00 = 4200 s; 4200 - 4200 % 2400 (= 1800) = 2400 s = 00:40.
    # (Counted from the hour, or from 01:00 as midnight, it would be 01:00.)
    from .test_mutants_commands_massmem import PARAMS

    p = dataclasses.replace(
        PARAMS,
        last_demand_reset=datetime(2024, 3, 1, 1, 10, 0),
        mm_interval_min=40,
        mm_interval_s=0,
        mm_interval_cs=0,
    )
    assert period_anchor(p, previous=False) == datetime(2024, 3, 1, 0, 40)
