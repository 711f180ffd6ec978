"""Connecting to a meter: the transport URL of a registry row → transport + link layer.

URL forms (smf.meter.transport):

* ``tcp://HOST:PORT``: a transparent TCP pipe (GPRS modem, serial server) speaking the
  conventional ENQ/ACK session;
* ``wrapper://HOST:PORT``: the "01 99" TCP wrapper (Landis+Gyr interface, Modbus CRC);
* ``serial:///dev/ttyUSB0?baud=9600``: a local serial port or optical head (pyserial); baud
  defaults to 9600.

DLMS/COSEM meters (protocol ``dlms``): ``tcp://HOST:4059`` speaks the IEC 62056-47 wrapper,
``hdlc://HOST:PORT`` HDLC through a transparent TCP pipe (a GPRS modem or serial server), and
``serial://...`` HDLC on a serial port or optical head (poller/dlms/open.py `open_dlms`).

:func:`parse_transport` validates a URL without opening anything (``smf meter add`` uses it);
:func:`open_link` builds the layers for a session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from poller.protocol.link import Link, LinkLimits, LinkTimers, WrappedLink
from poller.protocol.transport import SerialTransport, TcpTransport, Transport

if TYPE_CHECKING:
    from poller.store import MeterInfo

SCHEMES = ("tcp", "wrapper", "serial", "hdlc")
BAUDS = (300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)


class ConfigurationError(Exception):
    """A registry row the poller cannot use (bad transport URL)."""


@dataclass(frozen=True, slots=True)
class TransportSpec:
    scheme: str
    host: str | None = None
    port: int | None = None
    device: str | None = None
    baud: int = 9600


def parse_transport(url: str) -> TransportSpec:
    """Validate a transport URL. Raises ConfigurationError with what is wrong and the forms."""
    forms = (
        "tcp://HOST:PORT, wrapper://HOST:PORT, hdlc://HOST:PORT or serial:///dev/DEVICE?baud=9600"
    )
    if not url or "://" not in url:
        raise ConfigurationError(f"transport {url!r} is not a URL (expected {forms})")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ConfigurationError(
            f"unknown transport scheme {parts.scheme!r} in {url!r} (expected {forms})"
        )
    if scheme in ("tcp", "wrapper", "hdlc"):
        try:
            port = parts.port
        except ValueError:
            raise ConfigurationError(f"transport {url!r}: the port must be 1-65535") from None
        if not parts.hostname or port is None or not 0 < port < 65536:
            raise ConfigurationError(
                f"transport {url!r} needs a host and a port (expected {forms})"
            )
        if parts.path not in ("", "/") or parts.query:
            raise ConfigurationError(f"transport {url!r}: unexpected path or query after the port")
        return TransportSpec(scheme, host=parts.hostname, port=port)
    if parts.netloc or not parts.path.startswith("/") or parts.path == "/":
        raise ConfigurationError(
            f"transport {url!r}: a serial port is written serial:///dev/DEVICE (three slashes)"
        )
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = set(query) - {"baud"}
    if unknown:
        raise ConfigurationError(
            f"transport {url!r}: unknown option(s) {', '.join(sorted(unknown))}"
        )
    baud_text = query.get("baud", ["9600"])[-1]
    if not baud_text.isdigit() or int(baud_text) not in BAUDS:
        raise ConfigurationError(
            f"transport {url!r}: baud must be one of {', '.join(map(str, BAUDS))}"
        )
    return TransportSpec(scheme, device=parts.path, baud=int(baud_text))


def open_link(
    meter: MeterInfo,
    tcp_timers: LinkTimers,
    serial_timers: LinkTimers,
    limits: LinkLimits,
    reader_serial: str,
) -> tuple[Transport, Link | WrappedLink]:
    """Transport and link layer for ``meter.transport``. Raises ConfigurationError."""
    try:
        spec = parse_transport(meter.transport)
    except ConfigurationError as exc:
        raise ConfigurationError(f"meter {meter.serial}: {exc}") from None
    transport: Transport
    if spec.scheme == "serial":
        assert spec.device is not None
        transport = SerialTransport(spec.device, baudrate=spec.baud)
        timers = serial_timers
    else:
        assert spec.host is not None and spec.port is not None
        transport = TcpTransport(spec.host, spec.port)
        timers = tcp_timers
    if spec.scheme == "wrapper" or meter.protocol == "nbr14522_wrapper":
        return transport, WrappedLink(transport, timers, limits, reader_serial)
    addressed = meter.protocol == "nbr14522_addressed"
    link = Link(
        transport,
        timers,
        limits,
        reader_serial,
        meter_serial=meter.serial if addressed else None,
        addressed=addressed,
    )
    return transport, link
