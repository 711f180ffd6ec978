"""xDLMS APDUs the client sends and reads (IEC 62056-5-3 / the DLMS UA Green Book), pure.

Association (ACSE, BER-encoded)::

    AARQ 60 L  A1 09 06 07 60 85 74 05 08 01 cc        application context (1 = LN, 3 = LN
               [A6 0A 04 08 <client system title>]     with ciphering); calling AP title
               [8A 02 07 80]                           sender ACSE requirements: authentication
               [8B 07 60 85 74 05 08 02 mm]            mechanism (1 = LLS, 5 = HLS-GMAC)
               [AC L 80 L <password | challenge>]      calling authentication value
               BE L 04 L <InitiateRequest | glo-InitiateRequest>
    AARE 61 L  A1 .. context | A2 03 02 01 <result> | A3 05 A1|A2 03 02 01 <diagnostic>
               [A4 0A 04 08 <meter system title>] [AA L 80 L <meter challenge>]
               BE L 04 L <InitiateResponse | glo-InitiateResponse | confirmedServiceError>

InitiateRequest: 01 00 00 00 06 5F 1F 04 00 <conformance, 3 octets> <max receive PDU size, 2>.

GET (class, OBIS, attribute) ::

    C0 01 <invoke-id> <class u16> <OBIS 6> <attr i8> <0 | 1 selector data>    get-request-normal
    C0 02 <invoke-id> <block number u32>                                     get-request-next
    C4 01 <invoke-id> 00 <data> | 01 <data-access-result>                    get-response-normal
    C4 02 <invoke-id> <last-block bool> <block u32> 00 <len> <raw> | 01 <r>  with-datablock

SET: C1 01 iid class OBIS attr 00 <data> → C5 01 iid <result>. ACTION: C3 01 iid class OBIS
method 01 <data> → C7 01 iid <result> [01 00 <data>]. Release: RLRQ 62 → RLRE 63.
Exception-response D8 <state error> <service error>; confirmedServiceError 0E.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import axdr
from .errors import DlmsDecodeError

CONTEXT_LN = 1
CONTEXT_LN_CIPHERED = 3
MECH_NONE, MECH_LLS, MECH_HLS_GMAC = 0, 1, 5
#: conformance block: attribute0 with SET/GET, block transfer with GET/SET/ACTION, multiple
#: references, get, set, selective access, event notification, action (0x007E1F)
CONFORMANCE = b"\x00\x7e\x1f"
MAX_PDU = 0xFFFF

#: data-access-result names (for messages)
ACCESS_RESULTS = {
    0: "success",
    1: "hardware-fault",
    2: "temporary-failure",
    3: "read-write-denied",
    4: "object-undefined",
    9: "object-class-inconsistent",
    11: "object-unavailable",
    12: "type-unmatched",
    13: "scope-of-access-violated",
    14: "data-block-unavailable",
    15: "long-get-aborted",
    16: "no-long-get-in-progress",
    17: "long-set-aborted",
    18: "no-long-set-in-progress",
    19: "data-block-number-invalid",
    250: "other-reason",
}
#: results meaning "this meter does not offer that object" (an optional read skips it)
UNAVAILABLE = frozenset({3, 4, 9, 11})


def _ber(tag: int, content: bytes) -> bytes:
    if len(content) >= 0x80:
        raise ValueError("BER content too long for a one-octet length")
    return bytes((tag, len(content))) + content


def mechanism_oid(mech: int) -> bytes:
    return b"\x60\x85\x74\x05\x08\x02" + bytes((mech,))


def context_oid(ctx: int) -> bytes:
    return b"\x60\x85\x74\x05\x08\x01" + bytes((ctx,))


def initiate_request(max_pdu: int = MAX_PDU) -> bytes:
    return b"\x01\x00\x00\x00\x06\x5f\x1f\x04\x00" + CONFORMANCE + max_pdu.to_bytes(2, "big")


def aarq(
    *,
    context: int,
    mechanism: int,
    user_information: bytes,
    auth_value: bytes | None = None,
    system_title: bytes | None = None,
) -> bytes:
    parts = [_ber(0xA1, _ber(0x06, context_oid(context)))]
    if system_title is not None:
        parts.append(_ber(0xA6, _ber(0x04, system_title)))
    if mechanism != MECH_NONE:
        parts.append(b"\x8a\x02\x07\x80")
        parts.append(_ber(0x8B, mechanism_oid(mechanism)))
        parts.append(_ber(0xAC, _ber(0x80, auth_value or b"")))
    parts.append(_ber(0xBE, _ber(0x04, user_information)))
    body = b"".join(parts)
    return bytes((0x60,)) + _ber_len(len(body)) + body


def _ber_len(n: int) -> bytes:
    return bytes((n,)) if n < 0x80 else bytes((0x81, n))


def _ber_items(buf: bytes) -> dict[int, bytes]:
    """The (tag → content) items of a BER sequence's content (one level)."""
    out: dict[int, bytes] = {}
    pos = 0
    while pos < len(buf):
        if pos + 2 > len(buf):
            raise DlmsDecodeError("BER item cut short")
        tag, n = buf[pos], buf[pos + 1]
        pos += 2
        if n & 0x80:
            k = n & 0x7F
            n = int.from_bytes(buf[pos : pos + k], "big")
            pos += k
        if pos + n > len(buf):
            raise DlmsDecodeError(f"BER item 0x{tag:02X} longer than its APDU")
        out[tag] = bytes(buf[pos : pos + n])
        pos += n
    return out


@dataclass(frozen=True, slots=True)
class Aare:
    result: int  # 0 accepted, 1 rejected-permanent, 2 rejected-transient
    diagnostic: int | None
    diagnostic_source: str  # 'user' (acse-service-user) or 'provider'
    system_title: bytes | None
    challenge: bytes | None
    user_information: bytes  # InitiateResponse (plain or glo) or confirmedServiceError


def parse_aare(apdu: bytes) -> Aare:
    if not apdu or apdu[0] != 0x61:
        raise DlmsDecodeError(f"expected an AARE (0x61), got tag 0x{apdu[:1].hex() or '--'}")
    items = _ber_items(_content(apdu))
    result_item = items.get(0xA2)
    if result_item is None or len(result_item) < 3:
        raise DlmsDecodeError("AARE without a result")
    result = result_item[-1]
    diag, source = None, "user"
    d = items.get(0xA3)
    if d and len(d) >= 5:
        source = "user" if d[0] == 0xA1 else "provider"
        diag = d[-1]
    title = None
    if 0xA4 in items and len(items[0xA4]) >= 2:
        title = items[0xA4][2:]
    challenge = None
    if 0xAA in items and len(items[0xAA]) >= 2:
        challenge = items[0xAA][2:]
    ui = items.get(0xBE, b"")
    return Aare(result, diag, source, title, challenge, ui[2:] if len(ui) >= 2 else b"")


def _content(apdu: bytes) -> bytes:
    if len(apdu) < 2:
        raise DlmsDecodeError("APDU cut short")
    n = apdu[1]
    if n & 0x80:
        k = n & 0x7F
        return apdu[2 + k : 2 + k + int.from_bytes(apdu[2 : 2 + k], "big")]
    return apdu[2 : 2 + n]


def parse_initiate_response(data: bytes) -> int:
    """The meter's max receive PDU size from an InitiateResponse (08 00 06 5F 1F 04 00 <conf>
    <max pdu> 00 07). Raises DlmsDecodeError (also for a confirmedServiceError 0E)."""
    if data[:1] == b"\x0e":
        raise DlmsDecodeError(
            f"the meter refused the xDLMS context (confirmedServiceError {data.hex()})"
        )
    if len(data) < 14 or data[0] != 0x08:
        raise DlmsDecodeError(f"bad InitiateResponse {data.hex()}")
    pos = 2 if data[1] == 0 else 3  # negotiated-quality-of-service absent / present
    pos += 1  # dlms version
    if data[pos : pos + 4] != b"\x5f\x1f\x04\x00":
        raise DlmsDecodeError(f"bad conformance block in InitiateResponse {data.hex()}")
    pos += 7
    return int.from_bytes(data[pos : pos + 2], "big")


# --- GET / SET / ACTION ----------------------------------------------------------------------
def invoke_byte(invoke_id: int) -> int:
    """invoke-id-and-priority: confirmed service, high priority (bits 7 and 6), id in 0-15."""
    return 0xC0 | (invoke_id & 0x0F)


def get_request(
    invoke_id: int, class_id: int, obis: bytes, attr: int, access: tuple[int, bytes] | None = None
) -> bytes:
    sel = b"\x00" if access is None else bytes((1, access[0])) + access[1]
    return (
        bytes((0xC0, 0x01, invoke_byte(invoke_id)))
        + class_id.to_bytes(2, "big")
        + obis
        + attr.to_bytes(1, "big", signed=True)
        + sel
    )


def get_request_next(invoke_id: int, block: int) -> bytes:
    return bytes((0xC0, 0x02, invoke_byte(invoke_id))) + block.to_bytes(4, "big")


def set_request(invoke_id: int, class_id: int, obis: bytes, attr: int, data: bytes) -> bytes:
    return (
        bytes((0xC1, 0x01, invoke_byte(invoke_id)))
        + class_id.to_bytes(2, "big")
        + obis
        + attr.to_bytes(1, "big", signed=True)
        + b"\x00"
        + data
    )


def action_request(
    invoke_id: int, class_id: int, obis: bytes, method: int, data: bytes | None
) -> bytes:
    params = b"\x00" if data is None else b"\x01" + data
    return (
        bytes((0xC3, 0x01, invoke_byte(invoke_id)))
        + class_id.to_bytes(2, "big")
        + obis
        + bytes((method,))
        + params
    )


def range_descriptor(lo_local: bytes, hi_local: bytes) -> tuple[int, bytes]:
    """Selective access by range (selector 1) on the clock column (class 8, 0.0.1.0.0.255,
    attribute 2) from ``lo`` to ``hi`` (12-octet date-times), every column."""
    restricting = axdr.enc_structure(
        axdr.enc_u16(8),
        axdr.enc_octets(bytes((0, 0, 1, 0, 0, 255))),
        axdr.enc_i8(2),
        axdr.enc_u16(0),
    )
    return 1, axdr.enc_structure(
        restricting, axdr.enc_octets(lo_local), axdr.enc_octets(hi_local), axdr.enc_array()
    )


@dataclass(frozen=True, slots=True)
class GetResponse:
    invoke_id: int
    kind: str  # 'normal' or 'block'
    data: bytes | None  # normal: the encoded Data; block: the raw block
    result: int  # data-access-result (0 = success)
    last_block: bool = True
    block: int = 0


def parse_get_response(apdu: bytes) -> GetResponse:
    if len(apdu) < 4 or apdu[0] != 0xC4:
        raise DlmsDecodeError(f"expected a get-response (0xC4), got {apdu[:4].hex()}")
    kind, iid = apdu[1], apdu[2] & 0x0F
    if kind == 0x01:
        if apdu[3] == 0x00:
            return GetResponse(iid, "normal", apdu[4:], 0)
        return GetResponse(iid, "normal", None, apdu[4] if len(apdu) > 4 else 250)
    if kind == 0x02:
        if len(apdu) < 9:
            raise DlmsDecodeError("get-response-with-datablock cut short")
        last, block = apdu[3] != 0, int.from_bytes(apdu[4:8], "big")
        if apdu[8] == 0x00:
            n, pos = axdr.decode_length(apdu, 9)
            raw = apdu[pos : pos + n]
            if len(raw) != n:
                raise DlmsDecodeError(f"data block {block} shorter than its length {n}")
            return GetResponse(iid, "block", raw, 0, last, block)
        return GetResponse(iid, "block", None, apdu[9] if len(apdu) > 9 else 250, last, block)
    raise DlmsDecodeError(f"get-response choice {kind} not supported")


def parse_set_response(apdu: bytes) -> tuple[int, int]:
    """(invoke id, data-access-result)."""
    if len(apdu) < 4 or apdu[0] != 0xC5 or apdu[1] != 0x01:
        raise DlmsDecodeError(f"expected a set-response-normal, got {apdu[:4].hex()}")
    return apdu[2] & 0x0F, apdu[3]


def parse_action_response(apdu: bytes) -> tuple[int, int, Any]:
    """(invoke id, action-result, returned data or None)."""
    if len(apdu) < 4 or apdu[0] != 0xC7 or apdu[1] != 0x01:
        raise DlmsDecodeError(f"expected an action-response-normal, got {apdu[:4].hex()}")
    iid, result = apdu[2] & 0x0F, apdu[3]
    data = None
    if len(apdu) > 5 and apdu[4] == 0x01 and apdu[5] == 0x00:
        data = axdr.decode_all(apdu[6:])
    return iid, result, data


def exception_text(apdu: bytes) -> str | None:
    """A message for an exception-response (D8) or confirmedServiceError (0E), else None."""
    if apdu[:1] == b"\xd8":
        return (
            f"exception-response (state error {apdu[1:2].hex()}, service error {apdu[2:3].hex()})"
        )
    if apdu[:1] == b"\x0e":
        return f"confirmedServiceError {apdu[1:].hex()}"
    return None
