"""Our CCEE emulator over raw HTTP (httpx, loopback), each answer checked by status, code and
message: the token endpoint, authorisation headers, every validation rule of the measurement
document (one at a time), the MUSD limit, the fault queue, read-back pages and the
administration endpoints. The emulator is what every client and sender test trusts, so a
validation it forgets would let a wrong payload pass for accepted.

Stamps: CCEE's 5-minute interval ENDS at -03:00; consumo in kWh with three decimals."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ccee import emulator

UC = "001347925802810"
AGENT = 7028
DAY = date(2026, 10, 1)
BRT = emulator.BRT


def _stamp(day: date, slot: int) -> str:
    """Hand rule: slot s (0..287) ends 5(s+1) minutes after local midnight of `day`."""
    minutes = 5 * (slot + 1)
    d = day + timedelta(days=minutes // 1440)
    m = minutes % 1440
    return f"{d.isoformat()}T{m // 60:02d}:{m % 60:02d}:00-03:00"


def _doc(day: date = DAY, consumo: str = "0.100", **over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "codigoUnidadeConsumidora": UC,
        "codigoAgenteConcessionaria": AGENT,
        "diaReferencia": day.isoformat(),
        "horas": [
            {
                "hora": h + 1,
                "medicoes": [
                    {
                        "dataReferenciaConsumo": _stamp(day, h * 12 + i),
                        "consumo": consumo,
                        "tipoConsumo": "MEDIDO",
                    }
                    for i in range(12)
                ],
            }
            for h in range(24)
        ],
    }
    doc.update(over)
    return doc


def _text(doc: Any) -> bytes:
    """JSON with every "consumo" string written as a bare number (its text kept)."""
    out = json.dumps(doc)
    for h in doc.get("horas", []) if isinstance(doc, dict) else []:
        for m in h.get("medicoes", []) if isinstance(h, dict) else []:
            if isinstance(m, dict) and isinstance(m.get("consumo"), str):
                out = out.replace(f'"consumo": "{m["consumo"]}"', f'"consumo": {m["consumo"]}')
    return out.encode()


@pytest.fixture
def emu() -> Iterator[emulator.Running]:
    state = emulator.State(clients={"id": "secret"})
    state.ucs[UC] = emulator.Uc(AGENT, Decimal("100"))
    running = emulator.start(state)
    yield running
    running.stop()


@pytest.fixture
def http(emu: emulator.Running) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.url, timeout=5) as c:
        yield c


def _token(http: httpx.Client) -> str:
    r = http.post("/sso/oauth/token", data={"client_id": "id", "client_secret": "secret"})
    assert r.status_code == 200
    return str(r.json()["access_token"])


def _h(http: httpx.Client, **extra: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {_token(http)}",
        "codigoAgente": str(AGENT),  # the body's distributor (the emulator checks it)
        "codigoPerfil": "42",
        "Content-Type": "application/json",
        **extra,
    }


def _post(http: httpx.Client, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    return http.post("/medidas/v1/medicao", content=body, headers=headers or _h(http))


def _error(r: httpx.Response) -> tuple[int, str, str]:
    doc = r.json()
    assert set(doc) == {"error", "message"}
    return r.status_code, doc["error"], doc["message"]


# --- the token endpoint ---
def test_token_answer_and_refusal(http: httpx.Client, emu: emulator.Running) -> None:
    emu.state.token_ttl_s = 123.9
    r = http.post("/sso/oauth/token", data={"client_id": "id", "client_secret": "secret"})
    doc = r.json()
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    assert int(r.headers["Content-Length"]) == len(r.content)
    assert set(doc) == {"access_token", "token_type", "expires_in"}
    assert doc["token_type"] == "Bearer" and doc["expires_in"] == 123
    assert len(doc["access_token"]) == 32  # 24 random bytes, url-safe base64
    r = http.post("/sso/oauth/token", data={"client_id": "id", "client_secret": "wrong"})
    assert _error(r) == (401, "ERR_CREDENCIAL_INVALID", "client_id ou client_secret invalidos")
    r = http.post("/sso/oauth/token", data={"client_secret": "secret"})
    assert r.status_code == 401
    assert emu.state.token_requests == 3 and emu.state.requests == 0


def test_token_is_timed(http: httpx.Client, emu: emulator.Running) -> None:
    emu.state.token_ttl_s = -1  # already expired when issued
    h = _h(http)
    r = _post(http, _text(_doc()), h)
    assert _error(r) == (401, "ERR_TOKEN_INVALIDO", "token ausente, invalido ou expirado")


# --- authorisation ---
@pytest.mark.parametrize(
    ("drop", "auth", "status"),
    [
        (None, "Bearer {t}", 200),
        (None, "Token {t}", 401),
        (None, "Bearer x{t}", 401),
        (None, "", 401),
        ("codigoAgente", "Bearer {t}", 403),
        ("codigoPerfil", "Bearer {t}", 403),
    ],
)
def test_authorisation(http: httpx.Client, drop: str | None, auth: str, status: int) -> None:
    h = _h(http)
    h["Authorization"] = auth.format(t=h["Authorization"][7:])
    if drop:
        del h[drop]
    r = _post(http, _text(_doc()), h)
    assert r.status_code == status
    if status == 403:
        assert _error(r) == (
            403,
            "ERR_CREDENCIAL_INVALID",
            "cabecalhos codigoAgente/codigoPerfil ausentes",
        )


def test_agent_header_must_be_digits(http: httpx.Client) -> None:
    assert _post(http, _text(_doc()), _h(http, codigoAgente="73a1")).status_code == 403
    assert _post(http, _text(_doc()), _h(http, codigoPerfil="")).status_code == 403


def test_content_type_json_required(http: httpx.Client, emu: emulator.Running) -> None:
    r = _post(http, _text(_doc()), _h(http, **{"Content-Type": "text/plain"}))
    assert _error(r) == (415, "ERR_VALIDACAO_CAMPOS", "Content-Type must be application/json")
    ok = _post(http, _text(_doc()), _h(http, **{"Content-Type": "application/json; charset=utf-8"}))
    assert ok.status_code == 200
    h = _h(http)
    del h["Content-Type"]
    assert _post(http, _text(_doc()), h).status_code == 415
    assert (emu.state.accepted, emu.state.rejected) == (1, 0)


# --- a submission ---
def test_accepted_answer_and_state(http: httpx.Client, emu: emulator.Running) -> None:
    body = _text(_doc())
    r = _post(http, body)
    assert r.status_code == 200
    assert r.json() == {
        "protocolo": "EMU-00000001",
        "codigoUnidadeConsumidora": UC,
        "diaReferencia": "2026-10-01",
        "quantidadeMedicoes": 288,
    }
    r = _post(http, body)  # the same bytes again: a replacement, one distinct payload
    assert r.json()["protocolo"] == "EMU-00000002"
    _post(http, _text(_doc(consumo="0.200")))
    key = f"{UC}|2026-10-01"
    assert emu.state.posts == {key: 3}
    assert emu.state.stats() == {
        "requests": 3,
        "accepted": 3,
        "rejected": 0,
        "token_requests": 3,
        "posts": {key: 3},
        "distinct_payloads": {key: 2},
        "faults_pending": 0,
    }
    values = emu.state.values[(UC, "2026-10-01")]
    assert len(values) == 288
    assert values[0] == {
        "dataReferenciaConsumo": "2026-10-01T00:05:00-03:00",
        "consumo": "0.200",  # the last post replaced the earlier values
        "tipoConsumo": "MEDIDO",
        "status": "CONSISTIDA",
    }
    assert values[287]["dataReferenciaConsumo"] == "2026-10-02T00:00:00-03:00"


def test_stats_over_http(http: httpx.Client, emu: emulator.Running) -> None:
    _post(http, _text(_doc()))
    emu.state.faults.append({"kind": "500"})
    r = http.get("/_emulator/stats")
    assert r.json() == {
        "requests": 1,
        "accepted": 1,
        "rejected": 0,
        "token_requests": 1,
        "posts": {f"{UC}|2026-10-01": 1},
        "distinct_payloads": {f"{UC}|2026-10-01": 1},
        "faults_pending": 1,
    }


def test_post_delay(http: httpx.Client, emu: emulator.Running) -> None:
    emu.state.post_delay_s = 0.2
    t0 = datetime.now()
    assert _post(http, _text(_doc())).status_code == 200
    assert datetime.now() - t0 >= timedelta(seconds=0.2)


def test_unknown_paths(http: httpx.Client) -> None:
    assert _error(http.post("/medidas/v2/medicao", content=b"{}")) == (
        404,
        "ERR_NAO_ENCONTRADO",
        "no endpoint /medidas/v2/medicao",
    )
    assert _error(http.get("/v2/x")) == (404, "ERR_NAO_ENCONTRADO", "no endpoint /v2/x")
    assert _error(http.post("/_emulator/nothing", content=b"{}")) == (
        404,
        "ERR_NAO_ENCONTRADO",
        "no endpoint /_emulator/nothing",
    )


# --- validation, one rule at a time ---
def _reject(http: httpx.Client, body: bytes) -> tuple[int, str, str]:
    return _error(_post(http, body))


def test_invalid_json_counted(http: httpx.Client, emu: emulator.Running) -> None:
    status, code, message = _reject(http, b"{oops")
    assert (status, code) == (400, "ERR_VALIDACAO_CAMPOS")
    assert message.startswith("JSON invalido: Expecting property name")
    assert (emu.state.rejected, emu.state.accepted) == (1, 0)
    assert _reject(http, b"")[0] == 400  # no body at all


V = "ERR_VALIDACAO_CAMPOS"


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ([], (400, V, "body: expected an object")),
        (
            {"codigoUnidadeConsumidora": UC, "horas": [], "x": 1},
            (
                400,
                V,
                "body: fields missing ['codigoAgenteConcessionaria', 'diaReferencia'],"
                " unknown ['x']",
            ),
        ),
        (
            _doc(codigoUnidadeConsumidora="00134792580281"),
            (400, V, "codigoUnidadeConsumidora: expected a string of 15 digits"),
        ),
        (
            _doc(codigoUnidadeConsumidora="0013479258028100"),
            (400, V, "codigoUnidadeConsumidora: expected a string of 15 digits"),
        ),
        (
            _doc(codigoUnidadeConsumidora=1347925802810),
            (400, V, "codigoUnidadeConsumidora: expected a string of 15 digits"),
        ),
        (
            _doc(codigoAgenteConcessionaria="7028"),
            (400, V, "codigoAgenteConcessionaria: expected an integer"),
        ),
        (
            _doc(codigoAgenteConcessionaria=True),
            (400, V, "codigoAgenteConcessionaria: expected an integer"),
        ),
        (_doc(diaReferencia="20261001"), (400, V, "diaReferencia: expected YYYY-MM-DD")),
        (_doc(diaReferencia="2026-10-1"), (400, V, "diaReferencia: expected YYYY-MM-DD")),
        (_doc(diaReferencia=20261001), (400, V, "diaReferencia: expected YYYY-MM-DD")),
        (
            _doc(codigoAgenteConcessionaria=7029),
            (400, "ERR_AGENTE_INVALIDO", f"agente 7029 nao e o agente conectado da UC {UC}"),
        ),
        (_doc(horas={}), (400, V, "horas: expected 24 items")),
        (_doc(horas=_doc()["horas"][:23]), (400, V, "horas: expected 24 items")),
    ],
)
def test_document_rules(http: httpx.Client, doc: Any, expected: tuple[int, str, str]) -> None:
    assert _reject(http, _text(doc)) == expected


def test_unknown_uc_unless_accepted(http: httpx.Client, emu: emulator.Running) -> None:
    other = "001347925802811"
    assert _reject(http, _text(_doc(codigoUnidadeConsumidora=other))) == (
        400,
        "ERR_UC_NAO_ENCONTRADA",
        f"unidade consumidora {other} nao cadastrada no varejo",
    )
    emu.state.accept_unknown_ucs = True
    doc = _doc(codigoUnidadeConsumidora=other, codigoAgenteConcessionaria=1)
    r = _post(http, _text(doc), _h(http, codigoAgente="1"))  # the header names the body's agent
    assert r.status_code == 200  # any agent for a UC it does not know
    r = _post(http, _text(doc))  # header 7028, body 1: the caller is not that distributor
    assert (r.status_code, r.json()["error"]) == (400, "ERR_AGENTE_INVALIDO")


def test_the_day_must_be_over(http: httpx.Client) -> None:
    today = datetime.now(BRT).date()
    assert _reject(http, _text(_doc(today))) == (
        400,
        V,
        f"diaReferencia {today}: the day is not over",
    )
    assert _post(http, _text(_doc(today - timedelta(days=1)))).status_code == 200


def _hours() -> list[dict[str, Any]]:
    return list(_doc()["horas"])


def test_hour_rules(http: httpx.Client) -> None:
    h = _hours()
    h[3] = {"hora": 4}
    assert _reject(http, _text(_doc(horas=h))) == (
        400,
        V,
        "horas[3]: fields missing ['medicoes'], unknown []",
    )
    h = _hours()
    h[3] = [1]
    assert _reject(http, _text(_doc(horas=h))) == (400, V, "horas[3]: expected an object")
    h = _hours()
    h[3] = dict(h[3], hora=5)
    assert _reject(http, _text(_doc(horas=h))) == (400, V, "horas[3].hora: expected 4")
    h = _hours()
    h[0] = dict(h[0], hora=True)  # True == 1 in Python; still not the number 1
    assert _reject(http, _text(_doc(horas=h))) == (400, V, "horas[0].hora: expected 1")
    h = _hours()
    h[5] = dict(h[5], medicoes=h[5]["medicoes"][:11])
    assert _reject(http, _text(_doc(horas=h))) == (400, V, "hora 6: expected 12 medicoes")
    h = _hours()
    h[5] = dict(h[5], medicoes={})
    assert _reject(http, _text(_doc(horas=h))) == (400, V, "hora 6: expected 12 medicoes")


def _with_item(hour: int, item: int, **over: Any) -> bytes:
    h = _hours()
    med = list(h[hour - 1]["medicoes"])
    med[item - 1] = dict(med[item - 1], **over)
    h[hour - 1] = dict(h[hour - 1], medicoes=med)
    return _text(_doc(horas=h))


def test_item_rules(http: httpx.Client, emu: emulator.Running) -> None:
    assert _reject(http, _with_item(2, 3, extra=1)) == (
        400,
        V,
        "hora 2 medicao 3: fields missing [], unknown ['extra']",
    )
    # Item 3 of hour 2 is slot 14: it ends 01:15; its START 01:10 is refused.
    assert _reject(http, _with_item(2, 3, dataReferenciaConsumo="2026-10-01T01:10:00-03:00")) == (
        400,
        V,
        "hora 2 medicao 3: dataReferenciaConsumo '2026-10-01T01:10:00-03:00', expected "
        "'2026-10-01T01:15:00-03:00' (interval end, -03:00)",
    )
    assert _reject(http, _with_item(2, 3, consumo=7)) == (
        400,
        V,
        "hora 2 medicao 3: consumo 7 is not a non-negative kWh number with 3 decimals",
    )
    assert _reject(http, _with_item(2, 3, consumo="-0.100"))[2] == (
        "hora 2 medicao 3: consumo '-0.100' is not a non-negative kWh number with 3 decimals"
    )
    assert _reject(http, _with_item(2, 3, consumo="1234567890.000"))[0] == 400  # > 9 digits
    assert _reject(http, _with_item(2, 3, consumo="0.1000"))[0] == 400
    assert _reject(http, _with_item(2, 3, consumo='"0.100"'))[0] == 400  # a JSON string
    assert _reject(http, _with_item(2, 3, tipoConsumo="MEDIDA")) == (
        400,
        V,
        "hora 2 medicao 3: tipoConsumo 'MEDIDA' not in ['AJUSTADO', 'ESTIMADO', 'MEDIDO']",
    )
    for tipo in ("AJUSTADO", "ESTIMADO"):
        assert _post(http, _with_item(2, 3, tipoConsumo=tipo)).status_code == 200
    emu.state.ucs[UC] = emulator.Uc(AGENT, None)  # no MUSD: 9 integer digits are allowed
    assert _post(http, _with_item(2, 3, consumo="123456789.000")).status_code == 200


def test_musd_limit_is_inclusive(http: httpx.Client, emu: emulator.Running) -> None:
    # MUSD 100 kW x 1.25 = 125.00 kWh an hour. Hour 3 at exactly 125.000 kWh:
    # 11 x 10.417 = 114.587, + 10.413 = 125.000 -> accepted (not above the limit).
    h = _hours()
    h[2] = dict(
        h[2],
        medicoes=[dict(m, consumo="10.417") for m in h[2]["medicoes"][:11]]
        + [dict(h[2]["medicoes"][11], consumo="10.413")],
    )
    assert _post(http, _text(_doc(horas=h))).status_code == 200
    # 1 Wh more in hour 3 (125.001) and hour 5 at 12 x 10.500 = 126.000: both named.
    h[2]["medicoes"][11] = dict(h[2]["medicoes"][11], consumo="10.414")
    h[4] = dict(h[4], medicoes=[dict(m, consumo="10.500") for m in h[4]["medicoes"]])
    assert _reject(http, _text(_doc(horas=h))) == (
        422,
        "ERR_MUSD_EXCEDIDO",
        "consumo horario acima de 1.25 x MUSD (125.00 kWh): "
        "hora 3: 125.001 kWh; hora 5: 126.000 kWh",
    )
    assert emu.state.rejected == 1
    emu.state.ucs[UC] = emulator.Uc(AGENT, None)  # no MUSD known: no check
    assert _post(http, _text(_doc(horas=h))).status_code == 200


# --- faults ---
def _faults(http: httpx.Client, *faults: dict[str, Any]) -> None:
    assert http.post("/_emulator/faults", json={"faults": list(faults)}).json() == {"ok": True}


def test_fault_answers(http: httpx.Client, emu: emulator.Running) -> None:
    h = _h(http)
    body = _text(_doc())
    _faults(http, {"kind": "500"}, {"kind": "503"}, {"kind": "429"}, {"kind": "400"})
    _faults(http, {"kind": "429", "retry_after": 9}, {"kind": "400", "message": "m"})
    assert _error(_post(http, body, h)) == (500, "ERR_INTERNO", "falha simulada")
    assert _error(_post(http, body, h)) == (503, "ERR_INTERNO", "falha simulada")
    r = _post(http, body, h)
    assert _error(r) == (429, "ERR_LIMITE", "muitas requisicoes")
    assert r.headers["Retry-After"] == "1"
    assert _error(_post(http, body, h)) == (400, V, "campo invalido (simulado)")
    assert _post(http, body, h).headers["Retry-After"] == "9"
    assert _error(_post(http, body, h)) == (400, V, "m")
    assert emu.state.requests == 6 and emu.state.accepted == 0
    assert _post(http, body, h).status_code == 200  # the queue is empty again


def test_fault_timeout_answers_late(http: httpx.Client) -> None:
    h = _h(http)
    _faults(http, {"kind": "timeout", "delay": 0.2})
    t0 = datetime.now()
    r = _post(http, _text(_doc()), h)
    assert datetime.now() - t0 >= timedelta(seconds=0.2)
    assert _error(r) == (504, "ERR_TIMEOUT", "resposta tardia")


def test_fault_reset_drops_the_connection(http: httpx.Client, emu: emulator.Running) -> None:
    h = _h(http)
    _faults(http, {"kind": "reset"})
    with pytest.raises(httpx.TransportError):
        _post(http, _text(_doc()), h)
    assert emu.state.accepted == 0 and emu.state.requests == 1


def test_token_faults_aimed_at_the_token_endpoint(
    http: httpx.Client, emu: emulator.Running
) -> None:
    h = _h(http)
    _faults(http, {"kind": "503", "on": "token"}, {"kind": "500"})
    # The API request takes the API fault, leaving the token one queued.
    assert _post(http, _text(_doc()), h).status_code == 500
    assert emu.state.stats()["faults_pending"] == 1
    r = http.post("/sso/oauth/token", data={"client_id": "id", "client_secret": "secret"})
    assert r.status_code == 503 and emu.state.token_requests == 1  # a fault is not counted
    assert emu.state.faults == [] and emu.state.requests == 1


def test_expire_token_and_no_seconds(http: httpx.Client, emu: emulator.Running) -> None:
    h = _h(http)
    assert _post(http, _text(_doc()), h).status_code == 200
    _faults(http, {"kind": "expire_token"})
    assert _error(_post(http, _text(_doc()), h))[:2] == (401, "ERR_TOKEN_INVALIDO")
    assert emu.state.tokens == {}
    h = _h(http)
    emu.state.page_size = 288
    _faults(http, {"kind": "no_seconds"})
    r = http.get(
        "/v1/varejista/consumo/medicoes",
        params={
            "codigoUnidadeConsumidora": UC,
            "dataInicio": "2026-10-01",
            "dataFim": "2026-10-01",
        },
        headers=h,
    )
    assert r.status_code == 200 and emu.state.no_seconds
    assert r.json()["medicoes"][0]["dataReferenciaConsumo"] == "2026-10-01T00:05-03:00"
    assert r.json()["medicoes"][-1]["dataReferenciaConsumo"] == "2026-10-02T00:00-03:00"


# --- read-back ---
def _get(http: httpx.Client, h: dict[str, str], **params: str) -> httpx.Response:
    return http.get("/v1/varejista/consumo/medicoes", params=params, headers=h)


def test_read_back_rules_and_pages(http: httpx.Client, emu: emulator.Running) -> None:
    h = _h(http)
    for d in (date(2026, 9, 30), DAY, date(2026, 10, 2)):
        assert _post(http, _text(_doc(d, consumo="1.250")), h).status_code == 200
    q = {"codigoUnidadeConsumidora": UC}
    msg = "codigoUnidadeConsumidora, dataInicio and dataFim (YYYY-MM-DD) required"
    assert _error(_get(http, h, **q, dataInicio="2026-10-01")) == (400, V, msg)
    assert _error(_get(http, h, **q, dataInicio="2026-10-01", dataFim="x")) == (400, V, msg)
    one_month = (400, V, "dataInicio and dataFim must be in one month")
    assert _error(_get(http, h, **q, dataInicio="2026-10-02", dataFim="2026-10-01")) == one_month
    assert _error(_get(http, h, **q, dataInicio="2026-10-31", dataFim="2026-11-01")) == one_month
    assert _error(_get(http, h, **q, dataInicio="2025-10-01", dataFim="2026-10-01")) == one_month
    assert _get(http, {}, **q, dataInicio="2026-10-01", dataFim="2026-10-31").status_code == 401
    # October holds Oct 1 and 2 (Sept 30 is another month): 576 values, pages of 250.
    emu.state.page_size = 250
    r = _get(http, h, **q, dataInicio="2026-10-01", dataFim="2026-10-31").json()
    assert len(r["medicoes"]) == 250
    assert r["medicoes"][0] == {
        "codigoUnidadeConsumidora": UC,
        "dataReferenciaConsumo": "2026-10-01T00:05:00-03:00",
        "consumo": 1.25,
        "tipoConsumo": "MEDIDO",
        "status": "CONSISTIDA",
    }
    token = r["indexProximaPagina"]
    assert base64.urlsafe_b64decode(token).split(b":")[1] == b"250"
    r = _get(http, h, **q, dataInicio="2026-10-01", dataFim="2026-10-31", indexProximaPagina=token)
    page = r.json()
    assert len(page["medicoes"]) == 250
    assert page["medicoes"][0]["dataReferenciaConsumo"] == "2026-10-01T20:55:00-03:00"  # slot 250
    r = _get(
        http,
        h,
        **q,
        dataInicio="2026-10-01",
        dataFim="2026-10-31",
        indexProximaPagina=page["indexProximaPagina"],
    ).json()
    assert len(r["medicoes"]) == 76 and r["indexProximaPagina"] is None  # 576 - 500
    assert r["medicoes"][-1]["dataReferenciaConsumo"] == "2026-10-03T00:00:00-03:00"
    # One day only, exactly one page: no next-page token.
    emu.state.page_size = 288
    r = _get(http, h, **q, dataInicio="2026-10-02", dataFim="2026-10-02").json()
    assert len(r["medicoes"]) == 288 and r["indexProximaPagina"] is None
    assert r["medicoes"][0]["dataReferenciaConsumo"] == "2026-10-02T00:05:00-03:00"
    # Another UC's values are not shown.
    other = {"codigoUnidadeConsumidora": "001347925802811"}
    r = _get(http, h, **other, dataInicio="2026-10-01", dataFim="2026-10-31").json()
    assert r == {"medicoes": [], "indexProximaPagina": None}
    bad = base64.urlsafe_b64encode(b"nocolon").decode()
    assert _error(
        _get(http, h, **q, dataInicio="2026-10-01", dataFim="2026-10-31", indexProximaPagina=bad)
    ) == (400, V, "indexProximaPagina invalido")
    nan = base64.urlsafe_b64encode(b"ab:cd").decode()
    r = _get(http, h, **q, dataInicio="2026-10-01", dataFim="2026-10-31", indexProximaPagina=nan)
    assert r.status_code == 400


def test_read_back_fault(http: httpx.Client, emu: emulator.Running) -> None:
    h = _h(http)
    _faults(http, {"kind": "503"})
    r = _get(http, h, codigoUnidadeConsumidora=UC, dataInicio="2026-10-01", dataFim="2026-10-01")
    assert r.status_code == 503 and emu.state.requests == 1


# --- administration ---
def test_admin_ucs_reject_config_reset(http: httpx.Client, emu: emulator.Running) -> None:
    http.post(
        "/_emulator/ucs",
        json={"ucs": [{"uc": "001", "agent": "12", "musd_kw": 2.5}, {"uc": "002", "agent": 3}]},
    )
    assert emu.state.ucs["001"] == emulator.Uc(12, Decimal("2.5"))
    assert emu.state.ucs["002"] == emulator.Uc(3, None)
    h = _h(http)
    _post(http, _text(_doc()), h)
    stamps = ["2026-10-01T00:10:00-03:00", "2026-10-02T00:00:00-03:00"]
    http.post("/_emulator/reject", json={"uc": UC, "day": "2026-10-01", "stamps": stamps})
    st = [v["status"] for v in emu.state.values[(UC, "2026-10-01")]]
    assert st[1] == st[287] == "REJEITADA" and st.count("REJEITADA") == 2
    http.post("/_emulator/reject", json={"uc": UC, "day": "2026-10-09", "stamps": stamps})
    http.post(
        "/_emulator/config",
        json={"post_delay_s": 0.01, "page_size": 7, "token_ttl_s": 9, "accept_unknown_ucs": True},
    )
    assert (emu.state.post_delay_s, emu.state.page_size, emu.state.token_ttl_s) == (0.01, 7, 9)
    assert emu.state.accept_unknown_ucs is True
    _faults(http, {"kind": "no_seconds"}, {"kind": "500"})
    _get(http, h, codigoUnidadeConsumidora=UC, dataInicio="2026-10-01", dataFim="2026-10-01")
    assert emu.state.no_seconds
    assert http.post("/_emulator/reset").json() == {"ok": True}
    s = emu.state
    assert (s.faults, s.posts, s.hashes, s.values) == ([], {}, {}, {})
    assert (s.accepted, s.rejected, s.requests, s.token_requests, s.no_seconds) == (
        0,
        0,
        0,
        0,
        False,
    )
    assert s.ucs["001"].agent == 12  # the UCs stay registered


def test_admin_only_from_loopback() -> None:
    # This machine's own non-loopback address (a UDP "connect" sends nothing).
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
            addr = probe.getsockname()[0]
        except OSError:
            addr = "127.0.0.1"
    if addr.startswith("127."):
        pytest.skip("no non-loopback IPv4 address on this machine")
    running = emulator.start(host="0.0.0.0")
    try:
        port = running.server.server_address[1]
        with httpx.Client(base_url=f"http://{addr}:{port}", timeout=5) as c:
            r = c.post("/_emulator/reset")
        assert _error(r) == (403, "ERR_ADMIN", "administration from loopback only")
    finally:
        running.stop()


# --- plumbing ---
def test_expected_stamp_by_hand() -> None:
    assert emulator.expected_stamp(DAY, 1, 1) == "2026-10-01T00:05:00-03:00"
    assert emulator.expected_stamp(DAY, 1, 12) == "2026-10-01T01:00:00-03:00"
    assert emulator.expected_stamp(DAY, 14, 1) == "2026-10-01T13:05:00-03:00"
    assert emulator.expected_stamp(DAY, 24, 12) == "2026-10-02T00:00:00-03:00"
    assert emulator.expected_stamp(date(2026, 12, 31), 24, 12) == "2027-01-01T00:00:00-03:00"


def test_running_url_and_stop() -> None:
    running = emulator.start(emulator.State(page_size=3))
    host, port = running.server.server_address[:2]
    assert running.url == f"http://127.0.0.1:{port}" and host == "127.0.0.1"
    assert running.state.page_size == 3 and running.thread.daemon
    assert running.thread.name == "ccee-emulator"
    running.stop()
    assert not running.thread.is_alive()
    with pytest.raises(httpx.TransportError):
        httpx.get(running.url + "/_emulator/stats", timeout=1)
    default = emulator.start()
    assert default.state.musd_factor == Decimal("1.25") and default.state.clients == {}
    default.stop()


def test_invalid_defaults() -> None:
    e = emulator.Invalid("x")
    assert (str(e), e.code, e.status) == ("x", "ERR_VALIDACAO_CAMPOS", 400)
