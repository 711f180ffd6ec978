"""Payload codecs by command code: pure functions from a 256-octet response body to typed
dataclasses and back, and request-parameter encoders. See each module for its layout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .events import decode_alteration_log, decode_outages
from .instant import decode_instantaneous
from .massmem import decode_mass_memory_block
from .measurement import decode_measurement_parameters
from .params import decode_parameters
from .registers import decode_registers

#: Response decoders by response code (octet 001).
RESPONSE_DECODERS: dict[int, Callable[[bytes], Any]] = {
    0x14: decode_instantaneous,
    0x20: decode_parameters,
    0x21: decode_parameters,
    0x22: decode_parameters,
    0x51: decode_parameters,
    0x23: decode_registers,
    0x24: decode_registers,
    0x25: decode_outages,
    0x26: decode_mass_memory_block,
    0x27: decode_mass_memory_block,
    0x52: decode_mass_memory_block,
    0x28: decode_alteration_log,
    0x80: decode_measurement_parameters,
}


def decode_response(body: bytes) -> Any:
    """Decode a response body with the decoder registered for its code."""
    from ..errors import DecodeError

    decoder = RESPONSE_DECODERS.get(body[0]) if body else None
    if decoder is None:
        raise DecodeError(f"no decoder for response code 0x{body[0]:02X}" if body else "empty")
    return decoder(body)
