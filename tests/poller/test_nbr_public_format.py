"""The public-format file ("formato público", notes §5): a concatenation of 256-octet response
bodies from one meter, written and split; its 8.3 file name; and FileSession, which answers a
client's requests from a file as a meter would, blocks written by hand.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from poller.protocol.errors import CommandNotImplementedError, DecodeError
from poller.protocol.public_format import (
    KNOWN_TYPES,
    FileSession,
    public_file_name,
    split_public_file,
    write_public_file,
)

from .helpers import body, mm

# ---------------------------------------------------------------- the file itself


def test_a_file_is_its_blocks_concatenated_and_split_back() -> None:
    a, b = body(0x21), body(0x23)
    data = write_public_file([a, b])
    assert data == a + b
    assert split_public_file(data) == [a, b]
    assert write_public_file([]) == b""
    with pytest.raises(ValueError, match=r"^public-format blocks are 256 octets, got 255$"):
        write_public_file([a[:255]])
    with pytest.raises(
        ValueError, match=r"^mixed meter serials in one file: 32600760 and 11111111$"
    ):
        write_public_file([a, body(0x23, serial="11111111")])


def test_split_refuses_damaged_files() -> None:
    with pytest.raises(
        DecodeError, match=r"^public-format file size 257 is not a multiple of 256$"
    ):
        split_public_file(body(0x21) + b"\x00")
    with pytest.raises(
        DecodeError,
        match=r"^public-format block 2 has type 0x30, which no reading produces "
        r"\(a damaged file\?\)$",
    ):
        split_public_file(body(0x21) + body(0x30))
    with pytest.raises(
        DecodeError, match=r"^public-format file mixes meter serials: \['11111111', '32600760'\]$"
    ):
        split_public_file(body(0x21) + body(0x23, serial="11111111"))


def test_every_known_block_type_is_accepted() -> None:
    # notes §5, in fk7py's order
    types = [0x20, 0x21, 0x22, 0x51, 0x23, 0x24, 0x41, 0x44, 0x42, 0x43, 0x45, 0x46, 0x25,
             0x26, 0x27, 0x52, 0x28, 0x80, 0x14]  # fmt: skip
    assert list(KNOWN_TYPES) == types
    data = b"".join(body(t) for t in types)
    assert [b[0] for b in split_public_file(data)] == types


def test_public_file_name_is_the_serial_and_the_clock_in_base_20() -> None:
    # meter clock 12:02:31 on 08/03: S = 31 + 60 x 2 + 3600 x 12 + 86400 x 8 + 31 x 86400 x 3
    #   = 31 + 120 + 43200 + 691200 + 8035200 = 8769751
    # base 20: 8769751 = 20 x 438487 + 11 (L); 438487 = 20 x 21924 + 7 (H);
    #   21924 = 20 x 1096 + 4 (E); 1096 = 20 x 54 + 16 (Q); 54 = 20 x 2 + 14 (O); 2 (C)
    # -> "COQEHL", last 5 "OQEHL" -> OQ.EHL; serial's last 5 digits 00760
    assert public_file_name("32600760", datetime(2024, 3, 8, 12, 2, 31)) == "00760$OQ.EHL"
    # 00:00:00 on 01/01: S = 86400 + 2678400 = 2764800 = 20 x 138240 + 0 (A);
    #   138240 = 20 x 6912 + 0 (A); 6912 = 20 x 345 + 12 (M); 345 = 20 x 17 + 5 (F); 17 (R)
    # -> "RFMAA"
    assert public_file_name("12345678", datetime(2024, 1, 1)) == "45678$RF.MAA"


# ---------------------------------------------------------------- FileSession answers


async def test_file_session_simple_and_fallback_blocks() -> None:
    p20, reg = body(0x20, {6: "000000010324"}), body(0x23, {6: "0000000001"})
    s = FileSession(p20 + reg)
    assert await s.request(0x23) == [reg]
    # a file from a demand-reset reading holds 0x20 where 0x21 / 0x22 is asked
    assert await s.request(0x21, b"\x00\x00") == [p20]
    assert await s.request(0x22, b"\x00\x00") == [p20]
    with pytest.raises(
        CommandNotImplementedError, match=r"^no 0x51 block in the public-format file$"
    ):
        await s.request(0x51, b"\x00\x00")  # no 0x20 fallback for 0x51
    with pytest.raises(
        CommandNotImplementedError, match=r"^no 0x24 block in the public-format file$"
    ):
        await s.request(0x24)
    with pytest.raises(
        CommandNotImplementedError, match=r"^no 0x27 block in the public-format file$"
    ):
        await s.request(0x27)


async def test_file_session_groups_and_sequences() -> None:
    # group 0: 0x51 (tag 1) then its 0x52 mass memory, one block (last);
    # group 1: 0x51 (tag 2) then two 0x52 blocks (block 1, block 2 last)
    pa = body(0x51, {256: "01"})
    xa = mm(0x52, "1001", tag=0xA1)
    pb = body(0x51, {256: "02"})
    xb1, xb2 = mm(0x52, "0001", tag=0xB1), mm(0x52, "1002", tag=0xB2)
    s = FileSession(pa + xa + pb + xb1 + xb2)
    assert await s.request(0x51, b"\x00\x00") == [pa]
    assert await s.request(0x52) == [xa]  # the sequence after the group-0 parameters
    assert await s.request(0x51, b"\x00\x01") == [pb]  # octet 006 = group 1
    assert await s.request(0x52) == [xb1, xb2]  # the sequence after the group-1 parameters
    assert await s.request(0x51, b"\x00\x05") == [pa]  # no group 5: the first one
    assert await s.request(0x51, b"\x00") == [pa]  # no group octet: the first one
    assert await s.request(0x52) == [xa]


async def test_file_session_falls_back_to_the_first_sequence() -> None:
    # mass memory BEFORE the parameter block: no sequence follows it, so the first is answered
    x1, x2 = mm(0x26, "0001", tag=1), mm(0x26, "1002", tag=2)
    p = body(0x21)
    s = FileSession(x1 + x2 + p)
    assert await s.request(0x21, b"\x00\x00") == [p]
    assert await s.request(0x26) == [x1, x2]


async def test_file_session_before_any_parameter_block_answers_the_first_sequence() -> None:
    # a file that starts with mass memory: two 0x26 sequences, then the parameters. Asked
    # before any parameter block, the FIRST sequence is the answer (it was the second one while
    # "no parameter block yet" was index 0, which hid a sequence starting at block 0)
    x, y = mm(0x26, "1001", tag=1), mm(0x26, "1001", tag=2)
    s = FileSession(x + y + body(0x21))
    assert await s.request(0x26) == [x]


async def test_file_session_other_codes_ignore_the_group_octet() -> None:
    # only 0x20/21/22/51 carry a group in octet 006: two 0x23 blocks, 0x23 asked with 00 01
    r1, r2 = body(0x23, {256: "01"}), body(0x23, {256: "02"})
    assert await FileSession(r1 + r2).request(0x23, b"\x00\x01") == [r1]


async def test_file_session_block_numbers_split_sequences() -> None:
    # blocks 1, 2, then 1 (last): two sequences; block 100 ("01 00") and 101 ("01 01") are not
    # block 1 (hundreds digit in the low nibble of octet 006), so they continue a sequence
    a1, a2 = mm(0x27, "0001", tag=1), mm(0x27, "0100", tag=2)
    a3 = mm(0x27, "0101", tag=3)
    b1 = mm(0x27, "1001", tag=4)
    p0, p1 = body(0x22, {256: "10"}), body(0x22, {256: "11"})
    s = FileSession(p0 + a1 + a2 + a3 + p1 + b1)
    assert await s.request(0x22, b"\x00\x00") == [p0]
    assert await s.request(0x27) == [a1, a2, a3]
    assert await s.request(0x22, b"\x00\x01") == [p1]
    assert await s.request(0x27) == [b1]
    # block 11 ("00 11") continues a sequence; a block 1 whose data starts 23 .. starts one
    c1, c11 = mm(0x27, "0001", "231456", tag=7), mm(0x27, "0011", "231456", tag=8)
    c1b = mm(0x27, "1001", "231456", tag=9)
    s3 = FileSession(c1 + c11 + p0 + c1b)
    assert await s3.request(0x27) == [c1, c11]
    assert await s3.request(0x22, b"\x00\x00") == [p0]
    assert await s3.request(0x27) == [c1b]
    # a block header that is not BCD: the file is damaged
    with pytest.raises(DecodeError, match=r"^invalid BCD octet 0x1A$"):
        await FileSession(mm(0x27, "001A")).request(0x27)
    # a file whose first block of a code is not block 1 still starts a sequence with it
    s2 = FileSession(p0 + mm(0x27, "0002", tag=5) + mm(0x27, "1003", tag=6))
    assert [b[255] for b in await s2.request(0x27)] == [5, 6]
