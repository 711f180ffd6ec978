"""`smf serve --workers` / SMF_API_WORKERS (issue 21 item 1): a whole number of processes >= 1,
one per core when unset; anything else is refused before a server or a cluster starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.config import load_config, parse_workers


def test_workers_default_to_one_per_core_and_take_a_whole_number() -> None:
    assert parse_workers("") == max(1, os.cpu_count() or 1)
    assert parse_workers("  ") == max(1, os.cpu_count() or 1)
    assert parse_workers("3") == 3
    assert load_config({"SMF_API_WORKERS": "2"}).workers == 2
    assert load_config({}).workers == max(1, os.cpu_count() or 1)


@pytest.mark.parametrize("bad", ["0", "-1", "two", "1.5"])
def test_a_bad_worker_count_names_itself(bad: str) -> None:
    with pytest.raises(ValueError, match=f"SMF_API_WORKERS: '{bad}' is not a whole number"):
        parse_workers(bad)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("argv", "env"), [(["--workers", "0"], {}), ([], {"SMF_API_WORKERS": "many"})]
)
def test_smf_serve_refuses_a_bad_worker_count_before_starting(
    argv: list[str], env: dict[str, str]
) -> None:
    # no database is needed: the count is checked first (an unused port, in case it were not)
    run = subprocess.run(
        [sys.executable, "-m", "smf.cli", "serve", *argv],
        env={**os.environ, "SMF_PG_PORT": "1", **env},
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2, run.stderr
    assert "is not a whole number of processes >= 1" in run.stderr
    assert "Traceback" not in run.stderr
