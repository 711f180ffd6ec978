"""Our CCEE, for tests and the demo: a real HTTP server (loopback), never a mock of the client.

Endpoints (domain notes, "The submission call"):
- POST /sso/oauth/token            form client_id, client_secret -> {access_token, expires_in}
- POST /medidas/v1/medicao         one UC-day, strictly validated (field names, 24 x 12 shape,
                                   end stamps at -03:00, consumo with three decimals, tipoConsumo,
                                   known UC and agent, MUSD rule) -> 200 {protocolo, ...}
- GET  /v1/varejista/consumo/medicoes?codigoUnidadeConsumidora&dataInicio&dataFim
                                   [&indexProximaPagina]: each value with status CONSISTIDA /
                                   REJEITADA, paginated by an opaque token, same month only.
Errors are JSON {error, message}. Administration for tests (loopback only):
- POST /_emulator/faults {"faults": [{"kind": K, ...}]}: queued, one per following API request;
  K in 500, 503 (optional `message`), timeout (answers after `delay` s), reset (TCP RST, no
  answer), 429 (with `retry_after`), expire_token (every token becomes invalid: the request
  gets 401), 400 (a validation body), status (answers `status`), no_seconds (read-back stamps
  without seconds). A fault with "on": "token" hits the token endpoint instead of the API.
- POST /_emulator/ucs {"ucs": [{"uc": code, "agent": int, "musd_kw": number|null}]}
- GET /_emulator/stats: posts per UC-day, accepted and rejected counts, distinct payloads.
- POST /_emulator/reset: forget submissions and faults.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

BRT = timezone(timedelta(hours=-3))
TIPOS = {"MEDIDO", "AJUSTADO", "ESTIMADO"}
_CONSUMO = re.compile(r"^\d{1,9}\.\d{3}$")


class _Num(str):
    """A JSON number kept as its source text (to check the three decimals)."""


@dataclass
class Uc:
    agent: int
    musd_kw: Decimal | None = None


@dataclass
class State:
    clients: dict[str, str] = field(default_factory=dict)
    ucs: dict[str, Uc] = field(default_factory=dict)
    accept_unknown_ucs: bool = False
    musd_factor: Decimal = Decimal("1.25")
    token_ttl_s: float = 300.0
    page_size: int = 100
    tokens: dict[str, float] = field(default_factory=dict)
    faults: list[dict[str, Any]] = field(default_factory=list)
    posts: dict[str, int] = field(default_factory=dict)  # "uc|day" -> POSTs that were accepted
    hashes: dict[str, set[str]] = field(default_factory=dict)
    values: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    requests: int = 0
    accepted: int = 0
    rejected: int = 0
    token_requests: int = 0
    no_seconds: bool = False
    post_delay_s: float = 0.0  # every submission answered after this delay (slow CCEE)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": self.requests,
                "accepted": self.accepted,
                "rejected": self.rejected,
                "token_requests": self.token_requests,
                "posts": dict(self.posts),
                "distinct_payloads": {k: len(v) for k, v in self.hashes.items()},
                "faults_pending": len(self.faults),
            }


def expected_stamp(day: date, hora: int, item: int) -> str:
    """The end stamp of item `item` (1..12) of hour `hora` (1..24) of day `day`, at -03:00."""
    end = datetime(day.year, day.month, day.day, tzinfo=BRT) + timedelta(
        minutes=60 * (hora - 1) + 5 * item
    )
    return end.strftime("%Y-%m-%dT%H:%M:%S-03:00")


class Invalid(Exception):
    def __init__(self, message: str, code: str = "ERR_VALIDACAO_CAMPOS", status: int = 400):
        super().__init__(message)
        self.code = code
        self.status = status


def _keys(obj: Any, want: set[str], where: str) -> None:
    if not isinstance(obj, dict):
        raise Invalid(f"{where}: expected an object")
    if set(obj) != want:
        missing, extra = sorted(want - set(obj)), sorted(set(obj) - want)
        raise Invalid(f"{where}: fields missing {missing}, unknown {extra}")


def validate(state: State, doc: Any, today: date) -> tuple[str, date, list[dict[str, Any]]]:
    """The UC, day and 288 values of a submission; raises Invalid naming the first problem."""
    _keys(
        doc,
        {"codigoUnidadeConsumidora", "codigoAgenteConcessionaria", "diaReferencia", "horas"},
        "body",
    )
    uc = doc["codigoUnidadeConsumidora"]
    if not isinstance(uc, str) or not re.fullmatch(r"[0-9]{15}", uc):
        raise Invalid("codigoUnidadeConsumidora: expected a string of 15 digits")
    agent = doc["codigoAgenteConcessionaria"]
    if isinstance(agent, bool) or not isinstance(agent, int):
        raise Invalid("codigoAgenteConcessionaria: expected an integer")
    try:
        day = date.fromisoformat(doc["diaReferencia"])
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", doc["diaReferencia"]):
            raise ValueError
    except (TypeError, ValueError):
        raise Invalid("diaReferencia: expected YYYY-MM-DD") from None
    if day >= today:
        raise Invalid(f"diaReferencia {day}: the day is not over")
    known = state.ucs.get(uc)
    if known is None and not state.accept_unknown_ucs:
        raise Invalid(f"unidade consumidora {uc} nao cadastrada no varejo", "ERR_UC_NAO_ENCONTRADA")
    if known is not None and known.agent != agent:
        raise Invalid(f"agente {agent} nao e o agente conectado da UC {uc}", "ERR_AGENTE_INVALIDO")
    horas = doc["horas"]
    if not isinstance(horas, list) or len(horas) != 24:
        raise Invalid("horas: expected 24 items")
    values: list[dict[str, Any]] = []
    hourly: list[Decimal] = []
    for h, hour in enumerate(horas, start=1):
        _keys(hour, {"hora", "medicoes"}, f"horas[{h - 1}]")
        if hour["hora"] != h or isinstance(hour["hora"], bool):
            raise Invalid(f"horas[{h - 1}].hora: expected {h}")
        med = hour["medicoes"]
        if not isinstance(med, list) or len(med) != 12:
            raise Invalid(f"hora {h}: expected 12 medicoes")
        total = Decimal(0)
        for i, m in enumerate(med, start=1):
            where = f"hora {h} medicao {i}"
            _keys(m, {"dataReferenciaConsumo", "consumo", "tipoConsumo"}, where)
            want = expected_stamp(day, h, i)
            if m["dataReferenciaConsumo"] != want:
                raise Invalid(
                    f"{where}: dataReferenciaConsumo {m['dataReferenciaConsumo']!r}, "
                    f"expected {want!r} (interval end, -03:00)"
                )
            c = m["consumo"]
            if not isinstance(c, _Num) or not _CONSUMO.match(c):
                raise Invalid(
                    f"{where}: consumo {c!r} is not a non-negative kWh number with 3 decimals"
                )
            if m["tipoConsumo"] not in TIPOS:
                raise Invalid(f"{where}: tipoConsumo {m['tipoConsumo']!r} not in {sorted(TIPOS)}")
            total += Decimal(c)
            values.append(
                {
                    "dataReferenciaConsumo": want,
                    "consumo": str(c),
                    "tipoConsumo": m["tipoConsumo"],
                    "status": "CONSISTIDA",
                }
            )
        hourly.append(total)
    if known is not None and known.musd_kw is not None:
        limit = state.musd_factor * known.musd_kw
        over = [f"hora {h}: {v} kWh" for h, v in enumerate(hourly, start=1) if v > limit]
        if over:
            raise Invalid(
                f"consumo horario acima de {state.musd_factor} x MUSD ({limit} kWh): "
                + "; ".join(over),
                "ERR_MUSD_EXCEDIDO",
                422,
            )
    return uc, day, values


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once (no 40 ms delayed-ACK stall)
    server: Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    # --- plumbing -------------------------------------------------------------------------
    def _send(self, status: int, doc: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, code: str, message: str, **headers: str) -> None:
        self._send(status, {"error": code, "message": message}, headers)

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _fault(self, on: str) -> bool:
        """Apply the next queued fault aimed at `on` ('api': submission and read-back, the
        default; 'token'); True when the request is answered (or dropped)."""
        st = self.server.state
        with st.lock:
            if on == "api":
                st.requests += 1
            i = next((i for i, f in enumerate(st.faults) if f.get("on", "api") == on), None)
            f = st.faults.pop(i) if i is not None else None
            if f and f["kind"] == "expire_token":
                st.tokens.clear()
            if f and f["kind"] == "no_seconds":
                st.no_seconds = True
        if f is None or f["kind"] in ("expire_token", "no_seconds"):
            return False
        kind = f["kind"]
        if kind in ("500", "503"):
            self._error(int(kind), "ERR_INTERNO", f.get("message", "falha simulada"))
        elif kind == "429":
            self._error(
                429,
                "ERR_LIMITE",
                "muitas requisicoes",
                **{"Retry-After": str(f.get("retry_after", 1))},
            )
        elif kind == "400":
            self._error(400, "ERR_VALIDACAO_CAMPOS", f.get("message", "campo invalido (simulado)"))
        elif kind == "status":  # any other answer, e.g. a 202 or a 300 no client should follow
            self._error(int(f["status"]), "ERR_SIMULADO", f.get("message", "status simulado"))
        elif kind == "timeout":
            time.sleep(float(f.get("delay", 2.0)))
            self._error(504, "ERR_TIMEOUT", "resposta tardia")
        elif kind == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
        return True

    def _authorised(self) -> bool:
        st = self.server.state
        auth = self.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        with st.lock:
            ok = st.tokens.get(token, 0) > time.monotonic()
        if not ok:
            self._error(401, "ERR_TOKEN_INVALIDO", "token ausente, invalido ou expirado")
            return False
        if not (
            self.headers.get("codigoAgente", "").isdigit() and self.headers.get("codigoPerfil")
        ):
            self._error(
                403, "ERR_CREDENCIAL_INVALID", "cabecalhos codigoAgente/codigoPerfil ausentes"
            )
            return False
        return True

    # --- endpoints ------------------------------------------------------------------------
    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        body = self._body()
        if path.startswith("/_emulator/"):
            return self._admin_post(path, body)
        if self._fault("token" if path == "/sso/oauth/token" else "api"):
            return None
        st = self.server.state
        if path == "/sso/oauth/token":
            form = {k: v[0] for k, v in parse_qs(body.decode(errors="replace")).items()}
            with st.lock:
                st.token_requests += 1
                ok = st.clients.get(form.get("client_id", "")) == form.get("client_secret")
            if not ok:
                return self._error(
                    401, "ERR_CREDENCIAL_INVALID", "client_id ou client_secret invalidos"
                )
            token = secrets.token_urlsafe(24)
            with st.lock:
                st.tokens[token] = time.monotonic() + st.token_ttl_s
            return self._send(
                200,
                {"access_token": token, "token_type": "Bearer", "expires_in": int(st.token_ttl_s)},
            )
        if path == "/medidas/v1/medicao":
            if not self._authorised():
                return None
            if not (self.headers.get("Content-Type") or "").startswith("application/json"):
                return self._error(
                    415, "ERR_VALIDACAO_CAMPOS", "Content-Type must be application/json"
                )
            try:
                doc = json.loads(body, parse_float=_Num, parse_int=_int_or_num)
                uc, day, values = validate(st, doc, datetime.now(BRT).date())
                header = self.headers.get("codigoAgente", "")
                if header != str(doc["codigoAgenteConcessionaria"]):
                    # the agent that calls must be the distributor the measurements are for
                    raise Invalid(
                        f"cabecalho codigoAgente {header} difere do codigoAgenteConcessionaria "
                        f"{doc['codigoAgenteConcessionaria']} do corpo",
                        "ERR_AGENTE_INVALIDO",
                    )
            except json.JSONDecodeError as exc:
                with st.lock:
                    st.rejected += 1
                return self._error(400, "ERR_VALIDACAO_CAMPOS", f"JSON invalido: {exc}")
            except Invalid as exc:
                with st.lock:
                    st.rejected += 1
                return self._error(exc.status, exc.code, str(exc))
            if st.post_delay_s:
                time.sleep(st.post_delay_s)
            key = f"{uc}|{day.isoformat()}"
            digest = hashlib.sha256(body).hexdigest()
            with st.lock:
                st.accepted += 1
                st.posts[key] = st.posts.get(key, 0) + 1
                st.hashes.setdefault(key, set()).add(digest)
                st.values[(uc, day.isoformat())] = values  # a re-post replaces earlier values
                n = st.accepted
            return self._send(
                200,
                {
                    "protocolo": f"EMU-{n:08d}",
                    "codigoUnidadeConsumidora": uc,
                    "diaReferencia": day.isoformat(),
                    "quantidadeMedicoes": 288,
                },
            )
        return self._error(404, "ERR_NAO_ENCONTRADO", f"no endpoint {path}")

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/_emulator/stats":
            return self._send(200, self.server.state.stats())
        if self._fault("api"):
            return None
        if url.path != "/v1/varejista/consumo/medicoes":
            return self._error(404, "ERR_NAO_ENCONTRADO", f"no endpoint {url.path}")
        if not self._authorised():
            return None
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        try:
            uc = q["codigoUnidadeConsumidora"]
            d0, d1 = date.fromisoformat(q["dataInicio"]), date.fromisoformat(q["dataFim"])
        except (KeyError, ValueError):
            return self._error(
                400,
                "ERR_VALIDACAO_CAMPOS",
                "codigoUnidadeConsumidora, dataInicio and dataFim (YYYY-MM-DD) required",
            )
        if (d0.year, d0.month) != (d1.year, d1.month) or d1 < d0:
            return self._error(
                400, "ERR_VALIDACAO_CAMPOS", "dataInicio and dataFim must be in one month"
            )
        st = self.server.state
        with st.lock:
            rows = [
                dict(v, diaReferencia=day)
                for (u, day), vals in sorted(st.values.items())
                if u == uc and d0.isoformat() <= day <= d1.isoformat()
                for v in vals
            ]
            cut = st.no_seconds
        offset = 0
        if q.get("indexProximaPagina"):
            try:
                offset = int(base64.urlsafe_b64decode(q["indexProximaPagina"]).split(b":")[1])
            except (ValueError, IndexError):
                return self._error(400, "ERR_VALIDACAO_CAMPOS", "indexProximaPagina invalido")
        page = rows[offset : offset + st.page_size]
        nxt = offset + st.page_size
        token = (
            base64.urlsafe_b64encode(f"{secrets.token_hex(4)}:{nxt}".encode()).decode()
            if nxt < len(rows)
            else None
        )
        out = []
        for r in page:
            stamp = r["dataReferenciaConsumo"]
            out.append(
                {
                    "codigoUnidadeConsumidora": uc,
                    "dataReferenciaConsumo": stamp[:16] + stamp[19:] if cut else stamp,
                    "consumo": float(r["consumo"]),
                    "tipoConsumo": r["tipoConsumo"],
                    "status": r["status"],
                }
            )
        return self._send(200, {"medicoes": out, "indexProximaPagina": token})

    def _admin_post(self, path: str, body: bytes) -> None:
        if self.client_address[0] not in ("127.0.0.1", "::1"):
            return self._error(403, "ERR_ADMIN", "administration from loopback only")
        st = self.server.state
        doc = json.loads(body or b"{}")
        with st.lock:
            if path == "/_emulator/faults":
                st.faults.extend(doc.get("faults", []))
            elif path == "/_emulator/ucs":
                for u in doc.get("ucs", []):
                    musd = u.get("musd_kw")
                    st.ucs[u["uc"]] = Uc(
                        int(u["agent"]), None if musd is None else Decimal(str(musd))
                    )
            elif path == "/_emulator/reject":  # mark values REJEITADA: {"uc", "day", "stamps"}
                for v in st.values.get((doc["uc"], doc["day"]), []):
                    if v["dataReferenciaConsumo"] in doc.get("stamps", []):
                        v["status"] = "REJEITADA"
            elif path == "/_emulator/config":  # {"post_delay_s", "page_size", "token_ttl_s"}
                for k in ("post_delay_s", "page_size", "token_ttl_s", "accept_unknown_ucs"):
                    if k in doc:
                        setattr(st, k, doc[k])
            elif path == "/_emulator/reset":
                st.faults.clear()
                st.posts.clear()
                st.hashes.clear()
                st.values.clear()
                st.accepted = st.rejected = st.requests = st.token_requests = 0
                st.no_seconds = False
            else:
                return self._error(404, "ERR_NAO_ENCONTRADO", f"no endpoint {path}")
        return self._send(200, {"ok": True})


def _int_or_num(text: str) -> int | _Num:
    return int(text)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str, port: int, state: State) -> None:
        super().__init__((host, port), Handler)
        self.state = state

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (killed, reset) is not an error of ours; others are."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass
class Running:
    server: Server
    thread: threading.Thread

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def state(self) -> State:
        return self.server.state

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def start(state: State | None = None, host: str = "127.0.0.1", port: int = 0) -> Running:
    """Serve in a background thread (port 0: any free port); `.stop()` ends it."""
    server = Server(host, port, state or State())
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="ccee-emulator",
        daemon=True,
    )
    thread.start()
    return Running(server, thread)
