"""HDLC framing of IEC 62056-46 (frame format type 3), pure: no I/O.

Frame::

    7E | format (2) | dest addr (1,2,4) | src addr (1) | control | HCS (2) | info ... | FCS (2) | 7E
         1010 S LLL LLLLLLLL                                       (only when info is present)

* format: type 3 (0xA in the top nibble), S = segmentation (more segments follow), L = the 11-bit
  frame length counted WITHOUT the two flags (format through FCS).
* addresses: each octet carries 7 bits, shifted left; bit 0 = 1 marks the last octet. The server
  address is its upper (logical device) part, optionally followed by the lower (physical) part;
  the client address is one octet (its SAP).
* HCS covers format..control; FCS covers format..info (HCS included). Both are CRC-16/X.25
  (reflected polynomial 0x8408, initial 0xFFFF, final XOR 0xFFFF), sent least significant octet
  first.
* control: I-frame = N(R)<<5 | P/F<<4 | N(S)<<1; RR = N(R)<<5 | P/F<<4 | 0x01; SNRM 0x93,
  UA 0x73, DISC 0x53, DM 0x1F, FRMR 0x97 (P/F set).

Recovery rules (the reason this module exists): a frame is delimited by its LENGTH FIELD, never
by scanning for the closing 0x7E: an FCS may legally end in 0x7E (about 1 frame in 256), and so
may any information octet. After an opening flag we read the format, take ``length`` octets and
require the closing flag there; a wrong format, a missing closing flag or a bad HCS/FCS drops
that opening flag only and resynchronises on the next 0x7E. Consecutive flags (a closing flag
doubling as the next opening one, or idle flags) are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

FLAG = 0x7E
SNRM, UA, DISC, DM, FRMR = 0x93, 0x73, 0x53, 0x1F, 0x97
LLC_REQUEST = b"\xe6\xe6\x00"
LLC_RESPONSE = b"\xe6\xe7\x00"


def _table() -> list[int]:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC = _table()


def crc16_x25(data: bytes) -> int:
    """CRC-16/X.25 (the HDLC FCS). Known answer: crc16_x25(b"123456789") == 0x906E."""
    crc = 0xFFFF
    for b in data:
        crc = (crc >> 8) ^ _CRC[(crc ^ b) & 0xFF]
    return crc ^ 0xFFFF


def encode_address(upper: int, lower: int | None = None) -> bytes:
    """An HDLC address: one octet (upper < 128, no lower), two (each < 128) or four (each
    < 16384). Raises ValueError outside these ranges."""
    if lower is None:
        if upper < 0x80:
            return bytes(((upper << 1) | 1,))
        if upper < 0x4000:
            return bytes(((upper >> 7) << 1, ((upper & 0x7F) << 1) | 1))
        raise ValueError(f"HDLC address {upper} out of range")
    if upper < 0x80 and lower < 0x80:
        return bytes((upper << 1, (lower << 1) | 1))
    if upper < 0x4000 and lower < 0x4000:
        return bytes(
            ((upper >> 7) << 1, (upper & 0x7F) << 1, (lower >> 7) << 1, ((lower & 0x7F) << 1) | 1)
        )
    raise ValueError(f"HDLC address {upper}/{lower} out of range")


def encode_frame(
    dest: bytes, src: bytes, control: int, info: bytes = b"", segmented: bool = False
) -> bytes:
    """One frame, flags included."""
    header_len = 2 + len(dest) + len(src) + 1
    length = header_len + (2 + len(info) + 2 if info else 2)
    if length > 0x7FF:
        raise ValueError(f"HDLC frame of {length} octets (at most 2047)")
    fmt = 0xA000 | (0x0800 if segmented else 0) | length
    header = fmt.to_bytes(2, "big") + dest + src + bytes((control,))
    if info:
        hcs = crc16_x25(header).to_bytes(2, "little")
        body = header + hcs + info
    else:
        body = header
    fcs = crc16_x25(body).to_bytes(2, "little")
    return bytes((FLAG,)) + body + fcs + bytes((FLAG,))


@dataclass(frozen=True, slots=True)
class Frame:
    dest: bytes  # raw address octets
    src: bytes
    control: int
    info: bytes
    segmented: bool
    raw: bytes  # flags included

    @property
    def is_i(self) -> bool:
        return self.control & 0x01 == 0

    @property
    def ns(self) -> int:
        return (self.control >> 1) & 0x07

    @property
    def nr(self) -> int:
        return (self.control >> 5) & 0x07

    @property
    def is_rr(self) -> bool:
        return self.control & 0x0F == 0x01


@dataclass(frozen=True, slots=True)
class BadFrame:
    """A delimited frame whose HCS or FCS is wrong (or whose addresses are malformed)."""

    reason: str
    raw: bytes


def _address(buf: bytes, pos: int, end: int) -> int:
    """Position after an address starting at ``pos`` (its last octet has bit 0 set)."""
    for i in range(pos, min(pos + 4, end)):
        if buf[i] & 1:
            return i + 1
    return -1


class Deframer:
    """Incremental HDLC deframer: feed bytes, take frames (or BadFrame) as they complete."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.discarded = 0  # octets dropped while resynchronising (noise, broken frames)

    def feed(self, data: bytes) -> None:
        self.buf += data

    @property
    def pending(self) -> bool:
        """A frame has started (more octets needed to finish it)."""
        return any(b != FLAG for b in self.buf) and FLAG in self.buf

    def next(self) -> Frame | BadFrame | None:
        buf = self.buf
        while True:
            start = buf.find(FLAG)
            if start < 0:
                self.discarded += len(buf)
                buf.clear()
                return None
            if start:
                self.discarded += start
                del buf[:start]
            while len(buf) > 1 and buf[1] == FLAG:  # idle or shared flags
                del buf[0]
            if len(buf) < 3:
                return None
            fmt = int.from_bytes(buf[1:3], "big")
            if fmt >> 12 != 0xA:
                self._drop_flag()
                continue
            length = fmt & 0x7FF
            if length < 7:
                self._drop_flag()
                continue
            if len(buf) < length + 2:
                return None
            if buf[length + 1] != FLAG:
                self._drop_flag()  # no closing flag where the length says: not a frame start
                continue
            raw = bytes(buf[: length + 2])
            del buf[: length + 1]  # keep the closing flag: it may open the next frame
            return self._parse(raw, fmt, length)

    def _drop_flag(self) -> None:
        del self.buf[0]
        self.discarded += 1

    @staticmethod
    def _parse(raw: bytes, fmt: int, length: int) -> Frame | BadFrame:
        body = raw[1 : length + 1]  # format .. FCS
        end = len(body) - 2
        if crc16_x25(body[:end]) != int.from_bytes(body[end:], "little"):
            return BadFrame("FCS mismatch", raw)
        d_end = _address(body, 2, end)
        s_end = _address(body, d_end, end) if d_end > 0 else -1
        if s_end < 0 or s_end >= end:
            return BadFrame("malformed address field", raw)
        control = body[s_end]
        info = b""
        if end > s_end + 1:
            hcs_at = s_end + 1
            if hcs_at + 2 > end or crc16_x25(body[:hcs_at]) != int.from_bytes(
                body[hcs_at : hcs_at + 2], "little"
            ):
                return BadFrame("HCS mismatch", raw)
            info = body[hcs_at + 2 : end]
        return Frame(
            bytes(body[2:d_end]),
            bytes(body[d_end:s_end]),
            control,
            info,
            bool(fmt & 0x0800),
            raw,
        )


def i_control(ns: int, nr: int) -> int:
    return ((nr & 7) << 5) | 0x10 | ((ns & 7) << 1)


def rr_control(nr: int) -> int:
    return ((nr & 7) << 5) | 0x10 | 0x01


def parse_ua_parameters(info: bytes) -> dict[int, int]:
    """The negotiated parameters of a UA (or SNRM) information field: 0x81 0x80 len, then
    (id, len, value) items: 5 = max info tx, 6 = max info rx, 7 = window tx, 8 = window rx.
    An empty field: {} (the defaults apply: 128 octets, window 1)."""
    out: dict[int, int] = {}
    if len(info) < 3 or info[0] != 0x81 or info[1] != 0x80:
        return out
    pos, end = 3, min(len(info), 3 + info[2])
    while pos + 2 <= end:
        pid, n = info[pos], info[pos + 1]
        out[pid] = int.from_bytes(info[pos + 2 : pos + 2 + n], "big")
        pos += 2 + n
    return out
