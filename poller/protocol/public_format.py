"""ABNT "formato público" files (called FK7 by fk7py) [S]: concatenated 256-octet response
bodies (each a raw response without its 2 CRC octets), all from one meter; composite
mass-memory blocks in sequence.

Reading replays the file through :class:`FileSession`, so :class:`~.client.MeterClient` decodes
a file into exactly the structures a live read gives::

    client = MeterClient(FileSession(data))
    params = await client.read_parameters()
    mm = await client.read_mass_memory()

What a file can and cannot tell: a file keeps no CRC (the 2 CRC octets of each response are
dropped), so damage is found only where it makes the file inconsistent: a size that is not whole
blocks, a block type no reading produces, blocks of two meter serials, mass-memory blocks out of
sequence (their numbers) or fewer words than the parameters announce, fields that are not valid
BCD or dates. A flipped bit inside a mass-memory word, or in a parameter that still decodes
(a constant, a quantity code to another valid code), changes values and is NOT detectable from
the file alone: the interval words carry no checksum and the format holds no interval totals
(the energy registers 0x23/0x24, when a file has them, are the only cross-check, and their
decimal position is unverified).

File name rule (as fk7py implements it, not independently confirmed): last 5 digits of the
serial, then S = s + 60·min + 3600·h + 86400·day + 31·86400·month of the meter's clock, in base
20 with digits A..T, last 5 characters, left-padded with A: ``nnnnn$XX.XXX`` (8.3 name).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .codec.massmem import decode_block_header
from .errors import CommandNotImplementedError, DecodeError
from .framing import COMPOSITE_CODES, RESPONSE_BODY_LEN, body_serial

BLOCK_LEN = RESPONSE_BODY_LEN
#: Block types fk7py recognises, in its order.
KNOWN_TYPES = (0x20, 0x21, 0x22, 0x51, 0x23, 0x24, 0x41, 0x44, 0x42, 0x43, 0x45, 0x46, 0x25,
               0x26, 0x27, 0x52, 0x28, 0x80, 0x14)  # fmt: skip
_PARAMS = (0x20, 0x21, 0x22, 0x51)


def write_public_file(bodies: Iterable[bytes]) -> bytes:
    """Concatenate response bodies (256 octets, no CRC) into a public-format file."""
    out = bytearray()
    serial = None
    for body in bodies:
        if len(body) != BLOCK_LEN:
            raise ValueError(f"public-format blocks are {BLOCK_LEN} octets, got {len(body)}")
        s = body_serial(body)
        if serial is not None and s != serial:
            raise ValueError(f"mixed meter serials in one file: {serial} and {s}")
        serial = s
        out += body
    return bytes(out)


def split_public_file(data: bytes) -> list[bytes]:
    """The file's blocks; checks the length and that one meter wrote them all."""
    if len(data) % BLOCK_LEN:
        raise DecodeError(f"public-format file size {len(data)} is not a multiple of {BLOCK_LEN}")
    blocks = [data[i : i + BLOCK_LEN] for i in range(0, len(data), BLOCK_LEN)]
    for n, b in enumerate(blocks, 1):
        if b[0] not in KNOWN_TYPES:
            raise DecodeError(
                f"public-format block {n} has type 0x{b[0]:02X}, which no reading produces "
                "(a damaged file?)"
            )
    serials = {body_serial(b) for b in blocks}
    if len(serials) > 1:
        raise DecodeError(f"public-format file mixes meter serials: {sorted(serials)}")
    return blocks


class FileSession:
    """A :class:`~.link.Session` answering from a public-format file instead of a meter.

    A composite answer is the first block sequence of that code (block numbers restart at 1
    per sequence) that follows the parameter block answered last, so a file holding several
    channel groups (parameter block, then its mass memory, per group) decodes group by group.
    """

    def __init__(self, data: bytes) -> None:
        self.blocks = split_public_file(data)
        self._after = -1  # index of the last parameter block answered (-1: none yet)

    def _sequences(self, code: int) -> list[tuple[int, list[bytes]]]:
        """(index of the first block, blocks) of every sequence of composite ``code``."""
        seqs: list[tuple[int, list[bytes]]] = []
        for i, b in enumerate(self.blocks):
            if b[0] != code:
                continue
            number, _last = decode_block_header(b[5], b[6])  # DecodeError if not BCD
            if number == 1 or not seqs:
                seqs.append((i, [b]))
            else:
                seqs[-1][1].append(b)
        return seqs

    async def request(self, code: int, params: bytes = b"") -> list[bytes]:
        if code in COMPOSITE_CODES:
            seqs = self._sequences(code)
            if seqs:
                later = [s for i, s in seqs if i > self._after]
                return later[0] if later else seqs[0][1]
        else:
            group = params[1] if code in _PARAMS and len(params) > 1 else None
            candidates = [(i, b) for i, b in enumerate(self.blocks) if b[0] == code]
            if not candidates and code in (0x21, 0x22):
                # A file from a demand-reset reading holds 0x20 where we ask 0x21/0x22.
                candidates = [(i, b) for i, b in enumerate(self.blocks) if b[0] == 0x20]
            if group is not None and candidates:
                candidates = candidates[group : group + 1] or candidates[:1]
            if candidates:
                if code in _PARAMS:
                    self._after = candidates[0][0]
                return [candidates[0][1]]
        raise CommandNotImplementedError(f"no 0x{code:02X} block in the public-format file")


_B20 = "ABCDEFGHIJKLMNOPQRST"


def public_file_name(meter_serial: str, meter_time: datetime) -> str:
    """``nnnnn$XX.XXX`` from the serial and the meter's clock (see the module docstring)."""
    t = meter_time
    s = t.second + 60 * t.minute + 3600 * t.hour + 86400 * t.day + 31 * 86400 * t.month
    digits = ""
    while s:
        s, r = divmod(s, 20)
        digits = _B20[r] + digits
    code = digits[-5:].rjust(5, "A")
    return f"{meter_serial[-5:]}${code[:2]}.{code[2:]}"
