"""The demo month goes to CCEE: our emulator on loopback (credentials made up for this run,
kept in memory only), the demo UCs put in the retail model, every UC-day of the month submitted
through the real sender and client, then the deadline board."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from ccee import emulator, sender
from ccee.client import CceeClient
from db import driver
from db.settings import CceeSettings, Secret


def run(month: date, uc_codes: list[str]) -> int:
    from smf.ccee import board, print_board

    first = month.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    with driver.connect() as conn:
        for code in uc_codes:
            driver.run(conn, "ccee_register_retail", uc_code=code, first=first)
        ucs = driver.run(conn, "ccee_emulator_ucs")
    secret = secrets.token_urlsafe(16)
    state = emulator.State(clients={"smf-demo": secret})
    for u in ucs:
        state.ucs[u["uc"]] = emulator.Uc(u["agent"], u["musd_kw"])
    emu = emulator.start(state)
    cfg = CceeSettings(
        base_url=emu.url,
        client_id="smf-demo",
        client_secret=Secret(secret),
        agent_code=str(ucs[0]["agent"]),
        profile_code="1",
        rate_per_s=0,
        concurrency=4,
    )
    try:
        sender.enqueue(None, first, last)
        with driver.connect() as conn:
            pairs = [
                (r["uc_code"], r["day"])
                for r in driver.run(conn, "ccee_month_uc_days", month=first, uc_code=None)
            ]
        with sender.Sender(None, CceeClient(cfg), cfg) as s:
            rep = s.send_days(pairs)
    finally:
        emu.stop()
    held = ", ".join(f"{k} {v}" for k, v in sorted(rep.held_reasons.items()))
    print(f"\nCCEE: the demo month {first:%Y-%m} submitted to our CCEE emulator ({emu.url}):")
    print(
        f"  {len(pairs)} UC-days to send: accepted {rep.accepted}, rejected {rep.rejected}, "
        f"failed {rep.failed}, held {rep.held}{f' ({held})' if held else ''}, unchanged "
        f"{rep.unchanged}; {state.stats()['accepted']} POSTs accepted by the emulator"
    )
    print()
    print_board(board(first), first)
    print(
        "\nNext: .venv/bin/smf ccee status --month "
        f"{first:%Y-%m}; .venv/bin/smf ccee submit --uc {uc_codes[-1]} --day {first} --dry-run"
    )
    return 0
