"""The suite's leak check (tests/conftest.py `_no_leaked_resources`) blames the test that leaked.

A socket left open inside a reference cycle is freed only by a later garbage collection; before
the check, the ResourceWarning it raises (an error in this suite) failed whichever test ran
then. Here a pytest run of two tests, the first leaking such a socket and the second innocent,
must fail the first (naming the socket) and pass the second.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from db.settings import REPO_ROOT

LEAKY = """
import socket


class Holder:
    def __init__(self):
        self.me = self  # a cycle: only the cyclic collector frees it
        self.sock = socket.socket()


def test_a_leaks_a_socket_in_a_cycle():
    Holder()


def test_b_is_innocent():
    assert True
"""

CLEAN = """
import socket


def test_closes_its_socket():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
"""


def _run(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_probe.py").write_text(body)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "tests.conftest",
            "-p",
            "no:cacheprovider",
            "-W",
            "error",
            "-p",
            "no:randomly",
            str(tmp_path / "test_probe.py"),
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_the_leaking_test_fails_and_the_next_one_passes(tmp_path: Path) -> None:
    r = _run(tmp_path, LEAKY)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "2 passed, 1 error" in out, out  # test_b passes; test_a errs at teardown
    assert "ERROR at teardown of test_a_leaks_a_socket_in_a_cycle" in out, out
    assert "test_probe.py::test_a_leaks_a_socket_in_a_cycle left resources open" in out, out
    assert "unclosed <socket.socket" in out, out


@pytest.mark.slow
def test_a_test_that_closes_what_it_opens_passes(tmp_path: Path) -> None:
    r = _run(tmp_path, CLEAN)
    assert r.returncode == 0, r.stdout + r.stderr
