"""A DLMS/COSEM meter emulator of our own (tests, the demo fleet, the bench).

meter.py holds the meter (clock, load profile, event logs, registers, association rules) and
answers APDUs; server.py carries them over the IEC 62056-47 wrapper (TCP) or HDLC (TCP or a
pseudo-terminal) with fault injection; cosem.py is the emulator's own A-XDR and HDLC byte code.
Nothing here imports the client's decoders: a decoder bug cannot be mirrored by the emulator
that tests it (only the AES-GCM primitive of `cryptography` is shared).
"""

from .meter import Capture, DlmsMeter, DlmsMeterConfig
from .server import DlmsEmulator, DlmsFault

__all__ = ["Capture", "DlmsEmulator", "DlmsFault", "DlmsMeter", "DlmsMeterConfig"]
