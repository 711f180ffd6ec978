"""Child of ``bench/poll.py --only-cpu``: polls an emulated fleet (served by the parent) with the
poller of the source tree ROOT (this checkout, or a baseline revision unpacked by the parent)
into a fresh database, two rounds, and prints one JSON line per round. Between rounds it waits
for a line on stdin (the parent moves the fleet's clock one day on).

Usage: python bench/poll_cpu_child.py ROOT DATABASE_URL REGISTRY_JSON_FILE
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import UTC, datetime, timedelta


def main() -> None:
    root, url, registry_file = sys.argv[1:4]
    sys.path.insert(0, root)
    from db import driver, migrate
    from db.settings import load
    from poller import store
    from poller.emulator import FixedClock
    from poller.protocol.link import LinkTimers
    from poller.service import Poller, PollerConfig

    with open(registry_file) as f:
        params = json.load(f)
    settings = load()  # SMF_DATABASE_URL, set by the parent, names the fresh database
    assert settings.url == url, (settings.url, url)
    migrate.upgrade(settings)
    store.register_meters(url, params)
    per_day = [1440 // p["interval_minutes"] for p in params]
    clock = FixedClock(datetime(2024, 3, 8, 15, 2, 31, tzinfo=UTC))
    cfg = PollerConfig(max_connections=16, tcp_timers=LinkTimers(20.0, 10.0, 2.0), clock=clock)
    poller = Poller(url, cfg)

    async def rounds() -> None:
        for rnd in (1, 2):
            cpu0, loop0, t0 = time.process_time(), time.thread_time(), time.perf_counter()
            results = await poller.poll_once(due_only=False)
            wall = time.perf_counter() - t0
            cpu, loop_cpu = time.process_time() - cpu0, time.thread_time() - loop0
            pairs = list(zip(results, per_day, strict=True))
            out = {
                "round": rnd,
                "ok": sum(r.ok and r.committed for r in results),
                "days_read": sum(r.intervals_read / d for r, d in pairs),
                "days_stored": sum(r.intervals_stored / d for r, d in pairs),
                "wall": wall,
                "cpu": cpu,
                "loop_cpu": loop_cpu,
            }
            print(json.dumps(out), flush=True)
            if rnd == 1:
                sys.stdin.readline()
                clock.advance(timedelta(days=1))

    asyncio.run(rounds())
    driver.dispose_all()


if __name__ == "__main__":
    main()
