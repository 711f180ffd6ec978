"""Open a DLMS meter: its transport (poller.connect.parse_transport), link layer and client. Here,
not in poller/connect.py, so the NBR 14522 connection module never imports the DLMS package."""

from __future__ import annotations

from typing import TYPE_CHECKING

from poller.connect import ConfigurationError, parse_transport
from poller.dlms.client import Credentials, DlmsClient
from poller.dlms.link import DlmsLink, HdlcLink, WrapperLink
from poller.protocol.transport import SerialTransport, TcpTransport, Transport

if TYPE_CHECKING:
    from poller.config import PollerConfig
    from poller.store import DlmsLinkSettings, MeterInfo


def open_dlms(
    meter: MeterInfo, link: DlmsLinkSettings, cred: Credentials, config: PollerConfig
) -> tuple[Transport, DlmsClient]:
    """Transport, link layer and client of a DLMS meter. ``tcp`` → IEC 62056-47 wrapper;
    ``hdlc`` (TCP pipe) and ``serial`` → HDLC. Raises ConfigurationError."""
    try:
        spec = parse_transport(meter.transport)
    except ConfigurationError as exc:
        raise ConfigurationError(f"meter {meter.serial}: {exc}") from None
    if spec.scheme == "wrapper":
        raise ConfigurationError(
            f"meter {meter.serial}: wrapper:// is NBR 14522's 01 99 wrapper; a DLMS meter is "
            "tcp://HOST:PORT (IEC 62056-47), hdlc://HOST:PORT or serial:///dev/DEVICE"
        )
    transport: Transport
    dlink: DlmsLink
    if spec.scheme == "serial":
        assert spec.device is not None
        transport = SerialTransport(spec.device, baudrate=spec.baud)
        dlink = HdlcLink(
            transport,
            link.client_sap,
            link.server_logical,
            link.server_physical,
            config.dlms_serial_timers,
        )
    else:
        assert spec.host is not None and spec.port is not None
        transport = TcpTransport(spec.host, spec.port)
        if spec.scheme == "hdlc":
            dlink = HdlcLink(
                transport,
                link.client_sap,
                link.server_logical,
                link.server_physical,
                config.dlms_tcp_timers,
            )
        else:
            dlink = WrapperLink(
                transport, link.client_sap, link.server_logical, config.dlms_tcp_timers
            )
    return transport, DlmsClient(dlink, cred)
