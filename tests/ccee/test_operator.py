"""CCEE for operators: the agent header of each request is its payload's distributor, rejection
reasons are printed inline with the command that re-sends, and `smf ccee status --uc` lists each
day that is not accepted with its reason and next command."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import psycopg
import pytest

from ccee import emulator
from ccee.sender import reason_text
from db.settings import CceeSettings, Settings
from smf import cli
from tests.ccee.helpers import DAY, Uc, make_uc, put_day

ONE_DAY = f"[{DAY},{DAY.replace(day=2)})"  # in the retail model on 2026-10-01 only


@pytest.fixture
def ucs(
    db_settings: Settings,
    ccee_settings: CceeSettings,
    emu: emulator.Running,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Uc, Uc, Uc]]:
    """Two distributors (agents 7391 and 7059), a UC of each known to CCEE, and a third UC that
    CCEE does not know; all with the 288 values of DAY. No SMF_CCEE_AGENT_CODE."""
    for k, v in {
        "SMF_DATABASE_URL": db_settings.url,
        "SMF_CCEE_BASE_URL": ccee_settings.base_url,
        "SMF_CCEE_CLIENT_ID": ccee_settings.client_id,
        "SMF_CCEE_CLIENT_SECRET": str(ccee_settings.client_secret),
        "SMF_CCEE_PROFILE_CODE": ccee_settings.profile_code,
        "SMF_CCEE_BACKOFF_S": "0.01",
    }.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("SMF_CCEE_AGENT_CODE", raising=False)
    with psycopg.connect(db_settings.url, autocommit=True) as conn:
        a = make_uc(conn, 1, aneel="391", registered=ONE_DAY)
        b = make_uc(conn, 2, aneel="059", registered=ONE_DAY)
        stranger = make_uc(conn, 3, aneel="059", registered=ONE_DAY)
        for uc in (a, b, stranger):
            put_day(conn, uc, [100] * 288)
    for uc in (a, b):
        emu.state.ucs[uc.code] = emulator.Uc(uc.agent, None)
    yield a, b, stranger


@pytest.mark.slow
def test_each_request_carries_its_distributors_agent_and_rejections_are_explained(
    ucs: tuple[Uc, Uc, Uc], emu: emulator.Running, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b, stranger = ucs
    assert (a.agent, b.agent) == (7391, 7059)
    rc = cli.main(["ccee", "submit", "--month", "2026-10"])
    out = capsys.readouterr().out
    assert rc == 0, out
    lines = out.splitlines()
    assert lines[0] == "claimed 3: accepted 2, rejected 1, failed 0, held 0, unchanged 0"
    # The emulator refuses a codigoAgente header that is not the body's distributor: both
    # distributors' days were accepted, so each request carried its own agent code.
    assert emu.state.posts == {f"{a.code}|2026-10-01": 1, f"{b.code}|2026-10-01": 1}
    assert lines[1:] == [
        f"  rejected UC {stranger.code} 2026-10-01: ERR_UC_NAO_ENCONTRADA: unidade consumidora "
        f"{stranger.code} nao cadastrada no varejo",
        f"           next: smf ccee submit --uc {stranger.code} --day 2026-10-01",
    ]


@pytest.mark.slow
def test_status_of_one_uc_lists_each_day_not_accepted_with_reason_and_command(
    ucs: tuple[Uc, Uc, Uc], db_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    a, _, stranger = ucs
    with psycopg.connect(db_settings.url, autocommit=True) as conn:
        # a: a hole at 10:00 (interval 120) makes 2026-10-01 incomplete -> held
        conn.execute(
            "delete from smf.interval_reading where meter_id = %s and ts = '2026-10-01 10:00-03'",
            (a.meter_id,),
        )
    assert cli.main(["ccee", "submit", "--month", "2026-10"]) == 0
    capsys.readouterr()
    # October is past its send window on the machine's clock (December 2026 or later): "late"
    assert cli.main(["ccee", "status", "--uc", stranger.code, "--month", "2026-10"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"UC {stranger.code}, 2026-10: 1 day(s) not accepted (or rejected by CCEE's read-back)",
        "2026-10-01  rejected, late (attempts 1): ERR_UC_NAO_ENCONTRADA: unidade consumidora "
        f"{stranger.code} nao cadastrada no varejo",
        f"            next: smf ccee submit --uc {stranger.code} --day 2026-10-01",
    ]
    assert cli.main(["ccee", "status", "--uc", a.code, "--month", "2026-10"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("2026-10-01  held, late (attempts 1): incomplete: 287 of 288"), lines
    assert lines[2] == (
        f"            next: smf vee estimate --uc {a.code} --from 2026-10-01 --to 2026-10-01, "
        f"then smf ccee submit --uc {a.code} --day 2026-10-01"
    )
    # the board says where to look
    assert cli.main(["ccee", "status", "--month", "2026-10"]) == 0
    assert "Which days and why: smf ccee status --uc CODE --month 2026-10" in (
        capsys.readouterr().out
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        (400, '{"error": "ERR_X", "message": "campo invalido"}', "ERR_X: campo invalido"),
        (422, '{"codigo": "E1", "mensagem": "UC inativa"}', "E1: UC inativa"),
        (502, "<html>Bad   gateway</html>", "HTTP 502 <html>Bad gateway</html>"),
        (None, "ConnectError: refused", "no answer ConnectError: refused"),
    ],
)
def test_reason_text_is_the_same_in_python_and_sql(
    db_settings: Settings, status: int | None, body: str, words: str
) -> None:
    assert reason_text(status, body) == words
    with psycopg.connect(db_settings.url) as conn:
        got = conn.execute("select smf.ccee_reason_text(%s, %s)", (status, body)).fetchone()
    assert got == (words,)


@pytest.mark.slow  # alone of its module in a plain run: it would pay the module's database clone
def test_day_issues_give_state_reason_and_next_command_per_day(conn: psycopg.Connection) -> None:
    # A UC in the retail model on 2026-10-01..05; at 2026-10-06 12:00 -03:00 the days 1..5 are
    # over (the 6th is not). Stored states: 1 held (MUSD), 2 failed twice (no ledger row: no
    # answer recorded), 3 never enqueued (missing), 4 late, 5 accepted but 2 values rejected by
    # the read-back. Reasons and commands by the rules of smf.ccee_day_issues.
    uc = make_uc(conn, 9, registered="[2026-10-01,2026-10-06)")
    for day, state, attempts, late, extra in (
        ("2026-10-01", "held", 1, False, {"hold_reasons": '[{"code": "musd_exceeded",'
                                         ' "message": "hour 10 over"}]'}),
        ("2026-10-02", "failed", 2, False, {}),
        ("2026-10-04", "late", 0, True, {}),
        ("2026-10-05", "accepted", 1, False, {"verdict_rejeitada": 2}),
    ):  # fmt: skip
        conn.execute(
            "insert into smf.ccee_uc_day (consumer_unit_id, day, state, attempts, late,"
            " hold_reasons, verdict_rejeitada) values (%s, %s, %s, %s, %s, %s, %s)",
            (
                uc.id,
                day,
                state,
                attempts,
                late,
                extra.get("hold_reasons"),
                extra.get("verdict_rejeitada"),
            ),
        )
    rows = conn.execute(
        "select day, state, late, attempts, reason, command from smf.ccee_day_issues(%s, %s, %s)",
        (uc.code, DAY, datetime(2026, 10, 6, 15, tzinfo=UTC)),
    ).fetchall()
    submit = f"smf ccee submit --uc {uc.code} --day"
    assert rows == [
        (
            date(2026, 10, 1),
            "held",
            False,
            1,
            "musd_exceeded: hour 10 over",
            f'smf ccee release --uc {uc.code} --day 2026-10-01 --reason "..."',
        ),
        (date(2026, 10, 2), "failed", False, 2, "no answer", f"{submit} 2026-10-02"),
        (
            date(2026, 10, 3),
            "missing",
            False,
            0,
            "never enqueued (the scheduler or smf ccee submit --month enqueues it)",
            f"{submit} 2026-10-03",
        ),
        (
            date(2026, 10, 4),
            "late",
            True,
            0,
            "past the send window: sent only when asked",
            f"{submit} 2026-10-04",
        ),
        (
            date(2026, 10, 5),
            "accepted",
            False,
            1,
            "CCEE read-back: 2 values REJEITADA",
            f"{submit} 2026-10-05",
        ),
    ]
