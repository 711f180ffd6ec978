"""BCD fields, CRC-16 and the frames of NBR 14522 (notes §2.1-2.4).

First the known answers of the shared test vectors (CRC values, commands rebuilt byte for byte,
the addressed and "01 99" wrapped variants, the stream framer); then every field and builder at
its edges, with octets written by hand from the notes and the exact error messages.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest

from poller.protocol import crc
from poller.protocol.bcd import (
    bcd_byte,
    bcd_digits,
    day_of_week,
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
from poller.protocol.crc import (
    ARC_CHECK,
    MODBUS_CHECK,
    crc16_arc,
    crc16_modbus,
    crc_bytes,
    crc_from_wire,
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


def test_check_values() -> None:
    assert crc16_arc(b"123456789") == ARC_CHECK == 0xBB3D
    assert crc16_modbus(b"123456789") == MODBUS_CHECK == 0x4B37


def test_extra_vector(vectors: dict[str, Any]) -> None:
    for v in vectors["crc16_arc"]["extra"]:
        assert crc16_arc(bytes.fromhex(v["data_hex"])) == int(v["crc_value"], 16)


def _vector_ids(v: dict[str, Any]) -> str:
    return str(v["name"])


def test_every_crc_vector(vectors: dict[str, Any]) -> None:
    vecs = vectors["crc16_arc"]["vectors"]
    assert len(vecs) == 18
    for v in vecs:
        frame = bytes.fromhex(v["frame_hex"])
        assert frame[-2:].hex() == v["crc_wire_hex"], v["name"]
        assert crc16_arc(frame[:-2]) == int(v["crc_value"], 16), v["name"]
        assert crc_bytes(crc16_arc(frame[:-2])) == frame[-2:], v["name"]
        assert crc16_arc(frame) == 0, v["name"]  # residue check used by FITec


def test_commands_rebuilt_byte_for_byte(vectors: dict[str, Any]) -> None:
    for v in vectors["crc16_arc"]["vectors"]:
        frame = bytes.fromhex(v["frame_hex"])
        if len(frame) != 66:
            continue  # the two response vectors
        rebuilt = build_command(frame[0], frame[1:4].hex(), frame[4:64])
        assert rebuilt == frame, v["name"]
        cmd = parse_command(frame)
        assert (cmd.code, cmd.reader_serial, cmd.params) == (
            frame[0],
            frame[1:4].hex(),
            frame[4:64],
        )


def test_addressed_frame(vectors: dict[str, Any]) -> None:
    v = vectors["addressed_frame"]
    frame = bytes.fromhex(v["frame_hex"])
    assert len(frame) == 71
    assert build_addressed_command("55000052", 0x14, "945068") == frame
    cmd = parse_command(frame)
    assert cmd.meter_serial == "55000052" and cmd.code == 0x14 and cmd.reader_serial == "945068"
    framer = command_framer()
    framer.feed(frame)
    ev = framer.next_event()
    assert isinstance(ev, Frame) and ev.ok and ev.crc_received == 0x5DC1


def test_wrapped_commands(vectors: dict[str, Any]) -> None:
    for v in vectors["hel_tcp_0199_wrapper"]["commands"]:
        frame = bytes.fromhex(v["frame_hex"])
        assert len(frame) == v["length"] == 68
        params = bytes((0, v["octet_006"]))
        rebuilt = build_wrapped_command(int(v["inner_code"], 16), "000000", params, v["octet_005"])
        assert rebuilt == frame, v["name"]
        assert crc16_modbus(frame) == 0


def test_wrapped_responses(vectors: dict[str, Any]) -> None:
    w = vectors["hel_tcp_0199_wrapper"]
    frames = [r["frame_hex"] for r in w["responses"].values()]
    frames += [b["frame_hex"] for b in w["mass_memory_0x26"]["blocks"]]
    framer = wrapped_framer(260)
    for hexframe in frames:
        frame = bytes.fromhex(hexframe)
        assert len(frame) == 260 and crc16_modbus(frame) == 0
        framer.feed(frame)
        ev = framer.next_event()
        assert isinstance(ev, Frame) and ev.ok and ev.body == frame[2:258]


def test_response_framer_signals_frames_and_garbage(vectors: dict[str, Any]) -> None:
    frame = bytes.fromhex(vectors["rgn_0x20_response"]["frame_hex"])
    framer = response_framer()
    framer.feed(bytes((ENQ, 0xAA, 0xBB, WAIT)) + frame[:100])
    assert framer.next_event() == Signal(ENQ)
    assert framer.next_event() == Garbage(b"\xaa\xbb")
    assert framer.next_event() == Signal(WAIT)
    assert framer.next_event() is NEED_MORE and framer.pending == 100
    framer.feed(frame[100:] + bytes((ACK,)))
    ev = framer.next_event()
    assert isinstance(ev, Frame) and ev.ok and ev.data == frame
    assert framer.next_event() == Signal(ACK)


def test_response_framer_reports_crc_mismatch(vectors: dict[str, Any]) -> None:
    frame = bytearray(bytes.fromhex(vectors["rgn_0x20_response"]["frame_hex"]))
    frame[10] ^= 0x01
    framer = response_framer()
    framer.feed(bytes(frame))
    ev = framer.next_event()
    assert isinstance(ev, Frame) and not ev.ok
    assert ev.crc_received == 0x5C48 and ev.crc_computed == crc16_arc(bytes(frame[:256]))


def test_signal_looking_bytes_inside_a_frame_are_data() -> None:
    body = bytes((0x21,)) + bytes.fromhex("12345678") + bytes((ENQ, ACK, WAIT)) * 83 + bytes(2)
    framer = response_framer()
    framer.feed(build_response(body))
    ev = framer.next_event()
    assert isinstance(ev, Frame) and ev.ok and ev.body == body


def test_bcd_helpers() -> None:
    assert to_bcd(20271, 3) == b"\x02\x02\x71" and from_bcd(b"\x02\x02\x71") == 20271
    with pytest.raises(DecodeError, match="invalid BCD octet 0x1A"):
        from_bcd(b"\x1a")
    with pytest.raises(ValueError):
        to_bcd(1_000_000, 3)
    dt = datetime(2021, 10, 7, 22, 15, 0)
    assert encode_datetime(dt).hex() == "221500071021"
    assert decode_datetime(encode_datetime(dt)) == dt
    assert decode_datetime(bytes(6)) is None and decode_datetime(b"\xff" * 6) is None
    assert decode_hhmm(b"\x99\x00") is None and decode_hhmm(b"\x18\x00") == time(18, 0)
    with pytest.raises(DecodeError, match="invalid timestamp"):
        decode_datetime(bytes.fromhex("000000320124"))


@pytest.mark.parametrize(
    ("d", "dow"),
    [(date(2021, 10, 7), 5), (date(2024, 3, 8), 6), (date(2015, 1, 1), 5), (date(2019, 1, 2), 4)],
)
def test_day_of_week_one_is_sunday(d: date, dow: int) -> None:
    assert day_of_week(d) == dow


# ---------------------------------------------------------------- BCD fields at their edges


@pytest.mark.parametrize(("value", "octet"), [(0, 0x00), (9, 0x09), (10, 0x10), (99, 0x99)])
def test_bcd_octet_holds_0_to_99(value: int, octet: int) -> None:
    assert bcd_byte(value) == octet
    assert from_bcd_byte(octet) == value


@pytest.mark.parametrize("value", [-1, 100])
def test_bcd_octet_refuses_values_outside_0_to_99(value: int) -> None:
    with pytest.raises(ValueError, match=rf"^BCD octet out of range: {value}$"):
        bcd_byte(value)


@pytest.mark.parametrize("octet", [0x0A, 0xA0, 0x9A, 0xA9, 0xFF])
def test_from_bcd_byte_refuses_a_nibble_above_nine(octet: int) -> None:
    with pytest.raises(DecodeError, match=rf"^invalid BCD octet 0x{octet:02X}$"):
        from_bcd_byte(octet)


def test_bcd_number_fits_its_width_or_is_refused() -> None:
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


def test_timestamp_field_is_hhmmss_ddmmyy_and_blank_is_none() -> None:
    assert encode_datetime(None) == bytes(6)
    # 23:59:58 on 29/02/2024: 23 59 58 29 02 24
    assert encode_datetime(datetime(2024, 2, 29, 23, 59, 58)).hex() == "235958290224"
    assert decode_datetime(bytes.fromhex("235958290224")) == datetime(2024, 2, 29, 23, 59, 58)
    # only the first 6 octets count; a blank needs every octet blank (00 or FF: test_bcd_helpers)
    assert decode_datetime(bytes.fromhex("000000010100")) == datetime(2000, 1, 1)
    with pytest.raises(DecodeError, match=r"^invalid timestamp 00 00 00 30 02 24: day is out"):
        decode_datetime(bytes.fromhex("000000300224"))  # 30 February


def test_date_field_is_ddmmyy_and_blank_is_none() -> None:
    assert encode_date(None) == bytes(3)
    assert encode_date(date(2099, 12, 31)) == b"\x31\x12\x99"
    assert decode_date(b"\x31\x12\x99") == date(2099, 12, 31)
    assert decode_date(b"\x00\x00\x00") is None and decode_date(b"\xff\xff\xff") is None
    with pytest.raises(DecodeError, match=r"^invalid date 29 02 23: day is out of range"):
        decode_date(b"\x29\x02\x23")  # 2023 is not a leap year


def test_clock_time_field_is_hhmm_and_99_00_is_unused() -> None:
    assert encode_hhmm(None) == b"\x99\x00"
    assert encode_hhmm(time(23, 59)) == b"\x23\x59"
    assert decode_hhmm(b"\x23\x59") == time(23, 59)
    assert decode_hhmm(b"\x00\x00") == time(0, 0)
    assert decode_hhmm(b"\xff\xff") is None  # as 99 00, the unused slot (test_bcd_helpers)
    for bad in ("2400", "2360"):
        with pytest.raises(DecodeError, match=rf"^invalid clock time {bad[:2]} {bad[2:]}$"):
            decode_hhmm(bytes.fromhex(bad))


# ---------------------------------------------------------------- the CRC table


def test_crc_table_entries_worked_by_hand() -> None:
    """The reflected 0xA001 table, entries worked by hand (8 right shifts each, XOR 0xA001 when
    the bit shifted out is 1):

    * [0]: nothing set -> 0x0000;
    * [128] = 0x80: 7 plain shifts to 0x01, then 0x01 -> 0 ^ 0xA001 = 0xA001;
    * [1]: 0x01 -> 0xA001 -> 0x5000^0xA001 = 0xF001 -> 0x7800^0xA001 = 0xD801 -> 0xCC01
      -> 0xC601 -> 0xC301 -> 0xC181 -> 0x60C0^0xA001 = 0xC0C1;
    * [2]: 0x02 -> 0x01 (plain) -> 0xA001 -> ... six XOR steps as above -> 0xC181;
    * [3] = [1] ^ [2] (the table is linear) = 0xC0C1 ^ 0xC181 = 0x0140;
    * [255] = XOR of the 8 single-bit entries = 0x4040 (the well-known last entry).

    The table is built once, at import, by the pure function ``crc._make_table``: that builder is
    the unit checked here (the one private name these tests use). From init 0 the CRC-16/ARC of
    the single octet i is entry i, so the last line ties the builder to the functions' table.
    """
    table = crc._make_table()
    assert len(table) == 256
    assert table[0] == 0x0000
    assert table[128] == 0xA001
    assert table[1:4] == (0xC0C1, 0xC181, 0x0140)
    assert table[255] == 0x4040
    assert table == tuple(crc16_arc(bytes((i,))) for i in range(256))


def test_crc_on_the_wire_is_low_byte_first() -> None:
    # notes §2.4: the ESP frame 14 00 .. 00 (64 octets) has CRC 0x0F05, sent as 05 0F
    assert crc16_arc(bytes([0x14]) + bytes(63)) == 0x0F05
    assert crc_bytes(0x0F05) == b"\x05\x0f"
    assert crc_from_wire(b"\x05\x0f") == 0x0F05
    assert crc16_modbus(b"") == 0xFFFF and crc16_arc(b"") == 0


# ---------------------------------------------------------------- frame builders and framers


@pytest.mark.parametrize(
    ("code", "valid"),
    [(0x01, True), (0x99, True), (0x00, False), (0x0A, False), (0xA0, False),
     (ENQ, False), (ACK, False), (WAIT, False), (NAK, False), (0x09, True), (0x90, True)],
)  # fmt: skip
def test_valid_codes_are_bcd_01_to_99_except_the_signals(code: int, valid: bool) -> None:
    assert is_valid_code(code) is valid


def test_command_body_pads_parameters_to_60_octets_and_checks_ranges() -> None:
    assert command_body(0x14, "123456", b"\x01") == bytes.fromhex("14 123456 01") + bytes(59)
    assert len(command_body(0x14, "000000", bytes(60))) == 64
    with pytest.raises(ValueError, match=r"^parameters too long: 61 > 60$"):
        command_body(0x14, "000000", bytes(61))
    for bad in (-1, 0x100):
        with pytest.raises(ValueError, match=rf"^command code out of range: {bad}$"):
            command_body(bad)
    assert command_body(0xFF)[0] == 0xFF and command_body(0)[0] == 0


def test_addressed_command_wraps_the_ordinary_one_and_parses_back() -> None:
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


def test_response_body_is_256_octets_and_the_frame_adds_its_crc() -> None:
    b = response_body(0x21, "32600760", b"\xab")
    assert b == bytes.fromhex("21 32600760 ab") + bytes(250)
    assert len(response_body(0x21, "32600760", bytes(251))) == 256
    with pytest.raises(ValueError, match=r"^response data too long: 252$"):
        response_body(0x21, "32600760", bytes(252))
    with pytest.raises(ValueError, match=r"^response body must be 256 octets, got 255$"):
        build_response(bytes(255))
    assert build_response(b)[:256] == b and crc16_arc(build_response(b)) == 0


def test_wrapped_command_carries_the_ack_in_octet_005() -> None:
    # 01 99 | 26 | 000000 | octet 005 = ack | ... | Modbus CRC
    req = build_wrapped_command(0x26, "000000", b"", 0)
    nxt = build_wrapped_command(0x26, "000000", b"", 1)
    rep = build_wrapped_command(0x26, "000000", b"\x07\x08", 2)
    assert req[:7] == bytes.fromhex("0199 26 000000 00")  # octet 005 (index 6) = 00
    assert nxt[6] == 0x01 and rep[6:8] == b"\x02\x08"  # the ack octet replaces params[0]
    assert build_wrapped_command(0x25, "000000", b"\x01", 0)[6] == 0x01  # no ack: kept
    # defaults: reader 000000, no parameters, request (00)
    assert build_wrapped_command(0x21)[:66] == bytes.fromhex("0199 21") + bytes(63)
    assert len(req) == 68 and crc16_modbus(req) == 0
    assert wrap(b"") == b"\x01\x99" + crc_bytes(crc16_modbus(b"\x01\x99"))


def test_frame_body_strips_prefix_and_crc_per_variant() -> None:
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


def test_command_framer_reads_66_and_71_octet_commands() -> None:
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
    assert ev.crc_computed == crc16_arc(bytes(bad[5:69]))


def test_wrapped_framer_has_no_signals() -> None:
    framer = wrapped_framer(68)
    cmd = build_wrapped_command(0x21)
    framer.feed(bytes((ENQ,)) + cmd)
    g, f = framer.events()
    assert g == Garbage(bytes((ENQ,)))  # no signal characters in this mode: ENQ is garbage
    assert isinstance(f, Frame) and f.ok and f.data == cmd
