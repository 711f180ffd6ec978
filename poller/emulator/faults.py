"""Fault injection for the emulator: what goes wrong, on which command and block, how often."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class FaultKind(Enum):
    CORRUPT_CRC = "corrupt_crc"  # flip the last CRC octet of a response block
    DROP_BYTE = "drop_byte"  # lose one octet in the middle of a block
    EXTRA_BYTE = "extra_byte"  # insert one octet in the middle of a block
    GARBAGE = "garbage"  # send stray bytes before a block
    WAIT = "wait"  # answer WAIT instead of the response
    NAK_COMMAND = "nak_command"  # answer NAK as if the command's CRC were bad
    SILENCE = "silence"  # ignore the command altogether
    DISCONNECT = "disconnect"  # close the connection instead of sending a block
    CHANGE_SERIAL = "change_serial"  # answer with another meter serial
    OCCURRENCE = "occurrence"  # answer 0x40 (ocorrência no medidor)
    IGNORE_ACK = "ignore_ack"  # act as if the reader's ACK was lost (meter sends ENQ)
    NOT_IMPLEMENTED = "not_implemented"  # answer 0x39 (command not implemented)
    IGNORE_NAK = "ignore_nak"  # act as if the reader's NAK was lost (meter sends ENQ)
    REPEAT_BLOCK = "repeat_block"  # re-send the previous block after an ACK
    SKIP_BLOCK = "skip_block"  # jump over a block number


@dataclass(slots=True)
class Fault:
    """Fires ``count`` times on ``code`` (None = any) at block ``block`` (None = any; simple
    responses are block 1)."""

    kind: FaultKind
    code: int | None = None
    block: int | None = None
    count: int = 1
    fired: int = 0


@dataclass(slots=True)
class FaultPlan:
    faults: list[Fault] = field(default_factory=list)

    def add(self, kind: FaultKind, code: int | None = None, block: int | None = None,
            count: int = 1) -> Fault:  # fmt: skip
        fault = Fault(kind, code, block, count)
        self.faults.append(fault)
        return fault

    def take(self, kind: FaultKind, code: int, block: int = 1) -> bool:
        """True (and consume one firing) if a matching fault is armed."""
        for f in self.faults:
            if (
                f.kind is kind
                and f.fired < f.count
                and (f.code is None or f.code == code)
                and (f.block is None or f.block == block)
            ):
                f.fired += 1
                return True
        return False


def mangle(frame: bytes, plan: FaultPlan, code: int, block: int) -> bytes:
    """Apply the byte-level faults armed for this block to an outgoing frame."""
    if plan.take(FaultKind.CORRUPT_CRC, code, block):
        frame = frame[:-1] + bytes((frame[-1] ^ 0x5A,))
    mid = len(frame) // 2
    if plan.take(FaultKind.DROP_BYTE, code, block):
        frame = frame[:mid] + frame[mid + 1 :]
    if plan.take(FaultKind.EXTRA_BYTE, code, block):
        frame = frame[:mid] + b"\x00" + frame[mid:]
    if plan.take(FaultKind.GARBAGE, code, block):
        frame = b"\xaa\xbb" + frame
    return frame
