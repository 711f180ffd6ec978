"""Serving an emulated DLMS meter: the IEC 62056-47 wrapper over TCP, HDLC over TCP or a
pseudo-terminal, and the xDLMS services (association, GET with block transfer and selective
access, SET, ACTION, release), with fault injection.

Faults (:class:`DlmsFault`, each armed for ``count`` firings, optionally only on one service):
* DROP_FRAME: no answer to one request (the client must re-send; HDLC: a repeated N(S) gets
  the answer again);
* BLOCK_GAP: a block transfer skips one block number;
* WRONG_INVOKE_ID: one answer carries another invoke-id;
* REFUSE_ASSOCIATION: the AARE says rejected-permanent;
* FCS_7E: the next clock answer is sent with hundredths chosen so that its HDLC FCS ends in 0x7E
  (HDLC only; ``fcs_7e_sent`` counts the frames really sent so);
* CORRUPT_FCS: one HDLC frame with a damaged FCS;
* HANG_UP: close the connection instead of answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tty
from dataclasses import dataclass, field
from enum import Enum

from poller.emulator.server import _Pipe, _ServerProtocol  # the NBR emulator's byte pipes

from . import cosem as C
from .meter import Association, DlmsMeter


class DlmsFault(Enum):
    DROP_FRAME = "drop_frame"
    BLOCK_GAP = "block_gap"
    WRONG_INVOKE_ID = "wrong_invoke_id"
    REFUSE_ASSOCIATION = "refuse_association"
    FCS_7E = "fcs_7e"
    CORRUPT_FCS = "corrupt_fcs"
    HANG_UP = "hang_up"


@dataclass(slots=True)
class _Armed:
    kind: DlmsFault
    service: str | None  # 'aarq', 'get', 'get_next', 'set', 'action' or None = any
    count: int
    fired: int = 0


@dataclass(slots=True)
class _Faults:
    armed: list[_Armed] = field(default_factory=list)

    def take(self, kind: DlmsFault, service: str) -> bool:
        for a in self.armed:
            if a.kind is kind and a.fired < a.count and a.service in (None, service):
                a.fired += 1
                return True
        return False


def _service(apdu: bytes) -> str:
    tag = apdu[:1]
    if tag == b"\x60":
        return "aarq"
    if tag in (b"\xc0", b"\xc8"):
        return "get"  # refined to get_next after deciphering
    return {b"\xc1": "set", b"\xc9": "set", b"\xc3": "action", b"\xcb": "action"}.get(tag, "other")


class DlmsEmulator:
    """Serves one :class:`DlmsMeter` over ``mode`` 'wrapper' (TCP) or 'hdlc' (TCP or pty)."""

    def __init__(
        self,
        meter: DlmsMeter,
        mode: str = "wrapper",
        *,
        server_logical: int = 1,
        server_physical: int | None = None,
        max_info: int = 128,
    ) -> None:
        if mode not in ("wrapper", "hdlc"):
            raise ValueError("mode is 'wrapper' or 'hdlc'")
        self.meter, self.mode = meter, mode
        self.server_logical, self.server_physical = server_logical, server_physical
        self.max_info = max_info
        self.faults = _Faults()
        self.fcs_7e_sent = 0
        self.dropped = 0
        self.sessions = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._pty: tuple[int, int] | None = None

    def arm(self, kind: DlmsFault, service: str | None = None, count: int = 1) -> None:
        if kind is DlmsFault.REFUSE_ASSOCIATION:
            self.meter.refuse_associations += count
            return
        self.faults.armed.append(_Armed(kind, service, count))

    # --- lifecycle -----------------------------------------------------------------------------
    async def start_tcp(self, host: str = "127.0.0.1", port: int = 0) -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _ServerProtocol(self), host, port)  # type: ignore[arg-type]
        return int(self._server.sockets[0].getsockname()[1])

    async def start_pty(self) -> str:
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        self._pty = (master, slave)
        pipe = _Pipe()
        pipe._fd = master

        def readable() -> None:
            try:
                data = os.read(master, 4096)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data = b""
            if data:
                pipe._feed(data)

        asyncio.get_running_loop().add_reader(master, readable)
        pipe._opened()
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
        for t in list(self._tasks):
            t.cancel()
        for t in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        if self._pty is not None:
            master, slave = self._pty
            asyncio.get_running_loop().remove_reader(master)
            os.close(master)
            os.close(slave)
            self._pty = None

    async def __aenter__(self) -> DlmsEmulator:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- serving -------------------------------------------------------------------------------
    async def _serve(self, pipe: _Pipe) -> None:
        from poller.protocol.errors import LinkClosedError

        self.sessions += 1
        try:
            if self.mode == "wrapper":
                await self._serve_wrapper(pipe)
            else:
                await self._serve_hdlc(pipe)
        except (LinkClosedError, ConnectionError):
            pass
        finally:
            if self._pty is None:
                await pipe.close()

    async def _read(self, pipe: _Pipe, buf: bytearray) -> None:
        data = await pipe.read(3600.0)
        buf += data

    async def _serve_wrapper(self, pipe: _Pipe) -> None:
        buf = bytearray()
        assoc = Association()
        while True:
            while len(buf) < 8 or len(buf) < 8 + int.from_bytes(buf[6:8], "big"):
                await self._read(pipe, buf)
            n = int.from_bytes(buf[6:8], "big")
            src, dst = int.from_bytes(buf[2:4], "big"), int.from_bytes(buf[4:6], "big")
            apdu = bytes(buf[8 : 8 + n])
            del buf[: 8 + n]
            answer = self.answer(assoc, apdu)
            if answer is None:
                continue
            if answer == b"HANGUP":
                await pipe.close()
                return
            await pipe.write(
                b"\x00\x01"
                + dst.to_bytes(2, "big")
                + src.to_bytes(2, "big")
                + len(answer).to_bytes(2, "big")
                + answer
            )

    # --- HDLC ----------------------------------------------------------------------------------
    async def _serve_hdlc(self, pipe: _Pipe) -> None:
        me = C.hdlc_address(self.server_logical, self.server_physical)
        buf = bytearray()
        assoc = Association()
        vr = vs = 0
        last_sent = b""
        pending: list[bytes] = []  # segments of an answer still to send
        incoming = b""
        client = b""

        async def send(frame: bytes) -> None:
            nonlocal last_sent
            last_sent = frame
            await pipe.write(frame)

        while True:
            frame = await self._next_frame(pipe, buf)
            if frame is None:
                continue
            dest, src, control, info = frame
            if dest != me:
                continue
            client = src
            if control & 0xEF == 0x83:  # SNRM
                vr = vs = 0
                assoc = Association()
                pending = []
                params = bytes(
                    [
                        0x81,
                        0x80,
                        0x12,
                        0x05,
                        0x01,
                        self.max_info,
                        0x06,
                        0x01,
                        self.max_info,
                        0x07,
                        0x04,
                        0,
                        0,
                        0,
                        1,
                        0x08,
                        0x04,
                        0,
                        0,
                        0,
                        1,
                    ]
                )
                await send(C.hdlc_frame(client, me, 0x73, params))
                continue
            if control & 0xEF == 0x43:  # DISC
                await send(C.hdlc_frame(client, me, 0x73))
                continue
            if control & 0x0F == 0x01:  # RR: the client wants the next segment (or a repeat)
                nr = control >> 5
                if pending and nr == vs:
                    seg = pending.pop(0)
                    await send(
                        C.hdlc_frame(
                            client,
                            me,
                            ((vr & 7) << 5) | 0x10 | ((vs & 7) << 1),
                            seg,
                            segmented=bool(pending),
                        )
                    )
                    vs = (vs + 1) & 7
                elif last_sent:
                    await send(last_sent)
                continue
            if control & 0x01:
                continue  # another S/U frame we do not serve
            ns = (control >> 1) & 7
            if ns != vr:
                if last_sent and ns == (vr - 1) & 7:
                    await send(last_sent)  # a repeat of the client's last frame
                continue
            vr = (vr + 1) & 7
            incoming += info
            if self._last_segmented:
                await send(C.hdlc_frame(client, me, ((vr & 7) << 5) | 0x11))
                continue
            data, incoming = incoming, b""
            if not data.startswith(b"\xe6\xe6\x00"):
                continue
            self._probe = (client, me, ((vr & 7) << 5) | 0x10 | ((vs & 7) << 1))
            answer = self.answer(assoc, data[3:])
            if answer is None:
                last_sent = b""  # dropped: a repeat of this frame gets processed again
                vr = (vr - 1) & 7
                continue
            if answer == b"HANGUP":
                await pipe.close()
                return
            info_out = b"\xe6\xe7\x00" + answer
            pending = [
                info_out[i : i + self.max_info] for i in range(0, len(info_out), self.max_info)
            ]
            seg = pending.pop(0)
            out = C.hdlc_frame(
                client, me, ((vr & 7) << 5) | 0x10 | ((vs & 7) << 1), seg, segmented=bool(pending)
            )
            vs = (vs + 1) & 7
            if self._want_7e:
                self._want_7e = False
                if out[-2] == 0x7E:
                    self.fcs_7e_sent += 1
            if self.faults.take(DlmsFault.CORRUPT_FCS, "any") or self.faults.take(
                DlmsFault.CORRUPT_FCS, self._last_service
            ):
                last_sent = out
                await pipe.write(out[:-2] + bytes([out[-2] ^ 0x55]) + out[-1:])
                continue
            await send(out)

    _last_segmented = False
    _want_7e = False
    _last_service = "other"

    async def _next_frame(
        self, pipe: _Pipe, buf: bytearray
    ) -> tuple[bytes, bytes, int, bytes] | None:
        """The next sound frame (dest, src, control, info); None for a broken one."""
        while True:
            while buf and buf[0] != 0x7E:
                del buf[0]
            while len(buf) > 1 and buf[1] == 0x7E:
                del buf[0]
            if len(buf) >= 3:
                n = ((buf[1] & 0x07) << 8) | buf[2]
                if len(buf) >= n + 2:
                    raw = bytes(buf[1 : n + 1])
                    del buf[: n + 1]
                    if C.fcs(raw[:-2]) != raw[-2] | (raw[-1] << 8):
                        return None
                    self._last_segmented = bool(raw[0] & 0x08)
                    pos = 2
                    d_end = pos
                    while not raw[d_end] & 1:
                        d_end += 1
                    s_end = d_end + 1
                    while not raw[s_end] & 1:
                        s_end += 1
                    dest, src = raw[pos : d_end + 1], raw[d_end + 1 : s_end + 1]
                    control = raw[s_end + 1]
                    info = raw[s_end + 4 : -2] if len(raw) > s_end + 4 else b""
                    return dest, src, control, info
            await self._read(pipe, buf)

    # --- xDLMS ---------------------------------------------------------------------------------
    def answer(self, assoc: Association, apdu: bytes) -> bytes | None:
        """The answer APDU to ``apdu`` (None = say nothing, b'HANGUP' = close)."""
        m = self.meter
        m.requests += 1
        service = _service(apdu)
        ciphered = apdu[:1] in (b"\xc8", b"\xc9", b"\xcb")
        if ciphered:
            if not assoc.accepted:
                return None
            plain = m.unwrap(assoc, apdu)
            if plain is None:
                return None
            apdu = plain
        if apdu[:2] == b"\xc0\x02":
            service = "get_next"
        self._last_service = service
        if self.faults.take(DlmsFault.HANG_UP, service):
            return b"HANGUP"
        if self.faults.take(DlmsFault.DROP_FRAME, service):
            self.dropped += 1
            return None
        if apdu[:1] == b"\x60":
            return m.aare(assoc, apdu)
        if apdu[:1] == b"\x62":
            assoc.accepted = assoc.authenticated = False
            return b"\x63\x03\x80\x01\x00"
        if not assoc.accepted:
            return b"\xd8\x01\x02"  # exception-response: service not allowed
        out = self._service(assoc, apdu)
        if out is None:
            return None
        if self.faults.take(DlmsFault.WRONG_INVOKE_ID, service):
            out = out[:2] + bytes([(out[2] & 0xF0) | ((out[2] + 5) & 0x0F)]) + out[3:]
        if ciphered:
            out = m.wrap({0xC4: 0xCC, 0xC5: 0xCD, 0xC7: 0xCF}[out[0]], out)
        return out

    def _service(self, assoc: Association, apdu: bytes) -> bytes | None:
        m = self.meter
        tag, kind, iid = apdu[0], apdu[1], apdu[2]
        if m.config.auth == "hls_gmac" and not assoc.authenticated:
            hls_reply = tag == 0xC3 and apdu[5:11] == C.obis("0.0.40.0.0.255") and apdu[11] == 1
            if not hls_reply:  # before pass 4 only the HLS reply is served
                if tag == 0xC1:
                    return bytes([0xC5, 0x01, iid, 3])
                if tag == 0xC3:
                    return bytes([0xC7, 0x01, iid, 3, 0])
                return bytes([0xC4, 0x01, iid, 0x01, 3])
        if tag == 0xC0 and kind == 0x01:
            class_id = int.from_bytes(apdu[3:5], "big")
            obis = ".".join(str(b) for b in apdu[5:11])
            attr = apdu[11]
            selector, params = 0, None
            if len(apdu) > 12 and apdu[12] == 1:
                selector = apdu[13]
                params, _ = C.read(apdu, 14)
            if obis == "0.0.1.0.0.255" and attr == 2 and self.faults.take(DlmsFault.FCS_7E, "get"):
                return self._clock_7e(iid)
            value = m.get(class_id, obis, attr, selector, params)
            if isinstance(value, int):
                return bytes([0xC4, 0x01, iid, 0x01, value])
            if len(value) <= m.config.block_size:
                return bytes([0xC4, 0x01, iid, 0x00]) + value
            blocks = [
                value[i : i + m.config.block_size]
                for i in range(0, len(value), m.config.block_size)
            ]
            assoc.blocks[iid & 0x0F] = blocks
            return self._block(iid, blocks, 1)
        if tag == 0xC0 and kind == 0x02:
            blocks = assoc.blocks.get(iid & 0x0F) or []
            asked = int.from_bytes(apdu[3:7], "big")
            if not blocks or asked >= len(blocks):
                return bytes([0xC4, 0x02, iid, 0x01]) + (asked + 1).to_bytes(4, "big") + b"\x01\x13"
            number = asked + 1
            if self.faults.take(DlmsFault.BLOCK_GAP, "get_next") and number < len(blocks):
                number += 1
            return self._block(iid, blocks, number)
        if tag == 0xC1 and kind == 0x01:
            obis = ".".join(str(b) for b in apdu[5:11])
            if obis == "0.0.1.0.0.255" and apdu[11] == 2:
                raw, _ = C.read(apdu, 13)
                m.set_local(C.read_date_time(raw).replace(microsecond=0))
                return bytes([0xC5, 0x01, iid, 0x00])
            return bytes([0xC5, 0x01, iid, 0x03])
        if tag == 0xC3 and kind == 0x01:
            obis = ".".join(str(b) for b in apdu[5:11])
            method = apdu[11]
            data, _ = C.read(apdu, 13) if len(apdu) > 13 and apdu[12] == 1 else (None, 0)
            if obis == "0.0.1.0.0.255" and method == 6 and isinstance(data, int):
                from datetime import timedelta

                m.set_local(m.meter_local() + timedelta(seconds=data))
                return bytes([0xC7, 0x01, iid, 0x00, 0x00])
            if obis == "0.0.40.0.0.255" and method == 1 and isinstance(data, bytes):
                ic = int.from_bytes(data[1:5], "big")
                if data != m.f_challenge(assoc.client_title, ic, assoc.meter_challenge):
                    return bytes([0xC7, 0x01, iid, 0x03, 0x00])  # read-write-denied
                assoc.authenticated = True
                m.meter_ic += 1
                back = m.f_challenge(m.config.system_title, m.meter_ic, assoc.client_challenge)
                return bytes([0xC7, 0x01, iid, 0x00, 0x01, 0x00]) + C.octets(back)
            return bytes([0xC7, 0x01, iid, 0x03, 0x00])
        return b"\xd8\x01\x02"

    @staticmethod
    def _block(iid: int, blocks: list[bytes], number: int) -> bytes:
        raw = blocks[number - 1]
        last = 1 if number == len(blocks) else 0
        return (
            bytes([0xC4, 0x02, iid, last])
            + number.to_bytes(4, "big")
            + b"\x00"
            + C.length(len(raw))
            + raw
        )

    def _clock_7e(self, iid: int) -> bytes:
        """A clock answer whose HDLC FCS ends in 0x7E, when the hundredths allow one (HDLC)."""
        local = self.meter.meter_local()
        if self.mode == "hdlc":
            self._want_7e = True
            for h in range(100):
                apdu = bytes([0xC4, 0x01, iid, 0x00]) + C.octets(C.date_time(local, hundredths=h))
                if self._fcs_last(apdu) == 0x7E:
                    return apdu
        return bytes([0xC4, 0x01, iid, 0x00]) + C.octets(C.date_time(local))

    def _fcs_last(self, apdu: bytes) -> int:
        # the frame this answer will travel in: same addresses and control as _serve_hdlc uses
        return self._probe_frame(apdu)[-2]

    _probe: tuple[bytes, bytes, int] | None = None

    def _probe_frame(self, apdu: bytes) -> bytes:
        assert self._probe is not None
        client, me, control = self._probe
        return C.hdlc_frame(client, me, control, b"\xe6\xe7\x00" + apdu)
