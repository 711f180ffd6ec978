"""Emulated fleets wired to the registry: mixed meter types on localhost ports, and the
smf.meter rows (channel map, constants, interval, transport) that match each emulated meter.

Used by ``smf emulate``, the fleet demo job, the bench and the service tests.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from poller.emulator import EmulatedMeter, LinkBehaviour, MeterConfig
from poller.emulator.fleet import Fleet, run_fleet
from poller.emulator.load import default_constant
from poller.emulator.meter import Clock, system_clock
from poller.protocol.codec.quantities import DEFAULT_QUANTITY_MAP

#: Emulator link timers for fleets: prompt ENQs so a read is not dominated by idle waits.
FAST_FLEET = LinkBehaviour(enq_interval=0.02, response_timeout=0.5, inter_char_timeout=0.1)


def mixed_config(i: int, serial: str) -> MeterConfig:
    """Meter ``i`` of a mixed fleet: 3 or 12 channels and 5 or 15 minutes, in turn."""
    return MeterConfig(
        serial=serial, channels=12 if i % 2 else 3, interval_min=15 if (i // 2) % 2 else 5
    )


def registry_params(
    meter: EmulatedMeter, transport: str, poll_schedule: str = "15min"
) -> dict[str, Any]:
    """Parameters of the ``poll_upsert_emulated_meter`` query for one emulated meter."""
    cfg = meter.config
    codes = [c for group in meter.groups for c in group]
    constants = []
    for c in codes:
        k = default_constant(c, cfg.interval_min, cfg.bcd)
        constants.append(Decimal(k.numerator) / Decimal(k.denominator))
    return {
        "serial": meter.serial,
        "model": cfg.model,
        "protocol": "nbr14522",
        "interval_minutes": cfg.interval_min,
        "channel_map": [DEFAULT_QUANTITY_MAP[c][0] for c in codes],
        "channel_constants": constants,
        "utc_offset_minutes": int(cfg.utc_offset.total_seconds() // 60),
        "transport": transport,
        "poll_schedule": poll_schedule,
    }


async def start_fleet(
    n: int,
    base_port: int = 0,
    *,
    host: str = "127.0.0.1",
    base_serial: int = 20_000_000,
    mixed: bool = True,
    config: MeterConfig | None = None,
    behaviour: LinkBehaviour = FAST_FLEET,
    clock: Clock = system_clock,
) -> Fleet:
    """Start ``n`` emulated meters on ``base_port + i`` (0: free ports), serials
    ``base_serial + i``; mixed types (see :func:`mixed_config`) unless ``config`` is given."""

    def config_for(i: int, serial: str) -> MeterConfig:
        if config:
            return replace(config, serial=serial)
        return mixed_config(i, serial) if mixed else MeterConfig(serial=serial)

    return await run_fleet(n, base_port, host=host, base_serial=base_serial,
                           config_for=config_for, behaviour=behaviour, clock=clock)  # fmt: skip


def fleet_registry_params(fleet: Fleet, poll_schedule: str = "15min") -> list[dict[str, Any]]:
    return [
        registry_params(e.meter, f"tcp://{fleet.host}:{port}", poll_schedule)
        for e, port in zip(fleet.emulators, fleet.ports, strict=True)
    ]


# --- DLMS ------------------------------------------------------------------------------------
#: DLMS fleet member i: transport (wrapper / HDLC over TCP) and authentication, in turn
DLMS_MIX = (("wrapper", "none"), ("hdlc", "lls"), ("wrapper", "hls_gmac"), ("hdlc", "none"))
DEMO_AK = bytes(range(16))  # emulator keys (demo and tests only)
DEMO_EK = bytes(range(16, 32))


async def start_dlms_fleet(
    n: int,
    *,
    host: str = "127.0.0.1",
    base_serial: int = 1,
    clock: Clock = system_clock,
    interval_min: int = 15,
    profile_days: int = 3,
) -> list[tuple[Any, int, str]]:
    """``n`` emulated DLMS meters (serials DLMS000001 ...), mixed transports and
    authentication (DLMS_MIX); returns (emulator, port, scheme) each."""
    from poller.emulator.dlms import DlmsEmulator, DlmsMeter, DlmsMeterConfig

    out: list[tuple[Any, int, str]] = []
    try:
        for i in range(n):
            mode, auth = DLMS_MIX[i % len(DLMS_MIX)]
            cfg = DlmsMeterConfig(
                serial=f"DLMS{base_serial + i:06d}",
                interval_min=interval_min,
                auth=auth,
                password=b"demo-lls" if auth == "lls" else b"",
                authentication_key=DEMO_AK,
                encryption_key=DEMO_EK,
                profile_days=profile_days,
            )
            emu = DlmsEmulator(DlmsMeter(cfg, clock), mode)
            port = await emu.start_tcp(host, 0)
            out.append((emu, port, "tcp" if mode == "wrapper" else "hdlc"))
    except BaseException:
        for emu, _, _ in out:
            await emu.close()
        raise
    return out


def register_dlms_fleet(
    settings: Any,
    fleet: list[tuple[Any, int, str]],
    host: str = "127.0.0.1",
    poll_schedule: str = "15min",
) -> None:
    """Register (or re-point) every DLMS emulator of ``fleet`` in smf.meter / smf.dlms_meter."""
    from poller import registry

    for emu, port, scheme in fleet:
        cfg = emu.meter.config
        opts = registry.DlmsOptions(
            auth=cfg.auth,
            password=cfg.password,
            authentication_key=cfg.authentication_key,
            encryption_key=cfg.encryption_key,
        )
        url = f"{scheme}://{host}:{port}"
        try:
            registry.add_dlms(
                settings,
                cfg.serial,
                url,
                opts,
                interval_minutes=cfg.interval_min,
                utc_offset_minutes=int(cfg.utc_offset.total_seconds() // 60),
                poll_schedule=poll_schedule,
            )
        except registry.RegistryError:  # registered by an earlier run: new port
            registry.set_fields(settings, cfg.serial, registry.Changes(transport=url))
