"""Job failure handling as an operator meets it through `smf jobs trigger|list`: a job that
cannot run says why in one line, its run is recorded as an error with the message (never a
secret), an unknown job name lists the real ones, and `smf jobs list` shows the last outcome."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from db.settings import REPO_ROOT, Settings
from jobs import pld_import, scheduler
from smf import cli

NAMES = (
    "vee_daily, ccee_send, ccee_retry, ccee_readback, ccee_deadline, pld_import, alarm_webhook, "
    "uc_figures, storage_seal, parquet_export, backup"
)


def _runs(url: str, job: str) -> list[tuple]:
    with psycopg.connect(url) as c:
        return c.execute(
            "select outcome, counts, error from smf.job_run where job = %s order by id", (job,)
        ).fetchall()


def smf(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = cli.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_unknown_job_lists_the_real_ones(
    job_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert [s.name for s in scheduler.specs()] == NAMES.split(", ")
    assert smf(capsys, "jobs", "trigger", "ccee_sned") == (
        2,
        "",
        f"error: no job named 'ccee_sned' (jobs: {NAMES})\n",
    )
    with psycopg.connect(job_env.url) as c:
        assert c.execute("select count(*) from smf.job_run").fetchone() == (0,)


@pytest.mark.slow
def test_a_job_without_its_settings_fails_in_one_line_and_is_recorded(
    job_env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "s3cr3t-never-logged"  # the fixture's client secret (tests/ccee/conftest.py)
    monkeypatch.delenv("SMF_CCEE_PROFILE_CODE")
    missing = "CCEE settings: not set: SMF_CCEE_PROFILE_CODE (README: CCEE, settings)"
    rc, out, err = smf(capsys, "jobs", "trigger", "ccee_readback")
    assert (rc, out) == (1, "")
    assert err.splitlines()[-1] == f"error: ccee_readback: {missing}"
    [(outcome, counts, error)] = _runs(job_env.url, "ccee_readback")
    assert (outcome, counts) == ("error", {})
    assert error == f"ConfigError: {missing}"
    assert secret not in err + error
    # The same as its own process: the one line, and no traceback for a missing setting.
    proc = subprocess.run(
        [sys.executable, "-m", "smf.cli", "jobs", "trigger", "ccee_readback"],
        env=os.environ.copy(), cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[-1] == f"error: ccee_readback: {missing}"
    assert "Traceback" not in proc.stderr and secret not in proc.stderr, proc.stderr
    rc, out, _ = smf(capsys, "jobs", "list")
    assert rc == 0
    [line] = [ln for ln in out.splitlines() if ln.startswith("ccee_readback ")]
    assert line.endswith(" error"), line  # last outcome, no counts
    assert "next (not scheduled yet)" in line  # no scheduler has stored the job yet


@pytest.mark.slow
def test_pld_path_missing_or_unset(
    job_env: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.delenv("SMF_PLD_PATH", raising=False)
    rc, out, _ = smf(capsys, "jobs", "trigger", "pld_import")
    assert rc == 0
    assert out == 'pld_import: {"skipped": "SMF_PLD_PATH is not set"}\n'
    gone = tmp_path / "pld-files"
    monkeypatch.setenv("SMF_PLD_PATH", str(gone))
    rc, out, err = smf(capsys, "jobs", "trigger", "pld_import")
    assert (rc, out) == (1, "")
    assert err.splitlines()[-1] == f"error: SMF_PLD_PATH {gone} does not exist"
    assert "Traceback" not in err
    # A malformed file: the job's own message, not an "unexpected" error.
    gone.mkdir()
    (gone / "pld.csv").write_text("MES;SUBMERCADO;DIA;HORA;PLD\n202610;SUL;1;0;abc\n")
    rc, out, err = smf(capsys, "jobs", "trigger", "pld_import")
    assert (rc, out) == (1, "")
    assert err.splitlines()[-1].startswith("error: pld_import: pld.csv line 2: "), err
    runs = _runs(job_env.url, "pld_import")
    assert [r[0] for r in runs] == ["ok", "error", "error"]
    assert runs[0][1] == {"skipped": "SMF_PLD_PATH is not set"}
    assert runs[1][2] == f"FileNotFoundError: SMF_PLD_PATH {gone} does not exist"
    assert runs[2][2].startswith("PldFormatError: pld.csv line 2: ")


def test_pld_file_with_blank_lines_and_a_short_row() -> None:
    text = "mes;submercado;dia;hora;pld\n\n202610;SE;1;0;61,07\n ; ; \n202610;SE;1\n"
    with pytest.raises(pld_import.PldFormatError) as exc:
        pld_import.parse(text, "x.csv")
    # blank lines are skipped; line 5 lacks the hour (and, first read, the price is column 5)
    assert str(exc.value).startswith("x.csv line 5: ")
    cols = pld_import.parse("\ufeffMES,SUBMERCADO,DIA,HORA,PLD\n202610,SE,1,0,61.07\n")
    assert cols["price"] == [pld_import.Decimal("61.07")] and cols["hour"] == [0]
    with pytest.raises(pld_import.PldFormatError, match=r"x\.csv: no hour column"):
        pld_import.parse("mes;submercado;dia;pld\n", "x.csv")


@pytest.mark.slow
def test_deadline_job_with_nothing_to_warn_about(
    job_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, _ = smf(capsys, "jobs", "trigger", "ccee_deadline")
    assert (rc, out) == (0, 'ccee_deadline: {"warnings": 0, "ucs": []}\n')
    [(outcome, counts, error)] = _runs(job_env.url, "ccee_deadline")
    assert (outcome, counts, error) == ("ok", {"warnings": 0, "ucs": []}, None)
    rc, out, _ = smf(capsys, "jobs", "list")
    [line] = [ln for ln in out.splitlines() if ln.startswith("ccee_deadline ")]
    # the counts in words (jsonb orders the keys), after the local start time of the last run
    # with its offset (the time policy: America/Sao_Paulo is -03 all year since 2019)
    assert re.fullmatch(
        r"ccee_deadline +next \(not scheduled yet\)  last \d{4}-\d\d-\d\d \d\d:\d\d-03 ok "
        r"ucs none, warnings 0",
        line,
    ), line
