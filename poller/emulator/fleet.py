"""N emulated meters on consecutive localhost ports (for load tests, benches and a future CLI)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from .meter import Clock, EmulatedMeter, MeterConfig, system_clock
from .server import LinkBehaviour, MeterEmulator


@dataclass(slots=True)
class Fleet:
    host: str
    emulators: list[MeterEmulator] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)

    @property
    def serials(self) -> list[str]:
        return [e.meter.serial for e in self.emulators]

    async def close(self) -> None:
        for emu in self.emulators:
            await emu.close()

    async def __aenter__(self) -> Fleet:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def run_fleet(
    n: int,
    base_port: int = 0,
    *,
    host: str = "127.0.0.1",
    base_serial: int = 10_000_000,
    config: MeterConfig | None = None,
    config_for: Callable[[int, str], MeterConfig] | None = None,
    behaviour: LinkBehaviour | None = None,
    clock: Clock = system_clock,
) -> Fleet:
    """Start ``n`` meters, serials ``base_serial + i``, on ``base_port + i`` (base_port 0: any
    free ports). Meter i gets ``config_for(i, serial)``, or else ``config`` with its serial."""
    fleet = Fleet(host)
    template = config or MeterConfig()
    try:
        for i in range(n):
            serial = f"{base_serial + i:08d}"
            cfg = config_for(i, serial) if config_for else replace(template, serial=serial)
            emu = MeterEmulator(EmulatedMeter(cfg, clock), behaviour)
            port = await emu.start_tcp(host, base_port + i if base_port else 0)
            fleet.emulators.append(emu)
            fleet.ports.append(port)
    except BaseException:
        await fleet.close()
        raise
    return fleet
