"""The public-format file and the meter client's decoding, from blocks written by hand (issue 13
§5: tests that kill the mutmut survivors of poller/protocol/public_format.py and client.py).

A public-format file is a concatenation of 256-octet response bodies (notes §5). The client reads
it through FileSession exactly as it reads a meter, so the mass-memory arithmetic of the client
(pulses x constant, V.h and A.h over the interval, interval starts in UTC) is checked here
against values worked out by hand, with no emulator and no encoder involved.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from db.channels import QUANTITY_NAMES
from poller.protocol.client import MeterClient, mass_memory_plan
from poller.protocol.errors import (
    CommandNotImplementedError,
    DecodeError,
    SequenceBreakError,
    WrongMeterError,
)
from poller.protocol.public_format import (
    KNOWN_TYPES,
    FileSession,
    public_file_name,
    split_public_file,
    write_public_file,
)

SERIAL = "32600760"


def body(code: int, fields: dict[int, str] | None = None, serial: str = SERIAL) -> bytes:
    """256 octets: octet 001 = code, 002-005 = the meter serial (BCD), each {first octet: hex}."""
    b = bytearray(256)
    b[0] = code
    b[1:5] = bytes.fromhex(serial)
    for first, hexdata in (fields or {}).items():
        data = bytes.fromhex(hexdata)
        b[first - 1 : first - 1 + len(data)] = data
    return bytes(b)


def mm(code: int, header: str, data: str = "", tag: int = 0) -> bytes:
    """A mass-memory block: octets 006-007 = header (block number, 0x10 = last), data from 008;
    ``tag`` in octet 256 tells blocks apart in the assertions."""
    return body(code, {6: header, 8: data, 256: f"{tag:02X}"})


# ---------------------------------------------------------------- the file itself


def test_write_and_split() -> None:
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


def test_public_file_name_by_hand() -> None:
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


# ---------------------------------------------------------------- client decoding from a file

# Parameter block of group 0 (notes §3.2), every value chosen by hand:
#   current time 12:00:00 08/03/24; last demand reset 00:00:00 08/03/24 (the current period
#   opens there); penultimate reset 00:00:00 01/03/24; 6 words now, 3 before;
#   constants 3/10000 (ch1), 1/10 (ch2), 1/100 (ch3); channels 01 kWh, 17 V.h A, 20 A.h A;
#   interval 05:00.00; 1 channel group.
P_FIELDS = {
    6: "120000 080324",
    19: "000000 080324",
    25: "000000 010324",
    75: "000006 000003",
    129: "000003 010000 000001 000010 000001 000100",
    196: "01 17 20",
    204: "05 00 00",
    247: "01",
}
# Words, first word's high nibble first in the middle octet (hi-first/bin):
#   23 14 56 -> 0x123 = 291, 0x456 = 1110; 00 0F FF -> 0, 0xFFF = 4095; 52 00 00 -> 82, 0
MM_DATA = "231456 000FFF 520000"


def _row(**values: float) -> dict[str, float | None]:
    row: dict[str, float | None] = dict.fromkeys(QUANTITY_NAMES)
    row.update(values)
    return row


async def test_client_decodes_the_current_period_by_hand() -> None:
    data = body(0x21, P_FIELDS) + mm(0x26, "1001", MM_DATA)
    client = MeterClient(FileSession(data), meter_serial=SERIAL)
    got = await client.read_mass_memory()
    # interval 1 = words (291, 1110, 0); interval 2 = (4095, 82, 0):
    #   kWh: 291 x 3/10000 = 0.0873; 4095 x 3/10000 = 1.2285
    #   V:   1110 x 1/10 = 111 V.h over 5 min (1/12 h) = 1332 V; 82 x 1/10 = 8.2 V.h -> 98.4 V
    #   A:   0 x 1/100 = 0 A
    # starts: 00:00 and 00:05 local on 08/03/24 at -03:00 = 03:00 and 03:05 UTC
    assert [iv.start for iv in got.intervals] == [
        datetime(2024, 3, 8, 3, 0, tzinfo=UTC),
        datetime(2024, 3, 8, 3, 5, tzinfo=UTC),
    ]
    want = [
        _row(active_fwd_kwh=0.0873, voltage_a_v=1332.0, current_a_a=0.0),
        _row(active_fwd_kwh=1.2285, voltage_a_v=98.4, current_a_a=0.0),
    ]
    for iv, w in zip(got.intervals, want, strict=True):
        assert iv.values.keys() == w.keys()
        for k, v in w.items():
            assert iv.values[k] == (None if v is None else pytest.approx(v, abs=1e-12)), k
    assert got.interval == timedelta(minutes=5)
    assert got.meter_serial == SERIAL and got.previous is False
    assert got.channels == {
        "active_fwd_kwh": (0, 0, 1),
        "voltage_a_v": (0, 1, 17),
        "current_a_a": (0, 2, 20),
    }
    assert len(got.groups) == 1 and got.groups[0].group == 0
    # 6 words = 3 pairs of 3 octets = 9 data octets kept
    assert got.groups[0].data == bytes.fromhex(MM_DATA)
    assert len(got.parameters) == 1
    assert client.responses == [data[:256], data[256:]]


async def test_client_previous_period_and_dst() -> None:
    # 0x22 with DST on from 1/3 to 1/4 (octets 158-162): the meter runs at -02:00 in March.
    # Previous period: 3 words (291, 1110, 0) from the penultimate reset 00:00 01/03/24
    # -> one interval starting 00:00 local = 02:00 UTC.
    fields = {**P_FIELDS, 158: "01 01 03 01 04"}
    data = body(0x22, fields) + mm(0x27, "1001", MM_DATA)
    client = MeterClient(FileSession(data))
    got = await client.read_mass_memory(previous=True)
    assert [iv.start for iv in got.intervals] == [datetime(2024, 3, 1, 2, 0, tzinfo=UTC)]
    assert got.intervals[0].values["active_fwd_kwh"] == pytest.approx(0.0873, abs=1e-12)
    assert got.previous is True
    # the meter clock 12:00:00 08/03/24 at -02:00 = 14:00 UTC
    assert client.to_local(datetime(2024, 3, 8, 14, tzinfo=UTC)) == datetime(2024, 3, 8, 12)


async def test_client_reads_a_second_group_and_skips_absent_ones() -> None:
    # group 0 channels absent (99 99 99); group 1 (0x51 + 0x52) carries kWh received (14)
    base = body(0x21, {**P_FIELDS, 196: "99 99 99", 247: "03"})
    g0 = body(0x51, {**P_FIELDS, 196: "99 99 99", 247: "03"})  # 0x51 blocks count from group 0
    g1 = body(0x51, {**P_FIELDS, 196: "14 99 99", 247: "03"})
    g2 = body(0x51, {**P_FIELDS, 196: "06 07 00", 247: "03"})  # disabled/undefined: absent
    data = base + g0 + g1 + mm(0x52, "1001", MM_DATA) + g2
    got = await MeterClient(FileSession(data)).read_mass_memory()
    assert got.channels == {"active_rev_kwh": (1, 0, 14)}
    assert [round(iv.values["active_rev_kwh"] or 0, 6) for iv in got.intervals] == [
        0.0873,  # 291 x 3/10000
        1.2285,  # 4095 x 3/10000
    ]
    assert [g.group for g in got.groups] == [1]
    assert len(got.parameters) == 3  # 0x21, then 0x51 for groups 1 and 2
    # max_groups=1: only group 0, whose channels are absent: no interval at all
    one = await MeterClient(FileSession(data), max_groups=1).read_mass_memory()
    assert one.intervals == [] and one.channels == {} and one.interval == timedelta(0)


async def test_client_errors() -> None:
    data = body(0x21, P_FIELDS) + mm(0x26, "1001", MM_DATA)
    with pytest.raises(
        WrongMeterError, match=r"^response to 0x21 comes from meter 32600760, expected 11111111$"
    ):
        await MeterClient(FileSession(data), meter_serial="11111111").read_parameters()
    # 7 words announced, one block of 166 holds them, but 7 is not a multiple of 3 channels
    odd = body(0x21, {**P_FIELDS, 75: "000007"}) + mm(0x26, "1001", MM_DATA)
    with pytest.raises(DecodeError, match=r"^mass memory: 7 words is not a multiple of 3$"):
        await MeterClient(FileSession(odd)).read_mass_memory()
    # intervals but no demand reset to anchor them
    loose = body(0x21, {**P_FIELDS, 19: "000000000000"}) + mm(0x26, "1001", MM_DATA)
    with pytest.raises(
        DecodeError, match=r"^2 mass-memory intervals but no demand reset to anchor them$"
    ):
        await MeterClient(FileSession(loose)).read_mass_memory()
    # no words: no interval, and no anchor needed
    empty = body(0x21, {**P_FIELDS, 19: "000000000000", 75: "000000"}) + mm(0x26, "1001")
    assert (await MeterClient(FileSession(empty)).read_mass_memory()).intervals == []
    # block 1 not flagged last and nothing after it: the error keeps the block received
    broken = body(0x21, P_FIELDS) + mm(0x26, "0001", MM_DATA)
    with pytest.raises(SequenceBreakError, match=r"last-block flag missing at block 1") as ei:
        await MeterClient(FileSession(broken)).read_mass_memory()
    assert ei.value.partial_blocks == (broken[256:],)
    # no clock in the parameter block
    no_clock = body(0x21, {**P_FIELDS, 6: "000000000000"})
    with pytest.raises(DecodeError, match=r"^meter reports no current time$"):
        await MeterClient(FileSession(no_clock)).read_meter_time()
    # 12:00:00 08/03/24 at -03:00 = 15:00 UTC
    clocked = MeterClient(FileSession(body(0x21, P_FIELDS)))
    assert await clocked.read_meter_time() == datetime(2024, 3, 8, 15, tzinfo=UTC)
    assert clocked.to_utc(None) is None


async def test_client_simple_reads_ask_the_right_codes() -> None:
    blocks = {
        0x20: body(0x20, {**P_FIELDS, 256: "20"}),
        0x22: body(0x22, {**P_FIELDS, 256: "22"}),
        0x23: body(0x23, {6: "0000000023"}),
        0x24: body(0x24, {6: "0000000024"}),
        0x25: body(0x25, {6: "143000050324"}),
        0x28: body(0x28, {6: "29 123456 080000080324"}),
        0x80: body(0x80, {13: "08"}),
        0x14: body(0x14, {6: "120231080324"}),
    }
    c = MeterClient(Recorder(b"".join(blocks.values())))
    assert (await c.read_registers()).channels[0].total == 23
    assert (await c.read_registers(previous=True)).channels[0].total == 24
    assert (await c.read_parameters(previous=True)).raw[255] == 0x22
    assert (await c.read_parameters_with_reset()).raw[255] == 0x20
    assert (await c.read_outages()).records[0].start == datetime(2024, 3, 5, 14, 30)
    await c.read_outages(current=False)
    # octet 005 of 0x25: 01 current period, 00 previous (notes §3.5 / ReadOutages)
    asked = c.session.asked  # type: ignore[attr-defined]
    assert [p for code, p in asked if code == 0x25] == [b"\x01", b"\x00"]
    assert (await c.read_alteration_log()).records[0].reader_serial == "123456"
    assert (await c.read_measurement_parameters()).universal_posts_condition == 8
    assert (await c.read_instantaneous()).timestamp == datetime(2024, 3, 8, 12, 2, 31)


class Recorder(FileSession):
    """A FileSession that also keeps every (code, parameters) it was asked."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked: list[tuple[int, bytes]] = []

    async def request(self, code: int, params: bytes = b"") -> list[bytes]:
        self.asked.append((code, params))
        return await super().request(code, params)


async def test_parameters_with_reset_ask_0x20_with_the_group() -> None:
    c = MeterClient(Recorder(body(0x20, P_FIELDS) + body(0x20, {**P_FIELDS, 247: "07"})))
    p = await c.read_parameters_with_reset(group=1)
    await c.read_parameters_with_reset()  # group 0 by default
    assert c.session.asked == [(0x20, b"\x00\x01"), (0x20, b"\x00\x00")]  # type: ignore[attr-defined]
    assert (p.code, p.channel_groups) == (0x20, 7)


def test_mass_memory_plan() -> None:
    # group 0: 0x21 + 0x26 now, 0x22 + 0x27 before; other groups: 0x51 + 0x52 now, 0x22 + 0x27
    assert mass_memory_plan(False, 0) == (0x21, 0x26)
    assert mass_memory_plan(True, 0) == (0x22, 0x27)
    assert mass_memory_plan(False, 1) == (0x51, 0x52)
    assert mass_memory_plan(True, 2) == (0x22, 0x27)
