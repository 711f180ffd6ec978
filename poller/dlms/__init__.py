"""DLMS/COSEM (IEC 62056) client, written for this project (no third-party DLMS code).

Layers, as for NBR 14522 (poller/protocol): the byte pipes of poller/protocol/transport.py →
framing (hdlc.py: HDLC frames with HCS/FCS, found by their length field; wrapper.py: the
IEC 62056-47 TCP wrapper) → link.py (the only layer that re-sends: timeouts, lost frames,
HDLC sequence numbers) → apdu.py (AARQ/AARE, GET/SET/ACTION, block transfer, selective access)
and axdr.py (A-XDR data) → security.py (HLS-GMAC, AES-GCM) → client.py (association and the
COSEM reads the poller needs, returning typed values). Errors are those of
poller/protocol/errors.py, so the service's retry policy (by who detected the error) applies.
"""
