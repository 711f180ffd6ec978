"""The byte pipes on their own (poller/protocol/transport.py), over a real loopback TCP socket and
a real pseudo-terminal: counters, timeouts, buffered bytes before a close, every "link closed"
reason (a reset by the peer included), reconnect, the serial line settings (8N1, notes §1.4) and
the open and write failures."""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import termios
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from poller.protocol.errors import LinkClosedError
from poller.protocol.transport import SerialTransport, TcpTransport


@asynccontextmanager
async def server(
    greeting: bytes,
) -> AsyncIterator[tuple[int, list[asyncio.StreamWriter], asyncio.Queue[bytes]]]:
    """A loopback server: sends ``greeting`` on connect, queues what it receives."""
    writers: list[asyncio.StreamWriter] = []
    received: asyncio.Queue[bytes] = asyncio.Queue()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        writer.write(greeting)
        await writer.drain()
        while data := await reader.read(100):
            received.put_nowait(data)

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    try:
        yield port, writers, received
    finally:
        srv.close()
        for w in writers:
            w.close()


async def _read_exactly(t: TcpTransport | SerialTransport, n: int) -> bytes:
    out = b""
    for _ in range(20):
        if len(out) >= n:
            break
        out += await t.read(5.0)
    return out


async def test_tcp_counts_bytes_reports_each_close_and_reconnects() -> None:
    async with server(b"abc") as (port, writers, received):
        t = TcpTransport("127.0.0.1", port)
        assert not t.is_open
        with pytest.raises(LinkClosedError, match=r"^cannot write: link closed \(not connected\)$"):
            await t.write(b"x")
        with pytest.raises(LinkClosedError, match=r"^link closed \(not connected\)$"):
            await t.read(0.01)
        await t.open()
        assert t.is_open
        assert await _read_exactly(t, 3) == b"abc"
        assert t.bytes_in == 3
        await t.write(b"xyz")
        assert await asyncio.wait_for(received.get(), 5) == b"xyz"
        assert t.bytes_out == 3
        assert await t.read(0.02) == b""  # nothing within the timeout
        assert t.read_available() == b""
        # the peer writes, then closes: the bytes come first, then the closed link
        writers[0].write(b"bye")
        await writers[0].drain()
        writers[0].close()
        assert await _read_exactly(t, 3) == b"bye"
        with pytest.raises(LinkClosedError, match=r"^link closed \(peer closed the connection\)$"):
            await t.read(5.0)
        assert not t.is_open
        # reconnect: a fresh connection, greeted again
        await t.reconnect()
        assert t.is_open
        assert await _read_exactly(t, 3) == b"abc"
        assert t.bytes_in == 9
        await t.close()
        assert not t.is_open
        with pytest.raises(LinkClosedError, match=r"^cannot write: link closed \(closed by us\)$"):
            await t.write(b"x")
        await t.close()  # twice is harmless


async def test_tcp_read_is_woken_by_data_and_by_close() -> None:
    async with server(b"") as (port, writers, _received):
        t = TcpTransport("127.0.0.1", port)
        await t.open()
        while not writers:
            await asyncio.sleep(0.001)
        loop = asyncio.get_running_loop()
        started = loop.time()
        pending = asyncio.ensure_future(t.read(30.0))
        await asyncio.sleep(0)
        writers[0].write(b"\x05")
        await writers[0].drain()
        assert await asyncio.wait_for(pending, 10) == b"\x05"
        assert loop.time() - started < 10  # woken by the data, not by the 30 s timer
        pending = asyncio.ensure_future(t.read(30.0))
        await asyncio.sleep(0)
        await t.close()
        with pytest.raises(LinkClosedError, match=r"^link closed \(closed by us\)$"):
            await asyncio.wait_for(pending, 10)


async def test_tcp_connect_failure_names_host_and_port() -> None:
    async with server(b"") as (port, _w, _r):
        pass  # the port is free again: nothing listens there
    t = TcpTransport("127.0.0.1", port, connect_timeout=5.0)
    assert t.connect_timeout == 5.0
    with pytest.raises(LinkClosedError, match=rf"^cannot connect to 127\.0\.0\.1:{port}: "):
        await t.open()
    assert not t.is_open


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


async def test_tcp_connect_timeout_is_10_s_and_close_before_open_is_harmless() -> None:
    tr = TcpTransport("127.0.0.1", 1)
    assert tr.connect_timeout == 10.0
    await tr.close()  # never opened: nothing to close, no error


async def test_serial_counts_bytes_and_reports_a_port_that_goes_away() -> None:
    master, slave = os.openpty()
    name = os.ttyname(slave)
    t = SerialTransport(name)
    assert (t.port, t.baudrate, t.rts, t.dtr) == (name, 9600, None, None)
    try:
        await t.open()  # rts/dtr None: the modem lines are left alone (a pty has none)
        assert t.is_open
        await t.write(b"\x05\x06")
        assert os.read(master, 10) == b"\x05\x06"
        assert t.bytes_out == 2
        os.write(master, b"\x15")
        assert await _read_exactly(t, 1) == b"\x15"
        assert t.bytes_in == 1
        os.close(master)  # the other end goes away: reading the pty fails with EIO
        with pytest.raises(LinkClosedError, match=r"^link closed \(port closed\)$"):
            await _read_exactly(t, 1)
        assert not t.is_open
    finally:
        await t.close()
        os.close(slave)


async def test_serial_modem_lines_on_a_port_without_them_are_refused() -> None:
    master, slave = os.openpty()
    name = os.ttyname(slave)
    try:
        for kw in ({"rts": True}, {"dtr": False}):
            t = SerialTransport(name, 19200, **kw)  # type: ignore[arg-type]
            with pytest.raises(
                LinkClosedError, match=rf"^cannot set the modem-control lines of {name}: "
            ):
                await t.open()
            assert not t.is_open
    finally:
        os.close(master)
        os.close(slave)


async def test_serial_line_settings_8n1_at_the_baud_rate() -> None:
    master, slave = os.openpty()
    t = SerialTransport(os.ttyname(slave), 19200)
    try:
        await t.open()
        _iflag, _oflag, cflag, _lflag, ispeed, ospeed, _cc = termios.tcgetattr(slave)
        assert cflag & termios.CSIZE == termios.CS8  # 8 data bits
        assert not cflag & termios.PARENB  # no parity
        assert not cflag & termios.CSTOPB  # 1 stop bit
        assert ispeed == ospeed == termios.B19200
    finally:
        await t.close()
        os.close(master)
        os.close(slave)


async def test_serial_close_before_open_is_harmless() -> None:
    t = SerialTransport("/nonexistent/tty")
    await t.close()
    assert not t.is_open


async def test_serial_open_failure_names_the_port() -> None:
    t = SerialTransport("/nonexistent/tty")
    with pytest.raises(LinkClosedError, match=r"^cannot open /nonexistent/tty: "):
        await t.open()
    assert not t.is_open


async def test_serial_write_failure_closes_the_link() -> None:
    master, slave = os.openpty()
    name = os.ttyname(slave)
    t = SerialTransport(name)
    try:
        await t.open()
        assert t.is_open
        # the port fails under us: with the other end of the pty gone, a write fails (EIO) before
        # the event loop has run the reader that would notice the hang-up
        os.close(master)
        master = -1
        with pytest.raises(LinkClosedError, match=rf"^write to {name} failed: "):
            await t.write(b"\x05")
        assert not t.is_open
        with pytest.raises(LinkClosedError, match=r"^cannot write: link closed \(write error: "):
            await t.write(b"\x05")
    finally:
        await t.close()
        if master >= 0:
            os.close(master)
        os.close(slave)
