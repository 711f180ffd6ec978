"""The DLMS link layers: the only place that re-sends. One APDU in, one APDU out.

* :class:`WrapperLink` (IEC 62056-47 over TCP): send the WPDU; wait up to ``response_timeout``
  for a WPDU from the server's wPort to ours; on silence re-send the same WPDU, at most
  ``retries`` times, then DlmsTimeoutError. WPDUs for other wPorts are dropped.
* :class:`HdlcLink` (IEC 62056-46 over a serial port, an optical head or a TCP pipe): SNRM/UA
  to connect; each APDU is sent as I-frames (segmented to the negotiated size, each segment
  acknowledged by RR) and the answer collected from I-frames (we send RR for each segment with
  the S bit). Recovery: a frame with a bad HCS/FCS, another address or an old N(S) (a repeat)
  is dropped; on silence our last frame is re-sent unchanged (the meter answers a repeated
  N(S) by repeating its answer), at most ``retries`` times, then DlmsTimeoutError; a frame
  error that persists through the re-sends is DlmsFrameError. DISC ends the link.

Every wait is bounded: a read that times out counts against the re-sends (a serial port that
goes quiet is an error, not an empty answer), and a closed pipe raises LinkClosedError at once
(the transport never returns empty bytes for a closed connection), so a meter that hangs up
never makes us spin.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from poller.config import DlmsTimers
from poller.protocol.transport import Transport

from . import hdlc
from .errors import DlmsFrameError, DlmsTimeoutError
from .wrapper import WrapperDeframer, encode_wpdu


@dataclass(slots=True)
class LinkStats:
    frames_sent: int = 0
    frames_received: int = 0
    resends: int = 0
    bad_frames: int = 0  # HCS/FCS errors
    dropped: int = 0  # other address, repeated N(S), other wPort
    reads: int = 0  # transport reads (a closed pipe must not make this grow without bound)


class DlmsLink:
    """Common interface: ``open()``, ``request(apdu) -> apdu``, ``close()``."""

    transport: Transport
    stats: LinkStats
    #: the APDUs received, in order (kept with the read as raw data)
    received: list[bytes]

    async def open(self) -> None:
        raise NotImplementedError

    async def request(self, apdu: bytes) -> bytes:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    @property
    def max_apdu(self) -> int:
        return 0xFFFF


class WrapperLink(DlmsLink):
    def __init__(
        self, transport: Transport, client_wport: int, server_wport: int, timers: DlmsTimers
    ) -> None:
        self.transport, self.timers = transport, timers
        self.client, self.server = client_wport, server_wport
        self.deframer = WrapperDeframer()
        self.stats = LinkStats()
        self.received = []

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def request(self, apdu: bytes) -> bytes:
        wpdu = encode_wpdu(self.client, self.server, apdu)
        self.deframer.buf.clear()
        for attempt in range(self.timers.retries + 1):
            if attempt:
                self.stats.resends += 1
            await self.transport.write(wpdu)
            self.stats.frames_sent += 1
            answer = await self._receive()
            if answer is not None:
                self.received.append(answer)
                return answer
        raise DlmsTimeoutError(
            f"no answer from the meter in {self.timers.response_timeout:g} s, "
            f"{self.timers.retries + 1} tries"
        )

    async def _receive(self) -> bytes | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timers.response_timeout
        while True:
            w = self.deframer.next()
            if w is not None:
                self.stats.frames_received += 1
                if w.source == self.server and w.dest == self.client:
                    return w.apdu
                self.stats.dropped += 1
                continue
            left = deadline - loop.time()
            if left <= 0:
                return None
            self.stats.reads += 1
            data = await self.transport.read(left)
            if data:
                self.deframer.feed(data)


class HdlcLink(DlmsLink):
    def __init__(
        self,
        transport: Transport,
        client_sap: int,
        server_logical: int,
        server_physical: int | None,
        timers: DlmsTimers,
        max_info: int = 128,
    ) -> None:
        self.transport, self.timers = transport, timers
        self.client_addr = hdlc.encode_address(client_sap)
        self.server_addr = hdlc.encode_address(server_logical, server_physical)
        self.deframer = hdlc.Deframer()
        self.stats = LinkStats()
        self.received = []
        self.max_info_tx = self.max_info_rx = max_info
        self.ns = self.nr = 0  # our next N(S); the N(S) we expect next (= our N(R))
        self.connected = False

    def _frame(self, control: int, info: bytes = b"", segmented: bool = False) -> bytes:
        return hdlc.encode_frame(self.server_addr, self.client_addr, control, info, segmented)

    async def open(self) -> None:
        """SNRM → UA; reads the negotiated maximum information lengths."""
        ua = await self._exchange(self._frame(hdlc.SNRM), lambda f: f.control & 0xEF == 0x63)
        params = hdlc.parse_ua_parameters(ua.info)
        self.max_info_tx = params.get(6, self.max_info_tx)  # the meter's max info rx
        self.max_info_rx = params.get(5, self.max_info_rx)
        self.ns = self.nr = 0
        self.connected = True

    async def close(self) -> None:
        if self.connected:
            self.connected = False
            with contextlib.suppress(DlmsTimeoutError, DlmsFrameError):
                await self._exchange(
                    self._frame(hdlc.DISC), lambda f: f.control & 0xEF in (0x63, 0x0F), retries=0
                )

    async def request(self, apdu: bytes) -> bytes:
        info = hdlc.LLC_REQUEST + apdu
        chunks = [info[i : i + self.max_info_tx] for i in range(0, len(info), self.max_info_tx)]
        for k, chunk in enumerate(chunks):
            last = k == len(chunks) - 1
            frame = self._frame(hdlc.i_control(self.ns, self.nr), chunk, segmented=not last)
            if not last:
                expect_nr = (self.ns + 1) & 7
                await self._exchange(frame, lambda f, n=expect_nr: f.is_rr and f.nr == n)
                self.ns = (self.ns + 1) & 7
                continue
            got = await self._exchange(frame, self._is_next_i)
            self.ns = (self.ns + 1) & 7
        parts = [got.info]
        while got.segmented:
            self.nr = (self.nr + 1) & 7
            got = await self._exchange(self._frame(hdlc.rr_control(self.nr)), self._is_next_i)
            parts.append(got.info)
        self.nr = (self.nr + 1) & 7
        data = b"".join(parts)
        if not data.startswith(hdlc.LLC_RESPONSE):
            from .errors import DlmsDecodeError

            raise DlmsDecodeError(f"HDLC answer without the LLC header e6e700: {data[:3].hex()}")
        apdu_out = data[len(hdlc.LLC_RESPONSE) :]
        self.received.append(apdu_out)
        return apdu_out

    def _is_next_i(self, f: hdlc.Frame) -> bool:
        return f.is_i and f.ns == self.nr

    async def _exchange(
        self, frame: bytes, accept: object, retries: int | None = None
    ) -> hdlc.Frame:
        """Send ``frame``; return the first sound frame addressed to us that ``accept`` takes.
        Re-sends ``frame`` on silence."""
        tries = (self.timers.retries if retries is None else retries) + 1
        bad = 0
        for attempt in range(tries):
            if attempt:
                self.stats.resends += 1
            await self.transport.write(frame)
            self.stats.frames_sent += 1
            got, n_bad = await self._receive(accept)
            bad += n_bad
            if got is not None:
                return got
        if bad:
            raise DlmsFrameError(
                f"{bad} HDLC frame(s) with a bad HCS/FCS and no sound answer in {tries} tries"
            )
        raise DlmsTimeoutError(
            f"no HDLC answer in {self.timers.response_timeout:g} s, {tries} tries"
        )

    async def _receive(self, accept: object) -> tuple[hdlc.Frame | None, int]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timers.response_timeout
        bad = 0
        while True:
            f = self.deframer.next()
            if isinstance(f, hdlc.BadFrame):
                bad += 1
                self.stats.bad_frames += 1
                continue
            if f is not None:
                self.stats.frames_received += 1
                if f.dest == self.client_addr and f.src == self.server_addr and accept(f):  # type: ignore[operator]
                    return f, bad
                self.stats.dropped += 1
                continue
            left = deadline - loop.time()
            if left <= 0:
                return None, bad
            self.stats.reads += 1
            data = await self.transport.read(
                min(left, self.timers.inter_frame) if self.deframer.pending else left
            )
            if data:
                self.deframer.feed(data)
            elif self.deframer.pending:
                self.deframer.buf.clear()  # a frame stopped arriving: drop it
                return None, bad
