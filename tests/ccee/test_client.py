"""The httpx client against our CCEE emulator (a real server on loopback): every fault ends in
a retry or a recorded rejection; strict validation; token refresh; read-back pagination."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import date
from decimal import Decimal

import httpx
import pytest

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


def test_token_refreshed_before_expiry(client: CceeClient, emu: emulator.Running) -> None:
    emu.state.token_ttl_s = 0.5  # 80 % of 0.5 s: refreshed after 0.4 s, before CCEE expires it
    client.submit(_doc().body)
    client._token_until = 0  # as if 0.4 s had passed
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
