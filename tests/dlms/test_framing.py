"""Golden bytes of the DLMS layers, written by hand: FCS known answer, an HDLC frame, the
length-delimited deframer (an FCS ending in 0x7E), the wrapper header, A-XDR, AARQ/AARE."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from poller.dlms import apdu, axdr, hdlc
from poller.dlms.errors import DlmsDecodeError
from poller.dlms.wrapper import WrapperDeframer, encode_wpdu
from poller.emulator.dlms import cosem


def test_fcs_known_answer() -> None:
    # CRC-16/X.25 check value of "123456789" is 0x906E (the catalogue's check)
    assert hdlc.crc16_x25(b"123456789") == 0x906E
    assert cosem.fcs(b"123456789") == 0x906E  # the emulator's bitwise implementation agrees


def test_snrm_frame_by_hand() -> None:
    # SNRM from client 16 (0x21 = 16 << 1 | 1) to server 1 (0x03), no information field:
    # length = format 2 + dest 1 + src 1 + control 1 + FCS 2 = 7 → format A0 07
    frame = hdlc.encode_frame(b"\x03", b"\x21", hdlc.SNRM)
    body = bytes([0xA0, 0x07, 0x03, 0x21, 0x93])
    fcs = hdlc.crc16_x25(body)
    assert frame == b"\x7e" + body + bytes([fcs & 0xFF, fcs >> 8]) + b"\x7e"
    assert hdlc.encode_address(1, 17) == bytes([0x02, 0x23])  # upper 1 << 1, lower 17 << 1 | 1
    assert hdlc.encode_address(1000) == bytes([(1000 >> 7) << 1, ((1000 & 0x7F) << 1) | 1])


def _frame_ending_in_7e() -> bytes:
    # search an information octet that makes the FCS's last (high) octet 0x7E
    for b in range(256):
        f = hdlc.encode_frame(b"\x21", b"\x03", 0x30, b"\xe6\xe7\x00\xc4\x01\xc1\x00" + bytes([b]))
        if f[-2] == 0x7E:
            return f
    raise AssertionError("no such octet")


def test_an_fcs_ending_in_7e_is_read_by_its_length_not_cut_at_the_flag() -> None:
    f = _frame_ending_in_7e()
    assert f[-2:] == b"\x7e\x7e"  # ... FCS high octet 7E, then the closing flag 7E
    d = hdlc.Deframer()
    d.feed(f + f)  # two frames back to back
    one, two = d.next(), d.next()
    assert isinstance(one, hdlc.Frame) and isinstance(two, hdlc.Frame)
    assert one.raw == f and two.raw == f
    assert d.next() is None


def test_damaged_frames_are_reported_and_the_next_one_found() -> None:
    good = hdlc.encode_frame(b"\x21", b"\x03", 0x30, b"\xe6\xe7\x00\xc4")
    bad = good[:-3] + bytes([good[-3] ^ 1]) + good[-2:]
    d = hdlc.Deframer()
    d.feed(b"\x00\x11" + bad + good)
    assert isinstance(d.next(), hdlc.BadFrame)
    got = d.next()
    assert isinstance(got, hdlc.Frame) and got.info == b"\xe6\xe7\x00\xc4"


def test_wrapper_header_by_hand() -> None:
    # version 0001, source 0010 (client 16), destination 0001, length 0003
    assert encode_wpdu(16, 1, b"\xc0\x01\xc1") == bytes.fromhex("0001001000010003c001c1")
    d = WrapperDeframer()
    d.feed(bytes.fromhex("00010001001000"))
    assert d.next() is None
    d.feed(bytes.fromhex("02abcd"))
    w = d.next()
    assert w is not None and (w.source, w.dest, w.apdu) == (1, 16, b"\xab\xcd")
    d.feed(bytes.fromhex("0002000100100000"))
    with pytest.raises(DlmsDecodeError, match="version 2"):
        d.next()


def test_axdr_by_hand() -> None:
    # structure of 3: long-unsigned 8, octet-string 0.0.1.0.0.255, integer -1
    raw = bytes.fromhex("02031200080906000001 0000ff".replace(" ", "") + "0fff")
    assert axdr.decode_all(raw) == (8, bytes([0, 0, 1, 0, 0, 255]), -1)
    # array of 2 double-long-unsigned 150 and 300; an A-XDR length of 0x81 0x80 = 128
    assert axdr.decode_all(bytes.fromhex("01020600000096060000012c")) == [150, 300]
    assert axdr.decode_length(b"\x81\x80", 0) == (128, 2)
    with pytest.raises(DlmsDecodeError):
        axdr.decode_all(b"\x06\x00\x00")  # a double-long-unsigned cut short


def test_cosem_date_time_by_hand() -> None:
    # 2026-11-10 (Tuesday = 2) 09:00:00.00, deviation unspecified (0x8000), status 0
    raw = bytes.fromhex("07ea0b0a0209000000800000")
    assert axdr.format_datetime(datetime(2026, 11, 10, 9, 0)) == raw
    dt = axdr.parse_datetime(raw)
    assert dt.local == datetime(2026, 11, 10, 9, 0) and dt.deviation is None and dt.status == 0


def test_aarq_and_aare_by_hand() -> None:
    # AARQ, no authentication: A1 09 06 07 60 85 74 05 08 01 01 (LN, no ciphering), then
    # BE 10 04 0E <InitiateRequest 01 00 00 00 06 5F 1F 04 00 00 7E 1F FF FF>
    got = apdu.aarq(context=1, mechanism=0, user_information=apdu.initiate_request())
    want = bytes.fromhex("601da109060760857405080101be10040e01000000065f1f0400007e1fffff")
    assert got == want
    # AARE accepted (result 0), diagnostic user 0, InitiateResponse with max PDU 0x0400
    aare = bytes.fromhex(
        "6129a109060760857405080101a203020100a305a103020100be10040e0800065f1f040000501f04000007"
    )
    a = apdu.parse_aare(aare)
    assert (a.result, a.diagnostic) == (0, 0)
    assert apdu.parse_initiate_response(a.user_information) == 0x0400


def test_get_request_with_range_by_hand() -> None:
    lo, hi = (
        axdr.format_datetime(datetime(2026, 11, 10, 9)),
        axdr.format_datetime(datetime(2026, 11, 10, 10)),
    )
    req = apdu.get_request(
        1, 7, axdr.obis_bytes("1.0.99.1.0.255"), 2, apdu.range_descriptor(lo, hi)
    )
    # C0 01 C1 | class 0007 | OBIS 0100630100FF | attr 02 | access 01, selector 01 | structure 4
    assert req[:14] == bytes.fromhex("c001c100070100630100ff020101")
    assert req[14:16] == b"\x02\x04"
    # restricting object: structure(u16 8, octet-string 0.0.1.0.0.255, i8 2, u16 0)
    assert req[16:34] == bytes.fromhex("020412000809060000010000ff0f02120000")


# --- the deframer whatever the chunking, and HDLC segmentation both ways ----------------------


@settings(max_examples=200, deadline=None)
@given(
    infos=st.lists(st.binary(min_size=0, max_size=60), min_size=1, max_size=5),
    cuts=st.lists(st.integers(min_value=1, max_value=40), max_size=30),
    noise=st.binary(max_size=5),
)
def test_frames_survive_any_chunking_and_leading_noise(
    infos: list[bytes], cuts: list[int], noise: bytes
) -> None:
    # information fields full of 0x7E and any FCS: the frames come back whole, in order
    frames = [hdlc.encode_frame(b"\x21", b"\x03", 0x10, i) for i in infos]
    stream = noise.replace(b"\x7e", b"") + b"".join(frames)
    d = hdlc.Deframer()
    got: list[bytes] = []
    pos = 0
    for c in [*cuts, len(stream)]:
        d.feed(stream[pos : pos + c])
        pos += c
        while (f := d.next()) is not None:
            assert isinstance(f, hdlc.Frame)
            got.append(f.info)
    assert got == infos


async def test_hdlc_segmentation_both_ways_over_a_small_window() -> None:
    # max information field 32 octets: the HLS AARQ (about 90 octets) goes out in 3 segments,
    # each acknowledged by RR, and the 13-entry profile answer comes back in many segments
    from datetime import datetime as dt

    from poller.dlms.client import Credentials, DlmsClient
    from poller.dlms.link import DlmsTimers, HdlcLink
    from poller.dlms.security import Keys
    from poller.emulator.dlms import DlmsEmulator, DlmsMeter, DlmsMeterConfig
    from poller.emulator.meter import FixedClock
    from poller.protocol.transport import TcpTransport
    from tests.dlms.conftest import AK, EK, NOW

    cfg = DlmsMeterConfig(auth="hls_gmac", authentication_key=AK, encryption_key=EK, profile_days=1)
    emu = DlmsEmulator(DlmsMeter(cfg, FixedClock(NOW)), "hdlc", max_info=32)
    tr = TcpTransport("127.0.0.1", await emu.start_tcp())
    await tr.open()
    try:
        link = HdlcLink(tr, 16, 1, None, DlmsTimers(response_timeout=0.5, retries=1))
        c = DlmsClient(link, Credentials(auth="hls_gmac", keys=Keys(AK, EK)))
        await c.associate()
        assert link.max_info_tx == 32  # from the UA's negotiated parameters
        rows = await c.read_buffer(
            axdr.obis_bytes("1.0.99.1.0.255"), dt(2026, 11, 10, 6), dt(2026, 11, 10, 9)
        )
        assert len(rows) == 13
        assert link.stats.frames_received > 20 and link.stats.resends == 0
    finally:
        await tr.close()
        await emu.close()
