"""scripts/check_licences.py reads the licence FILES: a wheel whose metadata says MIT but whose
LICENSE is the Business Source License (as dlms-cosem 25.x) is refused; an MIT one passes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def fake_dist(site: Path, name: str, licence_text: str) -> None:
    info = site / f"{name}-25.1.0.dist-info"
    (info / "licenses").mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.4\nName: {name}\nVersion: 25.1.0\nLicense: MIT\n"
        "License-File: LICENSE\n"
    )
    (info / "licenses" / "LICENSE").write_text(licence_text)


def run(site: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(site))
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts/check_licences.py")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_bsl_licence_file_is_refused_whatever_the_metadata_says(tmp_path: Path) -> None:
    fake_dist(
        tmp_path,
        "fakemeterlib",
        "Business Source License 1.1\n\nLicensor: X\nAdditional Use Grant: no Competing Use\n",
    )
    out = run(tmp_path)
    assert out.returncode == 1
    assert "refused: fakemeterlib 25.1.0" in out.stderr and "Business Source License" in out.stderr


def test_an_mit_licence_file_passes(tmp_path: Path) -> None:
    fake_dist(tmp_path, "fakeokay", "MIT License\n\nPermission is hereby granted, free of charge")
    out = run(tmp_path)
    assert out.returncode == 0, out.stderr
    assert "none refused" in out.stdout
