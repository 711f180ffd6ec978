"""Fleet demo: an emulated fleet (3/12 channels, 5/15 minutes) on free localhost ports is
registered in smf.meter and polled once, every meter through the real protocol over TCP into the
database; prints what was read and stops the fleet. Re-running it stores nothing twice.
"""

from __future__ import annotations

import asyncio
import time

from poller import emulated, store
from poller.service import Poller, PollerConfig


async def _run(meters: int) -> int:
    t0 = time.perf_counter()
    fleet = await emulated.start_fleet(meters, base_serial=30_000_000)
    try:
        await asyncio.to_thread(
            store.register_meters, None, emulated.fleet_registry_params(fleet, "15min")
        )
        registry = {m.serial: m for m, _ in await asyncio.to_thread(store.load_registry, None)}
        targets = [registry[s] for s in fleet.serials]
        results = await Poller(config=PollerConfig(max_connections=64)).poll_once(targets)
    finally:
        await fleet.close()
    ok = [r for r in results if r.ok and r.committed]
    failed = [r for r in results if not (r.ok and r.committed)]
    print(f"fleet demo: {len(ok)}/{len(results)} meters read, "
          f"{sum(r.intervals_read for r in ok)} intervals read, "
          f"{sum(r.intervals_stored for r in ok)} new intervals stored, "
          f"{len(failed)} failure(s), {time.perf_counter() - t0:.1f} s")  # fmt: skip
    for r in failed:
        print(f"  {r.serial}: {r.outcome}: {r.error}")
    return 1 if failed else 0


def run(meters: int = 50) -> int:
    """Start, register and poll ``meters`` emulated meters once; 0 when every read committed.
    Needs a migrated database (call db.local.ensure_database() first)."""
    return asyncio.run(_run(meters))
