"""CRC known answers, frame builders and the stream framer, against the shared test vectors."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest

from poller.protocol.bcd import (
    day_of_week,
    decode_datetime,
    decode_hhmm,
    encode_datetime,
    from_bcd,
    to_bcd,
)
from poller.protocol.crc import ARC_CHECK, MODBUS_CHECK, crc16_arc, crc16_modbus, crc_bytes
from poller.protocol.errors import DecodeError
from poller.protocol.framing import (
    ACK,
    ENQ,
    NEED_MORE,
    WAIT,
    Frame,
    Garbage,
    Signal,
    build_addressed_command,
    build_command,
    build_response,
    build_wrapped_command,
    command_framer,
    parse_command,
    response_framer,
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
