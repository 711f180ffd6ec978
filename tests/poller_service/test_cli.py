"""The poller's verbs end to end, as an operator runs them: `smf emulate --register` in one
process, `smf read`, `smf poll --once` and `smf export` in others, against a test database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from db.settings import REPO_ROOT, Settings

from .conftest import q


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_emulate_read_poll_export(db_settings: Settings, tmp_path: Path) -> None:
    env = {**os.environ, "SMF_DATABASE_URL": db_settings.url}

    def smf(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "smf.cli", *argv], env=env, cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    port = _free_port()
    with subprocess.Popen(
        [sys.executable, "-m", "smf.cli", "emulate", "--meters", "2", "--base-port", str(port),
         "--base-serial", "41000000", "--register"],
        env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    ) as emulator:  # fmt: skip
        try:
            assert emulator.stdout is not None
            first = emulator.stdout.readline()  # printed once the meters listen and are registered
            assert first.startswith(f"41000000 tcp://127.0.0.1:{port} "), first
            read = smf("read", "41000000")
            assert read.returncode == 0, read.stderr
            assert read.stdout.startswith("41000000: ok"), read.stdout
            unknown = smf("read", "99999999")
            assert unknown.returncode == 1 and "99999999" in unknown.stderr
            poll = smf("poll", "--once", "--all")
            assert poll.returncode == 0, poll.stderr
            assert "2 meter(s) polled, 0 failed" in poll.stdout
        finally:
            emulator.send_signal(signal.SIGTERM)
            emulator.wait(timeout=30)
    assert emulator.returncode == 0
    assert q(db_settings, "select count(distinct meter_id) from smf.poll_attempt") == [(2,)]
    month = (datetime.now(UTC) - timedelta(hours=3)).strftime("%Y-%m")  # the meters' local month
    out = tmp_path / "export.bin"
    export = smf("export", "41000000", "--month", month, str(out))
    assert export.returncode == 0, export.stderr
    assert out.stat().st_size % 256 == 0 and out.stat().st_size > 0
