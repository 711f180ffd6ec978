"""Byte pipes for the link layer: transparent TCP and serial (pyserial), one small interface.

Both buffer incoming bytes as they arrive (asyncio protocol callback for TCP, ``add_reader`` on
the port's file descriptor for serial, which works for real ports and pseudo-terminals alike),
so the link layer can wait with a timeout and also drain stale input without blocking.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from abc import ABC, abstractmethod

from .errors import LinkClosedError


class Transport(ABC):
    """A reconnectable byte pipe."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._event = asyncio.Event()
        self._waiter: asyncio.Future[None] | None = None  # the pending read(), if any
        self._closed = True
        self._reason = "not connected"
        self.bytes_in = 0
        self.bytes_out = 0

    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def _close(self) -> None: ...

    @abstractmethod
    async def _write(self, data: bytes) -> None: ...

    @property
    def is_open(self) -> bool:
        return not self._closed

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._reason = "closed by us"
            self._wake()
        await self._close()

    async def reconnect(self) -> None:
        await self.close()
        self._buf.clear()
        await self.open()

    def _opening(self) -> None:
        """Drop what a previous connection left, BEFORE connecting: bytes the peer sends as soon
        as the connection is up (a meter's ENQ, a modem's greeting) may arrive before
        :meth:`_opened` runs, and are kept."""
        self._buf.clear()
        self._event.clear()

    def _opened(self) -> None:
        self._closed = False

    def _wake(self) -> None:
        self._event.set()
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    def _feed(self, data: bytes) -> None:
        self.bytes_in += len(data)
        self._buf += data
        self._wake()

    def _lost(self, reason: str) -> None:
        self._closed = True
        self._reason = reason
        self._wake()

    async def write(self, data: bytes) -> None:
        if self._closed:
            raise LinkClosedError(f"cannot write: link closed ({self._reason})")
        self.bytes_out += len(data)
        await self._write(data)

    def read_available(self) -> bytes:
        """Bytes already received, without waiting."""
        data = bytes(self._buf)
        self._buf.clear()
        self._event.clear()
        return data

    async def read(self, timeout: float) -> bytes:
        """Bytes received within ``timeout`` seconds (b"" if none).

        Raises LinkClosedError once the peer closed and the buffer is empty.
        """
        if not self._buf:
            if self._closed:
                raise LinkClosedError(f"link closed ({self._reason})")
            self._event.clear()
            # A bare future and one timer: cheaper than asyncio.wait_for (a task per call),
            # which dominated the poller's event-loop CPU (bench/RESULTS.md, Poll CPU).
            loop = asyncio.get_running_loop()
            waiter = self._waiter = loop.create_future()
            timer = loop.call_later(timeout, _wake_up, waiter)
            try:
                await waiter
            finally:
                timer.cancel()
                self._waiter = None
            if not self._buf and self._closed:
                raise LinkClosedError(f"link closed ({self._reason})")
        return self.read_available()


def _wake_up(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class _TcpProtocol(asyncio.Protocol):
    def __init__(self, owner: TcpTransport) -> None:
        self.owner = owner

    def data_received(self, data: bytes) -> None:
        self.owner._feed(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner._lost(f"peer closed: {exc}" if exc else "peer closed the connection")


class TcpTransport(Transport):
    """Transparent TCP (GPRS modem, terminal server, emulator)."""

    def __init__(self, host: str, port: int, connect_timeout: float = 10.0) -> None:
        super().__init__()
        self.host, self.port, self.connect_timeout = host, port, connect_timeout
        self._tr: asyncio.Transport | None = None

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        self._opening()
        try:
            tr, _ = await asyncio.wait_for(
                loop.create_connection(lambda: _TcpProtocol(self), self.host, self.port),
                self.connect_timeout,
            )
        except (OSError, TimeoutError) as exc:
            raise LinkClosedError(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        self._tr = tr
        self._opened()

    async def _close(self) -> None:
        if self._tr is not None:
            self._tr.close()
            self._tr = None

    async def _write(self, data: bytes) -> None:
        assert self._tr is not None
        self._tr.write(data)


class SerialTransport(Transport):
    """Serial port via pyserial, 8N1. ``rts``/``dtr`` set the modem-control lines many optical
    heads draw power from (None = leave as the driver sets them)."""

    def __init__(
        self, port: str, baudrate: int = 9600, rts: bool | None = None, dtr: bool | None = None
    ) -> None:
        super().__init__()
        self.port, self.baudrate, self.rts, self.dtr = port, baudrate, rts, dtr
        self._serial: object | None = None
        self._fd = -1

    async def open(self) -> None:
        import serial  # pyserial; imported here so TCP-only users need not have it

        self._opening()
        try:
            ser = serial.Serial(
                self.port, self.baudrate, bytesize=8, parity="N", stopbits=1, timeout=0
            )
        except (OSError, serial.SerialException) as exc:
            raise LinkClosedError(f"cannot open {self.port}: {exc}") from exc
        try:
            if self.rts is not None:
                ser.rts = self.rts
            if self.dtr is not None:
                ser.dtr = self.dtr
        except (OSError, serial.SerialException) as exc:
            # e.g. a pseudo-terminal or a USB adapter without modem lines: a clear error, and
            # the port is not left open
            ser.close()
            raise LinkClosedError(
                f"cannot set the modem-control lines of {self.port}: {exc}"
            ) from exc
        self._serial = ser
        self._fd = ser.fileno()
        asyncio.get_running_loop().add_reader(self._fd, self._on_readable)
        self._opened()

    def _on_readable(self) -> None:
        try:
            data = os.read(self._fd, 4096)
        except OSError as exc:
            data = b""
            reason = f"read error: {exc}"
        else:
            reason = "port closed"
        if data:
            self._feed(data)
        else:
            asyncio.get_running_loop().remove_reader(self._fd)
            self._lost(reason)

    async def _close(self) -> None:
        ser, self._serial = self._serial, None
        if ser is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self._fd)
            ser.close()  # type: ignore[attr-defined]

    async def _write(self, data: bytes) -> None:
        assert self._serial is not None
        try:
            self._serial.write(data)  # type: ignore[attr-defined]
        except Exception as exc:  # pyserial raises SerialException or OSError
            self._lost(f"write error: {exc}")
            raise LinkClosedError(f"write to {self.port} failed: {exc}") from exc
