"""The emulated meter's link layer, over TCP (asyncio server) and a pseudo-terminal.

Conventional mode (meter side of NBR 14522 §1.3): while idle, send ENQ every
``enq_interval`` (only when no input is pending); take a 66/71-octet command; NAK a bad CRC;
answer (or WAIT, per the fault plan); for each block wait ``response_timeout`` for ACK/NAK,
re-send on NAK (the ``max_naks``-th NAK abandons the block: back to idle), send ENQ when the
ACK does not come (at most ``max_enq_repeats``), then go back to idle. "01 99" mode: answer
each wrapped command; octet 005 = 01 moves to the next block, 02 repeats it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tty
from dataclasses import dataclass

from poller.protocol.framing import (
    ACK,
    CODE_NOT_IMPLEMENTED,
    COMPOSITE_CODES,
    ENQ,
    NAK,
    WAIT,
    WRAPPED_COMMAND_LEN,
    Command,
    Frame,
    Garbage,
    Signal,
    StreamFramer,
    build_response,
    command_framer,
    parse_command,
    response_body,
    wrap,
    wrapped_framer,
)
from poller.protocol.transport import Transport

from .faults import FaultKind, FaultPlan, mangle
from .meter import EmulatedMeter


@dataclass(frozen=True, slots=True)
class LinkBehaviour:
    """Emulator timers (seconds) and limits. Tests use short timers."""

    enq_interval: float = 0.2  # between idle ENQs (the standard allows 31-511 ms)
    response_timeout: float = 0.5  # wait for ACK/NAK before sending ENQ
    inter_char_timeout: float = 0.1  # a command that stops arriving is dropped
    max_naks: int = 7
    max_enq_repeats: int = 7
    baud: int | None = None  # pace output (and account for input) at this line speed
    wrapped: bool = False  # speak the "01 99" wrapper instead of ENQ/ACK
    changed_serial: str = "99999999"  # used by FaultKind.CHANGE_SERIAL


class _Pipe(Transport):
    """Server-side byte pipe: fed by an asyncio protocol (TCP) or a pty master fd."""

    def __init__(self) -> None:
        super().__init__()
        self.on_close: list[object] = []
        self._tr: asyncio.Transport | None = None
        self._fd = -1

    async def open(self) -> None:  # opened by the server
        self._opened()

    async def _close(self) -> None:
        if self._tr is not None:
            self._tr.close()

    async def _write(self, data: bytes) -> None:
        if self._tr is not None:
            self._tr.write(data)
        elif self._fd >= 0:
            try:
                os.write(self._fd, data)
            except OSError as exc:
                self._lost(f"pty write error: {exc}")


class _ServerProtocol(asyncio.Protocol):
    def __init__(self, server: MeterEmulator) -> None:
        self.server = server
        self.pipe = _Pipe()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.pipe._tr = transport
        self.pipe._opened()
        self.server._spawn(self.pipe)

    def data_received(self, data: bytes) -> None:
        self.pipe._feed(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.pipe._lost("reader disconnected")


class MeterEmulator:
    """Serves one :class:`EmulatedMeter` over TCP and/or a pty."""

    def __init__(
        self,
        meter: EmulatedMeter,
        behaviour: LinkBehaviour | None = None,
        faults: FaultPlan | None = None,
    ) -> None:
        self.meter = meter
        self.behaviour = behaviour or LinkBehaviour()
        self.faults = faults or FaultPlan()
        self.commands_served = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._pty_fds: tuple[int, int] | None = None
        self._pty_pipe: _Pipe | None = None

    # --- lifecycle ---------------------------------------------------------------------------
    async def start_tcp(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on ``host:port`` (0 = any free port); return the port."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _ServerProtocol(self), host, port)
        return int(self._server.sockets[0].getsockname()[1])

    async def start_pty(self) -> str:
        """Open a pseudo-terminal; return the path a reader opens with pyserial."""
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line discipline, before anyone writes
        os.set_blocking(master, False)
        self._pty_fds = (master, slave)
        pipe = _Pipe()
        pipe._fd = master

        def readable() -> None:
            try:
                data = os.read(master, 4096)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data = b""  # EIO: no reader has the slave open right now
            if data:
                pipe._feed(data)

        asyncio.get_running_loop().add_reader(master, readable)
        pipe._opened()
        self._pty_pipe = pipe
        self._spawn(pipe)
        return os.ttyname(slave)

    def _spawn(self, pipe: _Pipe) -> None:
        task = asyncio.create_task(self._serve(pipe))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._pty_fds is not None:
            master, slave = self._pty_fds
            asyncio.get_running_loop().remove_reader(master)
            os.close(master)
            os.close(slave)
            self._pty_fds = None

    async def __aenter__(self) -> MeterEmulator:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- helpers -----------------------------------------------------------------------------
    async def _pace(self, n: int) -> None:
        if self.behaviour.baud:
            await asyncio.sleep(n * 10 / self.behaviour.baud)

    async def _send(self, pipe: _Pipe, data: bytes) -> None:
        await self._pace(len(data))
        await pipe.write(data)

    async def _event(
        self, pipe: _Pipe, framer: StreamFramer, timeout: float
    ) -> Signal | Frame | Garbage | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            ev = framer.next_event()
            if isinstance(ev, (Signal, Frame, Garbage)):
                return ev
            wait = self.behaviour.inter_char_timeout if framer.pending else deadline - loop.time()
            if wait <= 0:
                return None
            data = await pipe.read(wait)
            if not data:
                if framer.pending:
                    framer.reset()  # a command that stopped arriving: drop it
                    continue
                return None
            framer.feed(data)

    def _bodies(self, cmd: Command) -> list[bytes]:
        self.commands_served += 1
        if self.faults.take(FaultKind.OCCURRENCE, cmd.code):
            return [self.meter.occurrence_body()]
        if self.faults.take(FaultKind.NOT_IMPLEMENTED, cmd.code):
            return [response_body(CODE_NOT_IMPLEMENTED, self.meter.serial, b"")]
        bodies = self.meter.handle(cmd)
        if self.faults.take(FaultKind.CHANGE_SERIAL, cmd.code):
            bodies = [self.meter.with_serial(b, self.behaviour.changed_serial) for b in bodies]
        return bodies

    async def _serve(self, pipe: _Pipe) -> None:
        try:
            if self.behaviour.wrapped:
                await self._serve_wrapped(pipe)
            else:
                await self._serve_conventional(pipe)
        except ConnectionError:
            pass
        except Exception as exc:  # LinkClosedError and friends end the session quietly
            from poller.protocol.errors import LinkClosedError

            if not isinstance(exc, LinkClosedError):
                raise
        finally:
            if pipe is not self._pty_pipe:
                await pipe.close()

    # --- conventional ------------------------------------------------------------------------
    async def _serve_conventional(self, pipe: _Pipe) -> None:
        b = self.behaviour
        framer = command_framer()
        while True:
            if not pipe._buf and not framer.pending:
                await self._send(pipe, bytes((ENQ,)))
            ev = await self._event(pipe, framer, b.enq_interval)
            if not isinstance(ev, Frame):
                continue  # idle, stray signal or garbage
            await self._pace(len(ev.data))
            if not ev.ok:
                await self._send(pipe, bytes((NAK,)))
                continue
            cmd = parse_command(ev.data)
            if cmd.meter_serial is not None and cmd.meter_serial != self.meter.serial:
                continue  # addressed to another meter on the bus
            code = cmd.code
            if self.faults.take(FaultKind.SILENCE, code):
                continue
            if self.faults.take(FaultKind.NAK_COMMAND, code):
                await self._send(pipe, bytes((NAK,)))
                continue
            if self.faults.take(FaultKind.WAIT, code):
                await self._send(pipe, bytes((WAIT,)))
                continue
            if not await self._send_blocks(pipe, framer, code, self._bodies(cmd)):
                return

    async def _send_blocks(
        self, pipe: _Pipe, framer: StreamFramer, code: int, bodies: list[bytes]
    ) -> bool:
        """Send a (possibly composite) answer. False if the connection was dropped."""
        b, i = self.behaviour, 0
        naks = enqs = 0
        resend = True
        while i < len(bodies):
            number = i + 1
            if resend:
                if self.faults.take(FaultKind.DISCONNECT, code, number):
                    await pipe.close()
                    return False
                await self._send(pipe, mangle(build_response(bodies[i]), self.faults, code, number))
                resend = False
            ev = await self._event(pipe, framer, b.response_timeout)
            if isinstance(ev, Signal) and ev.byte == ACK:
                if self.faults.take(FaultKind.IGNORE_ACK, code, number):
                    ev = None
                else:
                    await self._pace(1)
                    if self.faults.take(FaultKind.REPEAT_BLOCK, code, number + 1):
                        resend = True  # as if the ACK had been lost: same block again
                    elif self.faults.take(FaultKind.SKIP_BLOCK, code, number + 1):
                        i += 2
                        resend = True
                    else:
                        i += 1
                        resend = True
                    naks = enqs = 0
                    continue
            if isinstance(ev, Signal) and ev.byte == NAK:
                if self.faults.take(FaultKind.IGNORE_NAK, code, number):
                    ev = None  # as if the NAK was lost: ENQ asks the reader to answer again
                else:
                    naks += 1
                    if naks >= b.max_naks:
                        return True  # 7 NAKs: the meter abandons the block, back to idle
                    resend = True
                    continue
            if ev is None:
                enqs += 1
                if enqs > b.max_enq_repeats:
                    return True  # give up the answer, back to idle
                await self._send(pipe, bytes((ENQ,)))
            # anything else (a repeated command, garbage): keep waiting for ACK/NAK
        return True

    # --- "01 99" -----------------------------------------------------------------------------
    async def _serve_wrapped(self, pipe: _Pipe) -> None:
        framer = wrapped_framer(WRAPPED_COMMAND_LEN)
        bodies: list[bytes] = []
        code, i = 0, 0
        while True:
            ev = await self._event(pipe, framer, 3600.0)
            if not isinstance(ev, Frame) or not ev.ok:
                continue  # the reader times out and asks again
            await self._pace(len(ev.data))
            body = ev.body
            flag = body[4]
            if body[0] in COMPOSITE_CODES and bodies and body[0] == code and flag in (1, 2):
                if flag == 1:
                    i += 2 if self.faults.take(FaultKind.SKIP_BLOCK, code, i + 2) else 1
                if i >= len(bodies):
                    continue
            else:
                cmd = Command(body[0], body[1:4].hex(), bytes(body[4:64]))
                code, i = cmd.code, 0
                if self.faults.take(FaultKind.SILENCE, code):
                    continue
                bodies = self._bodies(cmd)
            number = i + 1
            if self.faults.take(FaultKind.DISCONNECT, code, number):
                await pipe.close()
                return
            await self._send(pipe, mangle(wrap(bodies[i]), self.faults, code, number))
