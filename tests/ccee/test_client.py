"""The httpx client against our CCEE emulator (a real server on loopback): every fault ends in
a retry or a recorded rejection; strict validation; token refresh; read-back pagination. Then
each policy in detail: the timeout and agent header from the settings, the token's life (80 % of
it, at least 15 s early, measured on the client's clock) and the token endpoint's faults, the
retry policy's waits (exponential backoff with full jitter, capped at 30 s; Retry-After on 429)
and budget, what each status code becomes, and read-back errors and pages."""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import replace
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import httpx
import pytest

import ccee.client as ccee_client
from ccee import emulator, payload
from ccee.client import CceeClient, retry_after_s
from ccee.errors import AuthError, ConfigError
from db.settings import CceeSettings, Secret

UC = "001347925802810"  # the published example code
DAY = date(2026, 10, 1)


def _doc(wh: int = 100, **over: object) -> payload.Payload:
    stamps = [emulator.expected_stamp(DAY, s // 12 + 1, s % 12 + 1) for s in range(288)]
    p = payload.build(UC, 7028, DAY, stamps, [wh] * 288, ["MEDIDO"] * 288)
    if over:
        doc = json.loads(p.body)
        doc.update(over)
        body = json.dumps(doc).encode()
        return payload.Payload(UC, DAY, body, "", 0)
    return p


@pytest.fixture
def client(emu: emulator.Running, ccee_settings: CceeSettings):
    emu.state.ucs[UC] = emulator.Uc(7028, Decimal("100"))
    waits: list[float] = []
    c = CceeClient(ccee_settings, sleep=waits.append)
    c.waits = waits  # type: ignore[attr-defined]
    yield c
    c.close()


def _faults(emu: emulator.Running, *faults: dict) -> None:
    emu.state.faults.extend(faults)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The client's monotonic clock, set by the test: clock[0] seconds (1000.0 to begin with)."""
    now = [1000.0]
    fake = SimpleNamespace(monotonic=lambda: now[0], time=time.time, sleep=time.sleep)
    monkeypatch.setattr(ccee_client, "time", fake)
    return now


def _body(wh: int = 100) -> bytes:
    stamps = [emulator.expected_stamp(DAY, s // 12 + 1, s % 12 + 1) for s in range(288)]
    return payload.build(UC, 7028, DAY, stamps, [wh] * 288, ["MEDIDO"] * 288).body


def _client(settings: CceeSettings, emu: emulator.Running) -> CceeClient:
    emu.state.ucs[UC] = emulator.Uc(7028, Decimal("100"))
    waits: list[float] = []
    c = CceeClient(settings, sleep=waits.append)
    c.waits = waits  # type: ignore[attr-defined]
    return c


def test_accepted_first_time(client: CceeClient, emu: emulator.Running) -> None:
    r = client.submit(_doc().body)
    assert (r.outcome, r.status, r.tries) == ("accepted", 200, 1)
    assert emu.state.posts == {f"{UC}|2026-10-01": 1}


@pytest.mark.parametrize(
    "faults",
    [
        [{"kind": "500"}],
        [{"kind": "503"}, {"kind": "503"}],
        [{"kind": "reset"}],
        [{"kind": "timeout", "delay": 1.0}],
    ],
    ids=["500", "503x2", "reset", "timeout"],
)
def test_transient_faults_are_retried(
    client: CceeClient, emu: emulator.Running, ccee_settings: CceeSettings, faults: list[dict]
) -> None:
    if faults[0]["kind"] == "timeout":
        client.http.timeout = httpx.Timeout(0.3)
    _faults(emu, *faults)
    r = client.submit(_doc().body)
    assert r.outcome == "accepted"
    assert len(client.waits) == len(faults)  # type: ignore[attr-defined]
    assert emu.state.posts == {f"{UC}|2026-10-01": 1}


def test_429_honours_retry_after(client: CceeClient, emu: emulator.Running) -> None:
    _faults(emu, {"kind": "429", "retry_after": 7})
    r = client.submit(_doc().body)
    assert r.outcome == "accepted"
    assert client.waits == [7.0]  # type: ignore[attr-defined]
    assert retry_after_s("Wed, 21 Oct 2015 07:28:00 GMT", 3.0) == 0.0
    assert retry_after_s(None, 3.0) == 3.0


def test_expired_token_refreshed_once(client: CceeClient, emu: emulator.Running) -> None:
    client.submit(_doc().body)
    assert client.token_refreshes == 1
    _faults(emu, {"kind": "expire_token"})
    r = client.submit(_doc().body)
    assert r.outcome == "accepted"
    assert client.token_refreshes == 2
    assert emu.state.token_requests == 2


def test_token_refreshed_before_expiry(
    client: CceeClient, emu: emulator.Running, clock: list[float]
) -> None:
    emu.state.token_ttl_s = 0.5  # 80 % of 0.5 s: refreshed after 0.4 s, before CCEE expires it
    client.submit(_doc().body)
    clock[0] += 0.4  # 0.4 s later on the client's clock
    assert client.submit(_doc().body).outcome == "accepted"
    assert client.token_refreshes == 2


def test_400_is_a_recorded_rejection_not_retried(client: CceeClient, emu: emulator.Running) -> None:
    _faults(emu, {"kind": "400", "message": "campo horas invalido"})
    r = client.submit(_doc().body)
    assert (r.outcome, r.status) == ("rejected", 400)
    assert json.loads(r.body) == {
        "error": "ERR_VALIDACAO_CAMPOS",
        "message": "campo horas invalido",
    }
    assert client.waits == []  # type: ignore[attr-defined]
    assert emu.state.requests == 1


def test_persistent_5xx_fails_after_the_retries(client: CceeClient, emu: emulator.Running) -> None:
    _faults(emu, *[{"kind": "500"}] * 10)
    r = client.submit(_doc().body)
    assert (r.outcome, r.status, r.tries) == ("failed", 500, 4)  # 1 + 3 retries
    assert len(client.waits) == 3  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        ({"diaReferencia": "01/10/2026"}, "diaReferencia"),
        ({"codigoAgenteConcessionaria": 1}, "ERR_AGENTE_INVALIDO"),
        ({"codigoUnidadeConsumidora": "001347925802811"}, "ERR_UC_NAO_ENCONTRADA"),
        ({"extra": 1}, "unknown ['extra']"),
        ({"horas": []}, "expected 24 items"),
    ],
)
def test_strict_validation(client: CceeClient, mutate: dict, message: str) -> None:
    r = client.submit(_doc(**mutate).body)
    assert r.outcome == "rejected" and message in r.body


def test_validation_of_stamps_decimals_and_tipo(client: CceeClient) -> None:
    good = _doc().body.decode()
    cases = {
        "start stamp instead of end": good.replace(
            '"2026-10-01T00:05:00-03:00"', '"2026-10-01T00:00:00-03:00"', 1
        ),
        "UTC stamp": good.replace('"2026-10-01T00:05:00-03:00"', '"2026-10-01T03:05:00Z"', 1),
        "two decimals": good.replace('"consumo":0.100', '"consumo":0.10', 1),
        "integer": good.replace('"consumo":0.100', '"consumo":0', 1),
        "tipo": good.replace('"MEDIDO"', '"MEDIDA"', 1),
    }
    for name, body in cases.items():
        r = client.submit(body.encode())
        assert (r.outcome, r.status) == ("rejected", 400), name


def test_musd_rule_rejected(client: CceeClient, emu: emulator.Running) -> None:
    # MUSD 100 kW: limit 125 kWh per hour. 12 x 10.5 kWh = 126 kWh > 125 -> rejected.
    r = client.submit(_doc(wh=10500).body)
    assert (r.outcome, r.status) == ("rejected", 422)
    assert "ERR_MUSD_EXCEDIDO" in r.body
    # 12 x 10.416 = 124.992 kWh: accepted.
    assert client.submit(_doc(wh=10416).body).outcome == "accepted"


def test_read_back_paginated(client: CceeClient, emu: emulator.Running) -> None:
    emu.state.page_size = 100
    client.submit(_doc().body)
    emu.server.state.values[(UC, "2026-10-01")][5]["status"] = "REJEITADA"
    values = list(client.read_back(UC, DAY, date(2026, 10, 31)))
    assert len(values) == 288  # pages of 100, 100, 88
    assert [v["status"] for v in values].count("REJEITADA") == 1
    assert values[-1]["dataReferenciaConsumo"] == "2026-10-02T00:00:00-03:00"
    _faults(emu, {"kind": "no_seconds"})
    values = list(client.read_back(UC, DAY, DAY))
    assert values[0]["dataReferenciaConsumo"] == "2026-10-01T00:05-03:00"
    with pytest.raises(RuntimeError, match="one month"):
        list(client.read_back(UC, DAY, date(2026, 11, 1)))


def test_bad_credentials_and_secret_never_logged(
    ccee_settings: CceeSettings, emu: emulator.Running, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bad = replace(ccee_settings, client_secret=Secret("wrong-secret-xyz"))
    with CceeClient(bad) as c, pytest.raises(AuthError) as err:
        c.submit(_doc().body)
    assert "wrong-secret-xyz" not in str(err.value)
    assert "wrong-secret-xyz" not in repr(bad)
    with CceeClient(ccee_settings) as c:
        c.submit(_doc().body)
    assert "s3cr3t" not in caplog.text


def test_unsafe_settings_refused(ccee_settings: CceeSettings) -> None:
    with pytest.raises(ConfigError, match="only allowed on loopback"):
        CceeClient(replace(ccee_settings, base_url="http://api-abm.ccee.org.br"))
    with pytest.raises(ConfigError, match="SMF_CCEE_CLIENT_SECRET"):
        CceeClient(replace(ccee_settings, client_secret=Secret("")))


def test_token_endpoint_faults_retried(client: CceeClient, emu: emulator.Running) -> None:
    _faults(emu, {"kind": "503", "on": "token"}, {"kind": "reset", "on": "token"})
    assert client.submit(_doc().body).outcome == "accepted"
    assert len(client.waits) == 2  # type: ignore[attr-defined]


# --- the settings a request takes -------------------------------------------------------------
def test_settings_timeout_is_applied(emu: emulator.Running, ccee_settings: CceeSettings) -> None:
    # No retry: a CCEE that answers after 1 s against a 0.3 s timeout is a failure with no
    # HTTP status (the emulator's late 504 is never read).
    c = _client(replace(ccee_settings, timeout_s=0.3, retries=0), emu)
    emu.state.faults.append({"kind": "timeout", "delay": 1.0})
    r = c.submit(_body())
    c.close()
    assert (r.outcome, r.status, r.tries) == ("failed", None, 1)
    assert r.body.startswith("ReadTimeout: ")


def test_missing_agent_header_is_a_failure_not_a_rejection(
    emu: emulator.Running, ccee_settings: CceeSettings
) -> None:
    # The emulator answers 403 when codigoAgente is not digits: our credentials, not the data.
    c = _client(ccee_settings, emu)
    r = c.submit(_body(), agent_code="abc")
    c.close()
    assert (r.outcome, r.status, r.tries) == ("failed", 403, 1)
    assert json.loads(r.body)["error"] == "ERR_CREDENCIAL_INVALID"
    assert emu.state.accepted == 0


# --- the token ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("ttl", "kept"),
    [
        (300, 240.0),  # min(0.8 x 300 = 240, 300 - 15 = 285) = 240
        (100, 80.0),  # min(80, 85) = 80
        (10, 1.0),  # min(8, max(10 - 15, 1) = 1) = 1
        (50, 35.0),  # min(40, 35) = 35
    ],
)
def test_token_kept_for_its_life(
    emu: emulator.Running, ccee_settings: CceeSettings, clock: list[float], ttl: int, kept: float
) -> None:
    emu.state.token_ttl_s = ttl
    c = _client(ccee_settings, emu)
    tok = c.token()  # at 1000.0 s on the client's clock
    clock[0] = 1000.0 + kept - 0.001
    assert c.token() == tok and c.token_refreshes == 1  # reused, not refreshed
    assert emu.state.token_requests == 1
    clock[0] = 1000.0 + kept  # its time is up: a new token
    assert c.token() != tok and c.token_refreshes == 2
    assert emu.state.token_requests == 2
    c.close()


def test_forced_refresh_skipped_when_someone_already_refreshed(
    emu: emulator.Running, ccee_settings: CceeSettings
) -> None:
    c = _client(ccee_settings, emu)
    first = c.token()
    assert c.token(force=True, stale="an-older-token") == first  # already replaced: no call
    assert c.token_refreshes == 1
    second = c.token(force=True, stale=first)
    assert second != first and c.token_refreshes == 2
    third = c.token(force=True)
    assert third not in (first, second) and c.token_refreshes == 3
    assert emu.state.token_requests == 3
    c.close()


def test_token_endpoint_429_waits_retry_after(
    emu: emulator.Running, ccee_settings: CceeSettings
) -> None:
    c = _client(ccee_settings, emu)
    emu.state.faults.append({"kind": "429", "retry_after": 4, "on": "token"})
    c.token()
    assert c.waits == [4.0]  # type: ignore[attr-defined]
    assert c.token_refreshes == 1
    c.close()


def test_token_endpoint_500_retried(emu: emulator.Running, ccee_settings: CceeSettings) -> None:
    c = _client(ccee_settings, emu)
    emu.state.faults.extend([{"kind": "500", "on": "token"}] * 2)
    c.token()
    assert len(c.waits) == 2 and c.token_refreshes == 1  # type: ignore[attr-defined]
    c.close()


def test_token_endpoint_refusal_not_retried(
    emu: emulator.Running, ccee_settings: CceeSettings
) -> None:
    c = _client(ccee_settings, emu)
    emu.state.faults.append({"kind": "400", "on": "token", "message": "grant invalido"})
    with pytest.raises(AuthError) as err:
        c.token()
    assert err.value.status == 400
    assert str(err.value) == (
        'CCEE token endpoint answered 400: {"error": "ERR_VALIDACAO_CAMPOS", '
        '"message": "grant invalido"}'
    )
    assert c.waits == [] and emu.state.token_requests == 0  # type: ignore[attr-defined]
    c.close()


def test_token_endpoint_down_after_the_retries(
    emu: emulator.Running, ccee_settings: CceeSettings
) -> None:
    c = _client(replace(ccee_settings, retries=2), emu)
    emu.state.faults.extend([{"kind": "503", "on": "token"}] * 3)  # 1 try + 2 retries
    with pytest.raises(AuthError) as err:
        c.token()
    assert err.value.status == 503 and len(c.waits) == 2  # type: ignore[attr-defined]
    emu.state.faults.extend([{"kind": "reset", "on": "token"}] * 3)
    with pytest.raises(AuthError) as err:
        c.token()
    assert err.value.status == 0
    assert str(err.value).endswith(": no answer") and "Error" in str(err.value)
    assert len(c.waits) == 4  # type: ignore[attr-defined]
    assert c.token_refreshes == 0
    c.close()


def test_auth_error_keeps_status_and_body_cut_at_500() -> None:
    e = AuthError(401, "x" * 600)
    assert (e.status, e.body) == (401, "x" * 600)
    assert str(e) == "CCEE token endpoint answered 401: " + "x" * 500


# --- the retry policy and what each answer becomes --------------------------------------------
def _bounds_waits(seed: int, bounds: list[float]) -> list[float]:
    """What random.uniform(0, bound) draws after random.seed(seed): full jitter by hand."""
    rng = random.Random(seed)
    return [rng.uniform(0, b) for b in bounds]


def test_backoff_doubles_with_full_jitter(
    emu: emulator.Running, ccee_settings: CceeSettings
) -> None:
    c = _client(replace(ccee_settings, backoff_s=0.01, retries=3), emu)
    c.token()
    emu.state.faults.extend([{"kind": "500"}] * 4)
    random.seed(13)
    r = c.submit(_body())
    # Bounds 0.01 x 2^0, 2^1, 2^2 = 0.01, 0.02, 0.04 s.
    assert c.waits == pytest.approx(_bounds_waits(13, [0.01, 0.02, 0.04]))  # type: ignore[attr-defined]
    assert (r.outcome, r.status, r.tries) == ("failed", 500, 4)
    assert json.loads(r.body) == {"error": "ERR_INTERNO", "message": "falha simulada"}
    c.close()


def test_backoff_capped_at_30_s(emu: emulator.Running, ccee_settings: CceeSettings) -> None:
    c = _client(replace(ccee_settings, backoff_s=20, retries=2), emu)
    c.token()
    emu.state.faults.extend([{"kind": "503"}] * 3)
    random.seed(7)
    r = c.submit(_body())
    # Bounds min(30, 20 x 1) = 20, min(30, 20 x 2 = 40) = 30.
    assert c.waits == pytest.approx(_bounds_waits(7, [20, 30]))  # type: ignore[attr-defined]
    assert (r.outcome, r.status, r.tries) == ("failed", 503, 3)
    c.close()


def test_connection_failure_then_success(
    emu: emulator.Running, ccee_settings: CceeSettings
) -> None:
    c = _client(replace(ccee_settings, retries=0), emu)
    c.token()
    emu.state.faults.append({"kind": "reset"})
    r = c.submit(_body())
    assert (r.outcome, r.status, r.tries) == ("failed", None, 1)
    assert ": " in r.body and r.body.split(":")[0].endswith("Error")
    assert c.waits == []  # type: ignore[attr-defined]
    assert c.submit(_body()).outcome == "accepted"
    c.close()


def test_tries_counted_on_success(emu: emulator.Running, ccee_settings: CceeSettings) -> None:
    # Result.tries is the number of requests made: 500, 503, then 200 -> 3 (the bug: it said 1).
    c = _client(ccee_settings, emu)
    c.token()
    emu.state.faults.extend([{"kind": "500"}, {"kind": "503"}])
    r = c.submit(_body())
    assert (r.outcome, r.status, r.tries) == ("accepted", 200, 3)
    emu.state.faults.extend([{"kind": "429", "retry_after": 1}, {"kind": "400"}])
    r = c.submit(_body())
    assert (r.outcome, r.status, r.tries) == ("rejected", 400, 2)
    c.close()


def test_429_exhausted_is_a_failure(emu: emulator.Running, ccee_settings: CceeSettings) -> None:
    c = _client(replace(ccee_settings, retries=2), emu)
    c.token()
    emu.state.faults.extend([{"kind": "429", "retry_after": s} for s in (3, 5, 9)])
    r = c.submit(_body())
    assert (r.outcome, r.status, r.tries) == ("failed", 429, 3)
    assert c.waits == [3.0, 5.0]  # type: ignore[attr-defined]  # the third 429 is not waited on
    assert emu.state.accepted == 0
    c.close()


def test_429_then_5xx_share_the_retry_budget(
    emu: emulator.Running, ccee_settings: CceeSettings
) -> None:
    c = _client(replace(ccee_settings, retries=2, backoff_s=0.01), emu)
    c.token()
    emu.state.faults.extend([{"kind": "429", "retry_after": 2}, {"kind": "500"}, {"kind": "500"}])
    random.seed(3)
    r = c.submit(_body())
    # 429 (wait 2, retry 1), 500 (backoff bound 0.01 x 2^1 = 0.02, retry 2), 500: give up.
    assert (r.outcome, r.status, r.tries) == ("failed", 500, 3)
    assert c.waits[0] == 2.0 and 0 <= c.waits[1] <= 0.02  # type: ignore[attr-defined]
    assert len(c.waits) == 2  # type: ignore[attr-defined]
    c.close()


def test_second_401_is_not_refreshed_again(
    emu: emulator.Running, ccee_settings: CceeSettings
) -> None:
    c = _client(ccee_settings, emu)
    c.token()
    emu.state.faults.extend([{"kind": "expire_token"}, {"kind": "expire_token"}])
    r = c.submit(_body())
    # 401, one refresh, 401 again: our credentials, recorded as a failure (retried later).
    assert (r.outcome, r.status, r.tries) == ("failed", 401, 2)
    assert json.loads(r.body)["error"] == "ERR_TOKEN_INVALIDO"
    assert c.token_refreshes == 2 and emu.state.token_requests == 2
    assert c.waits == []  # type: ignore[attr-defined]
    c.close()


def test_other_4xx_rejected_with_status(emu: emulator.Running, ccee_settings: CceeSettings) -> None:
    c = _client(ccee_settings, emu)
    r = c.submit(b"{not json")
    assert (r.outcome, r.status, r.tries) == ("rejected", 400, 1)
    assert json.loads(r.body)["message"].startswith("JSON invalido: ")
    c.close()


def test_readback_errors_named(emu: emulator.Running, ccee_settings: CceeSettings) -> None:
    c = _client(replace(ccee_settings, retries=1), emu)
    emu.state.faults.extend([{"kind": "500"}, {"kind": "500"}])
    with pytest.raises(RuntimeError) as err:
        list(c.read_back(UC, DAY, DAY))
    assert str(err.value) == (
        f"CCEE read-back of {UC} failed: 500 "
        '{"error": "ERR_INTERNO", "message": "falha simulada"}'
    )
    with pytest.raises(RuntimeError) as err:
        list(c.read_back(UC, DAY, date(2026, 9, 30)))  # the end before the start
    assert str(err.value).startswith(f"CCEE read-back of {UC} failed: 400 ")
    c.close()


def test_readback_error_body_cut_at_300(emu: emulator.Running, ccee_settings: CceeSettings) -> None:
    c = _client(replace(ccee_settings, retries=0), emu)
    # The body is '{"error": "ERR_INTERNO", "message": "' (37 characters) + 400 x "m" + '"}';
    # the message keeps its first 300 characters: the 37 and 263 "m".
    emu.state.faults.append({"kind": "500", "message": "m" * 400})
    with pytest.raises(RuntimeError) as err:
        list(c.read_back(UC, DAY, DAY))
    assert str(err.value) == (
        f"CCEE read-back of {UC} failed: 500 " + '{"error": "ERR_INTERNO", "message": "' + "m" * 263
    )
    emu.state.faults.append({"kind": "400", "message": "n" * 400})
    with pytest.raises(RuntimeError) as err:
        list(c.read_back(UC, DAY, DAY))
    assert str(err.value) == (
        f"CCEE read-back of {UC} failed: 400 "
        + '{"error": "ERR_VALIDACAO_CAMPOS", "message": "'
        + "n" * 254
    )
    c.close()


def test_2xx_and_3xx_answers(emu: emulator.Running, ccee_settings: CceeSettings) -> None:
    c = _client(ccee_settings, emu)
    # 202 is a 2xx: accepted. 300 is not (nor a 4xx to retry): recorded as a rejection.
    emu.state.faults.extend([{"kind": "status", "status": 202}, {"kind": "status", "status": 300}])
    r = c.submit(_body())
    assert (r.outcome, r.status, r.tries) == ("accepted", 202, 1)
    r = c.submit(_body())
    assert (r.outcome, r.status, r.tries) == ("rejected", 300, 1)
    assert c.waits == [] and emu.state.accepted == 0  # type: ignore[attr-defined]
    emu.state.faults.append({"kind": "status", "status": 300, "message": "ver outro"})
    with pytest.raises(RuntimeError) as err:
        list(c.read_back(UC, DAY, DAY))
    assert str(err.value) == (
        f'CCEE read-back of {UC} failed: 300 {{"error": "ERR_SIMULADO", "message": "ver outro"}}'
    )
    c.close()


def test_readback_pages_and_parameters(emu: emulator.Running, ccee_settings: CceeSettings) -> None:
    c = _client(ccee_settings, emu)
    emu.state.page_size = 288
    assert c.submit(_body()).outcome == "accepted"
    # Exactly one page: no next-page token, one request.
    requests = emu.state.requests
    values = list(c.read_back(UC, DAY, DAY))
    assert len(values) == 288 and emu.state.requests == requests + 1
    assert values[0] == {
        "codigoUnidadeConsumidora": UC,
        "dataReferenciaConsumo": "2026-10-01T00:05:00-03:00",
        "consumo": 0.1,
        "tipoConsumo": "MEDIDO",
        "status": "CONSISTIDA",
    }
    # The next day has nothing: an empty page.
    assert list(c.read_back(UC, date(2026, 10, 2), date(2026, 10, 2))) == []
    emu.state.page_size = 287
    assert len(list(c.read_back(UC, DAY, DAY))) == 288  # 287 + 1 over two pages
    c.close()
