"""Fleet demo: a mixed emulated fleet on free localhost ports, NBR 14522 meters (3/12 channels,
5/15 minutes) and DLMS/COSEM meters (IEC 62056-47 wrapper and HDLC over TCP; no, LLS and
HLS-GMAC authentication), is registered and polled once, every meter through its real protocol
into the database; prints what was read per protocol, with completeness, and stops the fleet.
Re-running it stores nothing twice.
"""

from __future__ import annotations

import asyncio
import time

from poller import emulated, store
from poller.service import Poller, PollerConfig


async def _run(meters: int, dlms_meters: int = 8) -> int:
    t0 = time.perf_counter()
    fleet = await emulated.start_fleet(meters, base_serial=30_000_000)
    dlms = await emulated.start_dlms_fleet(dlms_meters, base_serial=300_001, profile_days=1)
    try:
        await asyncio.to_thread(
            store.register_meters, None, emulated.fleet_registry_params(fleet, "15min")
        )
        await asyncio.to_thread(emulated.register_dlms_fleet, None, dlms)
        registry = {m.serial: m for m, _ in await asyncio.to_thread(store.load_registry, None)}
        dlms_serials = [emu.meter.serial for emu, _, _ in dlms]
        targets = [registry[s] for s in [*fleet.serials, *dlms_serials]]
        results = await Poller(config=PollerConfig(max_connections=64)).poll_once(targets)
    finally:
        await fleet.close()
        for emu, _, _ in dlms:
            await emu.close()
    ok = [r for r in results if r.ok and r.committed]
    failed = [r for r in results if not (r.ok and r.committed)]
    print(f"fleet demo: {len(ok)}/{len(results)} meters read, "
          f"{sum(r.intervals_read for r in ok)} intervals read, "
          f"{sum(r.intervals_stored for r in ok)} new intervals stored, "
          f"{len(failed)} failure(s), {time.perf_counter() - t0:.1f} s")  # fmt: skip
    for proto, serials in (("NBR 14522", set(fleet.serials)), ("DLMS/COSEM", set(dlms_serials))):
        mine = [r for r in results if r.serial in serials]
        good = [r for r in mine if r.ok and r.committed]
        gaps = sum(r.events.count("gap") for r in mine)  # intervals still missing after the read
        print(
            f"  {proto}: {len(good)}/{len(mine)} meters read "
            f"({100.0 * len(good) / max(1, len(mine)):.0f} %), "
            f"{sum(r.intervals_read for r in good)} intervals read, {gaps} gap(s) left"
        )
    for r in failed:
        print(f"  {r.serial}: {r.outcome}: {r.error}")
    return 1 if failed else 0


def run(meters: int = 50, dlms_meters: int = 8) -> int:
    """Start, register and poll ``meters`` NBR 14522 and ``dlms_meters`` DLMS emulated meters
    once; 0 when every read committed. Needs a migrated database (db.local.ensure_database())."""
    return asyncio.run(_run(meters, dlms_meters))
