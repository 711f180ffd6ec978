"""The DLMS/COSEM client: association (none, LLS, HLS-GMAC) and the COSEM reads of a poll.

It matches every answer to its request by invoke-id (an answer with another id, e.g. a late
answer to an earlier request, is dropped and the request re-sent, at most ``retries`` times:
InvokeIdError), follows GET block transfers (a skipped block number is re-requested once, then
BlockGapError), deciphers HLS-GMAC APDUs, and keeps every plain answer APDU in ``responses``
(stored with the read as raw data). Meter times are local wall times at the registered UTC
offset (see axdr.py on the deviation field).

COSEM objects used (class, OBIS, attribute):
* clock: class 8, 0.0.1.0.0.255, attribute 2 (time), methods 6 (shift_time, ±900 s) ;
* load profile: class 7, 1.0.99.1.0.255 by default: 2 buffer (selective access by range),
  3 capture objects, 4 capture period (s), 7 entries in use ;
* registers (class 3) / extended registers (class 4): 2 value, 3 scaler_unit ;
* event logs: class 7, 0.0.99.98.x.255 (x = 0 standard, 4 power quality, 5 power failures) ;
* device id: class 1, 0.0.96.1.0.255 ; association LN: class 15, 0.0.40.0.0.255, method 1.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import apdu as A
from . import axdr, security
from .errors import (
    AssociationRefusedError,
    AuthenticationError,
    BlockGapError,
    DataAccessError,
    DlmsDecodeError,
    InvokeIdError,
    ObjectUnavailableError,
)
from .link import DlmsLink

log = logging.getLogger("smf.poller")
CLOCK = bytes((0, 0, 1, 0, 0, 255))
DEVICE_ID = bytes((0, 0, 96, 1, 0, 255))
ASSOCIATION_LN = bytes((0, 0, 40, 0, 0, 255))
AUTHS = ("none", "lls", "hls_gmac")
#: unit enum (Blue Book table "Enumerated values for physical units") → our name
UNITS = {
    27: "W",
    28: "VA",
    29: "var",
    30: "Wh",
    31: "VAh",
    32: "varh",
    33: "A",
    35: "V",
    44: "Hz",
    255: "count",
}


@dataclass(frozen=True, slots=True)
class CaptureObject:
    class_id: int
    obis: str
    attribute: int
    data_index: int


@dataclass(frozen=True, slots=True)
class ScalerUnit:
    scaler: int  # power of ten
    unit: int  # Blue Book unit enum

    @property
    def unit_name(self) -> str:
        return UNITS.get(self.unit, f"unit {self.unit}")


@dataclass(frozen=True, slots=True)
class ClockReading:
    local: datetime  # meter wall time
    raw: bytes  # the 12 octets
    deviation: int | None
    status: int | None


@dataclass(slots=True)
class Credentials:
    auth: str = "none"
    password: bytes = b""  # LLS
    keys: security.Keys | None = None  # HLS-GMAC
    system_title: bytes = b"SMF00001"  # ours, 8 octets
    invocation_counter: int = 1  # the next one we use
    #: the last counter reserved for this session (None: no limit); never used past it
    counter_limit: int | None = None

    def __repr__(self) -> str:
        return f"Credentials(auth={self.auth!r}, ***)"


@dataclass(slots=True)
class ClientStats:
    requests: int = 0
    wrong_invoke_ids: int = 0
    block_rerequests: int = 0
    blocks: int = 0


class DlmsClient:
    def __init__(
        self,
        link: DlmsLink,
        credentials: Credentials | None = None,
        *,
        retries: int = 2,
        challenge: bytes | None = None,
    ) -> None:
        self.link = link
        self.cred = credentials or Credentials()
        if self.cred.auth not in AUTHS:
            raise ValueError(f"authentication {self.cred.auth!r}: one of {', '.join(AUTHS)}")
        self.retries = retries
        self._challenge = challenge
        self._iid = 0
        self.meter_title: bytes | None = None
        self.max_pdu = A.MAX_PDU
        self.responses: list[bytes] = []
        self.stats = ClientStats()
        self.associated = False
        self._last_meter_ic = -1

    @property
    def ciphered(self) -> bool:
        return self.cred.auth == "hls_gmac"

    # --- association -------------------------------------------------------------------------
    async def associate(self) -> None:
        """Open the link and the application association. Raises AssociationRefusedError,
        AuthenticationError or a poller-detected error."""
        await self.link.open()
        c = self.cred
        if c.auth == "none":
            req = A.aarq(
                context=A.CONTEXT_LN, mechanism=A.MECH_NONE, user_information=A.initiate_request()
            )
        elif c.auth == "lls":
            req = A.aarq(
                context=A.CONTEXT_LN,
                mechanism=A.MECH_LLS,
                auth_value=c.password,
                user_information=A.initiate_request(),
            )
        else:
            if c.keys is None or len(c.system_title) != 8:
                raise ValueError("HLS-GMAC needs both keys and an 8-octet system title")
            self._challenge = self._challenge or os.urandom(16)
            ui = security.cipher(c.keys, c.system_title, self._next_ic(), A.initiate_request())
            req = A.aarq(
                context=A.CONTEXT_LN_CIPHERED,
                mechanism=A.MECH_HLS_GMAC,
                auth_value=self._challenge,
                system_title=c.system_title,
                user_information=ui,
            )
        answer = await self.link.request(req)
        aare = A.parse_aare(answer)
        if aare.result != 0:
            kind = {1: "rejected-permanent", 2: "rejected-transient"}.get(aare.result, "rejected")
            raise AssociationRefusedError(
                f"association {kind} (diagnostic {aare.diagnostic_source} {aare.diagnostic}); "
                f"authentication {c.auth}",
                result=aare.result,
                diagnostic=aare.diagnostic,
            )
        info = aare.user_information
        if self.ciphered:
            assert c.keys is not None
            if aare.system_title is None or aare.challenge is None:
                raise AuthenticationError(
                    "HLS-GMAC AARE without the meter's system title or challenge"
                )
            self.meter_title = aare.system_title
            info, meter_ic = security.decipher(c.keys, aare.system_title, info)
            self._meter_counter(meter_ic)
        self.max_pdu = A.parse_initiate_response(info)
        self.associated = True
        if self.ciphered:
            assert c.keys is not None and aare.challenge is not None and self.meter_title
            f_stoc = security.gmac(c.keys, c.system_title, self._next_ic(), aare.challenge)
            try:
                back = await self.action(15, ASSOCIATION_LN, 1, axdr.enc_octets(f_stoc))
            except DataAccessError as exc:
                raise AuthenticationError(f"the meter refused our HLS answer: {exc}") from None
            if not isinstance(back, bytes):
                raise AuthenticationError("the meter returned no HLS answer to our challenge")
            assert self._challenge is not None
            security.verify_gmac(c.keys, self.meter_title, back, self._challenge)

    async def release(self) -> None:
        """Release the association (RLRQ) and close the link; errors are ignored."""
        try:
            if self.associated:
                self.associated = False
                await self.link.request(b"\x62\x03\x80\x01\x00")
        except Exception:  # a meter that hangs up first is fine
            log.debug("release not answered")
        with contextlib.suppress(Exception):
            await self.link.close()

    def _next_ic(self) -> int:
        ic = self.cred.invocation_counter
        if self.cred.counter_limit is not None and ic > self.cred.counter_limit:
            raise AuthenticationError(
                f"invocation counter {ic} beyond the {self.cred.counter_limit} reserved for this "
                "session: the session stops rather than reuse a counter"
            )
        self.cred.invocation_counter = ic + 1
        return ic

    def _meter_counter(self, counter: int) -> None:
        """The meter's invocation counter must grow within a session (a replayed answer)."""
        if counter <= self._last_meter_ic:
            raise AuthenticationError(
                f"the meter's invocation counter {counter} did not grow "
                f"(last {self._last_meter_ic}): a replayed answer"
            )
        self._last_meter_ic = counter

    # --- services ----------------------------------------------------------------------------
    def _new_iid(self) -> int:
        self._iid = (self._iid + 1) & 0x0F
        return self._iid

    async def _xfer(self, req: bytes, iid: int) -> bytes:
        """Send one request; the plain answer carrying ``iid``. Re-sends after an answer with
        another invoke-id."""
        for _ in range(self.retries + 1):
            self.stats.requests += 1
            out = req
            if self.ciphered:
                assert self.cred.keys is not None
                out = security.cipher(self.cred.keys, self.cred.system_title, self._next_ic(), req)
            answer = await self.link.request(out)
            if self.ciphered and answer[:1] not in (b"\xd8", b"\x0e"):
                assert self.cred.keys is not None and self.meter_title is not None
                answer, meter_ic = security.decipher(self.cred.keys, self.meter_title, answer)
                self._meter_counter(meter_ic)
            text = A.exception_text(answer)
            if text is not None:
                raise DataAccessError(f"the meter answered {text}", result=250)
            if len(answer) < 3:
                raise DlmsDecodeError(f"answer of {len(answer)} octets")
            if answer[2] & 0x0F != iid:
                self.stats.wrong_invoke_ids += 1
                continue
            self.responses.append(answer)
            return answer
        raise InvokeIdError(
            f"{self.retries + 1} answers carried another invoke-id than {iid}: request abandoned"
        )

    @staticmethod
    def _check(result: int, what: str) -> None:
        if result == 0:
            return
        name = A.ACCESS_RESULTS.get(result, str(result))
        if result in A.UNAVAILABLE:
            raise ObjectUnavailableError(f"{what}: {name}", result=result)
        raise DataAccessError(f"{what}: {name}", result=result)

    async def get(
        self, class_id: int, obis: bytes, attr: int, access: tuple[int, bytes] | None = None
    ) -> Any:
        """The decoded value of (class, OBIS, attribute), following block transfers."""
        what = f"GET {class_id}/{axdr.obis_text(obis)}/{attr}"
        iid = self._new_iid()
        resp = A.parse_get_response(
            await self._xfer(A.get_request(iid, class_id, obis, attr, access), iid)
        )
        if resp.kind == "normal":
            self._check(resp.result, what)
            assert resp.data is not None
            return axdr.decode_all(resp.data)
        blocks: list[bytes] = []
        expected, rerequests = 1, 0
        while True:
            self._check(resp.result, f"{what} block {resp.block}")
            if resp.block != expected:
                if rerequests < 1 and expected > 1:
                    rerequests += 1
                    self.stats.block_rerequests += 1
                    resp = A.parse_get_response(
                        await self._xfer(A.get_request_next(iid, expected - 1), iid)
                    )
                    continue
                raise BlockGapError(
                    f"{what}: block {resp.block} received, block {expected} expected"
                )
            assert resp.data is not None
            blocks.append(resp.data)
            self.stats.blocks += 1
            if resp.last_block:
                break
            expected += 1
            rerequests = 0
            resp = A.parse_get_response(await self._xfer(A.get_request_next(iid, resp.block), iid))
        return axdr.decode_all(b"".join(blocks))

    async def set(self, class_id: int, obis: bytes, attr: int, data: bytes) -> None:
        iid = self._new_iid()
        _, result = A.parse_set_response(
            await self._xfer(A.set_request(iid, class_id, obis, attr, data), iid)
        )
        self._check(result, f"SET {class_id}/{axdr.obis_text(obis)}/{attr}")

    async def action(self, class_id: int, obis: bytes, method: int, data: bytes | None) -> Any:
        iid = self._new_iid()
        _, result, back = A.parse_action_response(
            await self._xfer(A.action_request(iid, class_id, obis, method, data), iid)
        )
        self._check(result, f"ACTION {class_id}/{axdr.obis_text(obis)}/{method}")
        return back

    # --- COSEM reads ---------------------------------------------------------------------------
    async def read_clock(self) -> ClockReading:
        raw = await self.get(8, CLOCK, 2)
        if not isinstance(raw, bytes) or len(raw) != 12:
            raise DlmsDecodeError(f"clock time is not a 12-octet date-time: {raw!r}")
        dt = axdr.parse_datetime(raw)
        if dt.local is None:
            raise DlmsDecodeError(f"the meter's clock is unspecified: {raw.hex()}")
        return ClockReading(dt.local, raw, dt.deviation, dt.status)

    async def set_clock(self, local: datetime) -> None:
        """Write attribute 2 of the clock (the meter's local wall time)."""
        await self.set(8, CLOCK, 2, axdr.enc_octets(axdr.format_datetime(local)))

    async def shift_time(self, seconds: int) -> None:
        """Clock method 6 (shift_time): move the clock by -900..900 s."""
        if not -900 <= seconds <= 900:
            raise ValueError("shift_time moves the clock by at most 900 s either way")
        await self.action(8, CLOCK, 6, axdr.enc_i16(seconds))

    async def read_device_id(self) -> str | None:
        try:
            v = await self.get(1, DEVICE_ID, 2)
        except ObjectUnavailableError:
            return None
        if isinstance(v, bytes):
            return v.decode("latin-1").strip("\x00 ")
        return None if v is None else str(v)

    async def read_capture_objects(self, profile: bytes) -> list[CaptureObject]:
        v = await self.get(7, profile, 3)
        out = []
        for item in v if isinstance(v, list) else []:
            if not (isinstance(item, tuple) and len(item) == 4 and isinstance(item[1], bytes)):
                raise DlmsDecodeError(f"capture object {item!r} is not (class, OBIS, attr, index)")
            out.append(
                CaptureObject(int(item[0]), axdr.obis_text(item[1]), int(item[2]), int(item[3]))
            )
        return out

    async def read_capture_period(self, profile: bytes) -> int:
        v = await self.get(7, profile, 4)
        if not isinstance(v, int):
            raise DlmsDecodeError(f"capture period {v!r} is not an integer")
        return v

    async def read_scaler_unit(self, class_id: int, obis: str) -> ScalerUnit:
        v = await self.get(class_id, axdr.obis_bytes(obis), 3 if class_id in (3, 4) else 4)
        if not (isinstance(v, tuple) and len(v) == 2):
            raise DlmsDecodeError(f"scaler_unit of {obis} is {v!r}, not (scaler, unit)")
        return ScalerUnit(int(v[0]), int(v[1]))

    async def read_value(self, class_id: int, obis: str) -> Any:
        return await self.get(class_id, axdr.obis_bytes(obis), 2)

    async def read_buffer(
        self, profile: bytes, lo: datetime | None = None, hi: datetime | None = None
    ) -> list[tuple[Any, ...]]:
        """The profile's entries; with ``lo``/``hi`` (meter local wall times) only those in the
        range (selective access by range on the clock column)."""
        access = None
        if lo is not None and hi is not None:
            access = A.range_descriptor(axdr.format_datetime(lo), axdr.format_datetime(hi))
        v = await self.get(7, profile, 2, access)
        if not isinstance(v, list):
            raise DlmsDecodeError(f"profile buffer is {type(v).__name__}, not an array")
        rows = []
        for e in v:
            if not isinstance(e, tuple):
                raise DlmsDecodeError(f"profile entry {e!r} is not a structure")
            rows.append(e)
        return rows


def meter_local(utc: datetime, utc_offset: timedelta) -> datetime:
    return axdr.utc_to_local(utc, utc_offset)


__all__ = [
    "AUTHS",
    "CaptureObject",
    "ClientStats",
    "ClockReading",
    "Credentials",
    "DlmsClient",
    "ScalerUnit",
    "field",
]
