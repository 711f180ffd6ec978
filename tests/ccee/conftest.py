"""Fixtures: our CCEE emulator on loopback (a real HTTP server) and client settings for it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from ccee import emulator
from db.settings import CceeSettings, Secret

CLIENT_ID = "smf-test"
CLIENT_SECRET = "s3cr3t-never-logged"


@pytest.fixture
def emu() -> Iterator[emulator.Running]:
    state = emulator.State(clients={CLIENT_ID: CLIENT_SECRET})
    running = emulator.start(state)
    yield running
    running.stop()


@pytest.fixture
def ccee_settings(emu: emulator.Running) -> CceeSettings:
    return replace(
        CceeSettings(),
        base_url=emu.url,
        client_id=CLIENT_ID,
        client_secret=Secret(CLIENT_SECRET),
        agent_code="7391",
        profile_code="42",
        timeout_s=2.0,
        retries=3,
        backoff_s=0.01,
        rate_per_s=0,
        concurrency=2,
    )
