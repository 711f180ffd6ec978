"""BCD fields, the CRC table and the frame builders at their edges, with exact messages (issue 13
§5: tests that kill the mutmut survivors of poller/protocol/bcd.py, crc.py, framing.py,
timebase.py). Expected octets are written by hand from the NBR 14522 notes (§2.1-2.4).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from poller.protocol import crc
from poller.protocol.bcd import (
    bcd_byte,
    bcd_digits,
    decode_date,
    decode_datetime,
    decode_hhmm,
    digits_to_bcd,
    encode_date,
    encode_datetime,
    encode_hhmm,
    from_bcd,
    from_bcd_byte,
    to_bcd,
)
from poller.protocol.errors import DecodeError
from poller.protocol.framing import (
    ACK,
    ENQ,
    NAK,
    NEED_MORE,
    WAIT,
    Frame,
    Garbage,
    Signal,
    build_addressed_command,
    build_command,
    build_response,
    build_wrapped_command,
    command_body,
    command_framer,
    is_valid_code,
    parse_command,
    response_body,
    response_framer,
    wrap,
    wrapped_framer,
)
from poller.protocol.timebase import DstRule, dst_active, local_to_utc, utc_to_local

# ---------------------------------------------------------------- BCD


@pytest.mark.parametrize(("value", "octet"), [(0, 0x00), (9, 0x09), (10, 0x10), (99, 0x99)])
def test_bcd_byte_edges(value: int, octet: int) -> None:
    assert bcd_byte(value) == octet
    assert from_bcd_byte(octet) == value


@pytest.mark.parametrize("value", [-1, 100])
def test_bcd_byte_out_of_range(value: int) -> None:
    with pytest.raises(ValueError, match=rf"^BCD octet out of range: {value}$"):
        bcd_byte(value)


@pytest.mark.parametrize("octet", [0x0A, 0xA0, 0x9A, 0xA9, 0xFF])
def test_from_bcd_byte_refuses_a_nibble_above_nine(octet: int) -> None:
    with pytest.raises(DecodeError, match=rf"^invalid BCD octet 0x{octet:02X}$"):
        from_bcd_byte(octet)


def test_to_bcd_edges() -> None:
    # width 2 holds 0..9999: 9999 -> 99 99; 0 -> 00 00; 10000 and -1 do not fit
    assert to_bcd(9999, 2) == b"\x99\x99"
    assert to_bcd(0, 2) == b"\x00\x00"
    assert to_bcd(705, 2) == b"\x07\x05"
    for bad in (10000, -1):
        with pytest.raises(ValueError, match=rf"^{bad} does not fit in 2 BCD octets$"):
            to_bcd(bad, 2)
    assert from_bcd(b"\x12\x34\x56") == 123456
    assert from_bcd(b"") == 0


def test_bcd_digits_keep_leading_zeros_and_validate() -> None:
    assert bcd_digits(b"\x00\x12") == "0012"
    with pytest.raises(DecodeError, match=r"^invalid BCD octet 0x1B$"):
        bcd_digits(b"\x00\x1b")
    assert digits_to_bcd("123456", 3) == b"\x12\x34\x56"
    assert digits_to_bcd("7", 3) == b"\x00\x00\x07"
    for bad in ("1234567", "12a456", ""):
        with pytest.raises(ValueError, match=rf"^not a 6-digit number: {bad!r}$"):
            digits_to_bcd(bad, 3)


def test_datetime_fields() -> None:
    assert encode_datetime(None) == bytes(6)
    # 23:59:58 on 29/02/2024: 23 59 58 29 02 24
    assert encode_datetime(datetime(2024, 2, 29, 23, 59, 58)).hex() == "235958290224"
    assert decode_datetime(bytes.fromhex("235958290224")) == datetime(2024, 2, 29, 23, 59, 58)
    # only the first 6 octets count; a blank needs every octet blank
    assert decode_datetime(bytes.fromhex("000000010100")) == datetime(2000, 1, 1)
    assert decode_datetime(bytes.fromhex("FFFFFFFFFFFF")) is None
    with pytest.raises(DecodeError, match=r"^invalid timestamp 00 00 00 30 02 24: day is out"):
        decode_datetime(bytes.fromhex("000000300224"))  # 30 February


def test_date_fields() -> None:
    assert encode_date(None) == bytes(3)
    assert encode_date(date(2099, 12, 31)) == b"\x31\x12\x99"
    assert decode_date(b"\x31\x12\x99") == date(2099, 12, 31)
    assert decode_date(b"\x00\x00\x00") is None and decode_date(b"\xff\xff\xff") is None
    with pytest.raises(DecodeError, match=r"^invalid date 29 02 23: day is out of range"):
        decode_date(b"\x29\x02\x23")  # 2023 is not a leap year


def test_hhmm_fields() -> None:
    assert encode_hhmm(None) == b"\x99\x00"
    assert encode_hhmm(time(23, 59)) == b"\x23\x59"
    assert decode_hhmm(b"\x23\x59") == time(23, 59)
    assert decode_hhmm(b"\x00\x00") == time(0, 0)
    assert decode_hhmm(b"\xff\xff") is None
    assert decode_hhmm(b"\x99\x00") is None
    for bad in ("2400", "2360"):
        with pytest.raises(DecodeError, match=rf"^invalid clock time {bad[:2]} {bad[2:]}$"):
            decode_hhmm(bytes.fromhex(bad))


# ---------------------------------------------------------------- CRC table


def test_crc_table_by_hand() -> None:
    """The reflected 0xA001 table, entries worked by hand (8 right shifts each, XOR 0xA001 when
    the bit shifted out is 1):

    * [0]: nothing set -> 0x0000;
    * [128] = 0x80: 7 plain shifts to 0x01, then 0x01 -> 0 ^ 0xA001 = 0xA001;
    * [1]: 0x01 -> 0xA001 -> 0x5000^0xA001 = 0xF001 -> 0x7800^0xA001 = 0xD801 -> 0xCC01
      -> 0xC601 -> 0xC301 -> 0xC181 -> 0x60C0^0xA001 = 0xC0C1;
    * [2]: 0x02 -> 0x01 (plain) -> 0xA001 -> ... six XOR steps as above -> 0xC181;
    * [3] = [1] ^ [2] (the table is linear) = 0xC0C1 ^ 0xC181 = 0x0140;
    * [255] = XOR of the 8 single-bit entries = 0x4040 (the well-known last entry).
    """
    table = crc._make_table()
    assert len(table) == 256
    assert table[0] == 0x0000
    assert table[128] == 0xA001
    assert table[1:4] == (0xC0C1, 0xC181, 0x0140)
    assert table[255] == 0x4040
    assert table == crc._TABLE


def test_crc_on_the_wire_is_low_byte_first() -> None:
    # notes §2.4: the ESP frame 14 00 .. 00 (64 octets) has CRC 0x0F05, sent as 05 0F
    assert crc.crc16_arc(bytes([0x14]) + bytes(63)) == 0x0F05
    assert crc.crc_bytes(0x0F05) == b"\x05\x0f"
    assert crc.crc_from_wire(b"\x05\x0f") == 0x0F05
    assert crc.crc16_modbus(b"") == 0xFFFF and crc.crc16_arc(b"") == 0


# ---------------------------------------------------------------- frame builders


@pytest.mark.parametrize(
    ("code", "valid"),
    [(0x01, True), (0x99, True), (0x00, False), (0x0A, False), (0xA0, False),
     (ENQ, False), (ACK, False), (WAIT, False), (NAK, False), (0x09, True), (0x90, True)],
)  # fmt: skip
def test_valid_codes(code: int, valid: bool) -> None:
    assert is_valid_code(code) is valid


def test_command_body_edges() -> None:
    assert command_body(0x14, "123456", b"\x01") == bytes.fromhex("14 123456 01") + bytes(59)
    assert len(command_body(0x14, "000000", bytes(60))) == 64
    with pytest.raises(ValueError, match=r"^parameters too long: 61 > 60$"):
        command_body(0x14, "000000", bytes(61))
    for bad in (-1, 0x100):
        with pytest.raises(ValueError, match=rf"^command code out of range: {bad}$"):
            command_body(bad)
    assert command_body(0xFF)[0] == 0xFF and command_body(0)[0] == 0


def test_addressed_command_and_parse() -> None:
    # 99 | meter 55 00 00 52 | 14 | reader 94 50 68 | 60 x 00 | CRC of the inner 64 octets
    frame = build_addressed_command("55000052", 0x14, "945068")
    assert frame[:9] == bytes.fromhex("99 55000052 14 945068")
    assert frame[5:] == build_command(0x14, "945068")
    with_params = build_addressed_command("55000052", 0x21, "000000", b"\x00\x03")
    assert with_params[9:12] == b"\x00\x03\x00"  # octets 005-006 of the inner command
    cmd = parse_command(frame)
    assert (cmd.code, cmd.reader_serial, cmd.meter_serial) == (0x14, "945068", "55000052")
    plain = parse_command(build_command(0x21, "000001", b"\x00\x03"))
    assert plain.meter_serial is None and plain.params == b"\x00\x03" + bytes(58)
    with pytest.raises(ValueError, match=r"^command frame must be 66 octets, got 65$"):
        parse_command(build_command(0x21)[:65])
    # 71 octets not starting with 99: not an addressed frame, and not 66 octets either
    with pytest.raises(ValueError, match=r"^command frame must be 66 octets, got 71$"):
        parse_command(b"\x21" + frame[1:])


def test_response_body_and_frame() -> None:
    b = response_body(0x21, "32600760", b"\xab")
    assert b == bytes.fromhex("21 32600760 ab") + bytes(250)
    assert len(response_body(0x21, "32600760", bytes(251))) == 256
    with pytest.raises(ValueError, match=r"^response data too long: 252$"):
        response_body(0x21, "32600760", bytes(252))
    with pytest.raises(ValueError, match=r"^response body must be 256 octets, got 255$"):
        build_response(bytes(255))
    assert build_response(b)[:256] == b and crc.crc16_arc(build_response(b)) == 0


def test_wrapped_command_octet_005() -> None:
    # 01 99 | 26 | 000000 | octet 005 = ack | ... | Modbus CRC
    req = build_wrapped_command(0x26, "000000", b"", 0)
    nxt = build_wrapped_command(0x26, "000000", b"", 1)
    rep = build_wrapped_command(0x26, "000000", b"\x07\x08", 2)
    assert req[:7] == bytes.fromhex("0199 26 000000 00")  # octet 005 (index 6) = 00
    assert nxt[6] == 0x01 and rep[6:8] == b"\x02\x08"  # the ack octet replaces params[0]
    assert build_wrapped_command(0x25, "000000", b"\x01", 0)[6] == 0x01  # no ack: kept
    # defaults: reader 000000, no parameters, request (00)
    assert build_wrapped_command(0x21)[:66] == bytes.fromhex("0199 21") + bytes(63)
    assert len(req) == 68 and crc.crc16_modbus(req) == 0
    assert wrap(b"") == b"\x01\x99" + crc.crc_bytes(crc.crc16_modbus(b"\x01\x99"))


def test_frame_body_per_variant() -> None:
    resp = build_response(response_body(0x21, "32600760", b""))
    assert Frame(resp, 0, 0).body == resp[:256]
    addressed = build_addressed_command("55000052", 0x14)
    assert Frame(addressed, 0, 0).body == addressed[5:69]
    wrapped_cmd = build_wrapped_command(0x21)
    assert Frame(wrapped_cmd, 0, 0).body == wrapped_cmd[2:66]
    wrapped_resp = wrap(resp[:256])
    assert Frame(wrapped_resp, 0, 0).body == resp[:256]
    # a 66-octet command that happens to start with 01 99 is not the wrapper: CRC cut only
    odd = b"\x01\x99" + bytes(64)
    assert Frame(odd, 0, 0).body == odd[:-2]
    # 0x99 start but not 71 octets: CRC cut only
    short99 = b"\x99" + bytes(65)
    assert Frame(short99, 0, 0).body == short99[:-2]
    assert Frame(b"ab", 1, 1).ok and not Frame(b"ab", 1, 2).ok


def test_framer_garbage_stops_at_a_signal_or_a_start() -> None:
    assert repr(NEED_MORE) == "NEED_MORE"
    framer = response_framer()
    # 0xAA, 0xBB cannot start a response; 0x21 can: the garbage ends before it
    framer.feed(b"\xaa\xbb\x21")
    assert framer.next_event() == Garbage(b"\xaa\xbb")
    assert framer.next_event() is NEED_MORE and framer.pending == 1
    assert framer.reset() == b"\x21" and framer.pending == 0
    assert framer.next_event() is NEED_MORE
    framer.feed(b"\xaa" + bytes((NAK,)))
    assert framer.events() == [Garbage(b"\xaa"), Signal(NAK)]
    # 0x40 (occurrence) and 0x39 (not implemented) start a frame too
    for code in (0x40, 0x39):
        framer.feed(bytes((code,)) + bytes(257))
        (ev,) = framer.events()
        assert isinstance(ev, Frame) and len(ev.data) == 258
    only21 = response_framer(lambda b: b == 0x21)
    only21.feed(b"\x22\x21")
    assert only21.next_event() == Garbage(b"\x22")


def test_command_framer_lengths() -> None:
    framer = command_framer()
    framer.feed(build_command(0x21) + build_addressed_command("55000052", 0x14) + b"\xaa")
    a, b, c = framer.events()
    assert isinstance(a, Frame) and len(a.data) == 66 and a.ok
    assert isinstance(b, Frame) and len(b.data) == 71 and b.ok
    assert c == Garbage(b"\xaa")
    bad = bytearray(build_addressed_command("55000052", 0x14))
    bad[-1] ^= 0xFF
    framer.feed(bytes(bad))
    (ev,) = framer.events()
    assert isinstance(ev, Frame) and not ev.ok
    assert ev.crc_computed == crc.crc16_arc(bytes(bad[5:69]))


def test_wrapped_framer_has_no_signals() -> None:
    framer = wrapped_framer(68)
    cmd = build_wrapped_command(0x21)
    framer.feed(bytes((ENQ,)) + cmd)
    g, f = framer.events()
    assert g == Garbage(bytes((ENQ,)))  # no signal characters in this mode: ENQ is garbage
    assert isinstance(f, Frame) and f.ok and f.data == cmd


# ---------------------------------------------------------------- time base


def test_dst_window_edges() -> None:
    # summer time from 00:00 of 3 Nov up to 00:00 of 16 Feb (wraps the year)
    rule = DstRule(True, (3, 11), (16, 2))
    assert dst_active(rule, datetime(2024, 11, 3, 0, 0))  # first instant
    assert not dst_active(rule, datetime(2024, 11, 2, 23, 59))
    assert dst_active(rule, datetime(2025, 2, 15, 23, 59))
    assert not dst_active(rule, datetime(2025, 2, 16, 0, 0))  # end is exclusive
    # a window inside one year: 1 Mar up to 1 Apr
    spring = DstRule(True, (1, 3), (1, 4))
    assert dst_active(spring, datetime(2024, 3, 1)) and dst_active(spring, datetime(2024, 3, 31))
    assert not dst_active(spring, datetime(2024, 4, 1))
    assert not dst_active(spring, datetime(2024, 2, 29))
    assert not dst_active(spring, datetime(2024, 12, 1))
    # any zero day or month disables the rule
    for w, s in (((0, 3), (1, 4)), ((1, 0), (1, 4)), ((1, 3), (0, 4)), ((1, 3), (1, 0))):
        assert not dst_active(DstRule(True, w, s), datetime(2024, 3, 15))
    assert not dst_active(DstRule(False, (1, 3), (1, 4)), datetime(2024, 3, 15))


def test_utc_conversions_by_hand() -> None:
    spring = DstRule(True, (1, 3), (1, 4))
    # 12:00 local at -03:00 = 15:00 UTC; with DST the meter runs at -02:00: 14:00 UTC
    assert local_to_utc(datetime(2024, 2, 1, 12)) == datetime(2024, 2, 1, 15, tzinfo=UTC)
    assert local_to_utc(datetime(2024, 3, 2, 12), dst=spring) == datetime(
        2024, 3, 2, 14, tzinfo=UTC
    )
    five = timedelta(hours=-5)
    assert local_to_utc(datetime(2024, 2, 1, 12), five) == datetime(2024, 2, 1, 17, tzinfo=UTC)
    assert utc_to_local(datetime(2024, 2, 1, 17, tzinfo=UTC), five) == datetime(2024, 2, 1, 12)
    assert utc_to_local(datetime(2024, 3, 2, 14, tzinfo=UTC), dst=spring) == datetime(
        2024, 3, 2, 12
    )
    assert utc_to_local(datetime(2024, 2, 1, 15, tzinfo=UTC), dst=spring) == datetime(
        2024, 2, 1, 12
    )
