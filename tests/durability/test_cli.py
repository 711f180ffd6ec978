"""The durability verbs refuse what they cannot do with a message that says what to do, and
touch nothing (separate processes, as a user runs them)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from db.settings import REPO_ROOT


def smf(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smf.cli", *argv],
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ha_needs_an_action_and_an_existing_formation(tmp_path: Path) -> None:
    bare = smf("db", "ha")
    assert bare.returncode == 2 and "init, status, failover, stop, start, url" in bare.stderr
    missing = smf("db", "ha", "status", "--dir", str(tmp_path / "none"))
    assert missing.returncode == 1 and "no formation in" in missing.stderr
    assert "smf db ha init" in missing.stderr
    assert not (tmp_path / "none").exists()


def test_restore_needs_a_target_time() -> None:
    proc = smf("db", "restore")
    assert proc.returncode == 2 and "--to TIMESTAMP" in proc.stderr and "--to latest" in proc.stderr


def test_backup_kinds_are_exclusive() -> None:
    proc = smf("db", "backup", "--full", "--diff")
    assert proc.returncode == 2 and "not allowed with argument" in proc.stderr


def test_backups_refuse_an_external_server() -> None:
    proc = smf("db", "backups", env={"SMF_DATABASE_URL": "postgresql://smf@127.0.0.1:1/smf"})
    assert proc.returncode == 1
    assert "SMF_DATABASE_URL points at another server" in proc.stderr
    assert "docs/operations.md" in proc.stderr
