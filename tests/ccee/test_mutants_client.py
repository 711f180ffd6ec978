"""ccee.client against our loopback CCEE emulator, no mocks (issue 13, mutation survivors):
settings checks, the token's life, the retry policy's waits, status codes, the rate limiter."""

from __future__ import annotations

import json
import random
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime

import pytest

from ccee import emulator, payload
from ccee.client import CceeClient, RateLimiter, retry_after_s
from ccee.errors import AuthError, ConfigError
from db.settings import CceeSettings, Secret

UC = "001347925802810"
DAY = date(2026, 10, 1)


def _body(wh: int = 100) -> bytes:
    stamps = [emulator.expected_stamp(DAY, s // 12 + 1, s % 12 + 1) for s in range(288)]
    return payload.build(UC, 7028, DAY, stamps, [wh] * 288, ["MEDIDO"] * 288).body


def _client(settings: CceeSettings, emu: emulator.Running) -> CceeClient:
    emu.state.ucs[UC] = emulator.Uc(7028, Decimal("100"))
    waits: list[float] = []
    c = CceeClient(settings, sleep=waits.append)
    c.waits = waits  # type: ignore[attr-defined]
    return c


# --- settings ---
@pytest.mark.parametrize(
    "url", ["http://localhost:1", "http://127.0.0.1:1", "http://127.9.9.9:1", "http://[::1]:1"]
)
def test_plain_http_allowed_on_loopback(ccee_settings: CceeSettings, url: str) -> None:
    with CceeClient(replace(ccee_settings, base_url=url)) as c:
        assert str(c.http.base_url).startswith(url)


@pytest.mark.parametrize("url", ["http://10.0.0.1", "http://example.org", "http://"])
def test_plain_http_refused_elsewhere(ccee_settings: CceeSettings, url: str) -> None:
    with pytest.raises(ConfigError) as err:
        CceeClient(replace(ccee_settings, base_url=url))
    assert str(err.value) == (
        f"CCEE settings: SMF_CCEE_BASE_URL {url!r}: plain http is only allowed on loopback "
        "(README: CCEE, settings)"
    )


def test_https_anywhere_other_schemes_refused(ccee_settings: CceeSettings) -> None:
    with CceeClient(replace(ccee_settings, base_url="https://api-abm.ccee.org.br")) as c:
        assert c.http.base_url.host == "api-abm.ccee.org.br"
    with pytest.raises(ConfigError) as err:
        CceeClient(replace(ccee_settings, base_url="ftp://127.0.0.1"))
    assert str(err.value) == (
        "CCEE settings: SMF_CCEE_BASE_URL 'ftp://127.0.0.1': expected an https URL "
        "(README: CCEE, settings)"
    )


@pytest.mark.parametrize(
    ("field", "env"),
    [
        ("client_id", "SMF_CCEE_CLIENT_ID"),
        ("client_secret", "SMF_CCEE_CLIENT_SECRET"),
        ("profile_code", "SMF_CCEE_PROFILE_CODE"),
    ],
)
def test_each_missing_setting_named(ccee_settings: CceeSettings, field: str, env: str) -> None:
    empty = Secret("") if field == "client_secret" else ""
    with pytest.raises(ConfigError) as err:
        CceeClient(replace(ccee_settings, **{field: empty}))
    assert str(err.value) == f"CCEE settings: not set: {env} (README: CCEE, settings)"


def test_every_missing_setting_is_named_at_once(ccee_settings: CceeSettings) -> None:
    bare = replace(
        ccee_settings,
        base_url="http://203.0.113.9",
        client_id="",
        client_secret=Secret(""),
        agent_code="",
        profile_code="",
    )
    with pytest.raises(ConfigError) as err:
        CceeClient(bare)
    assert str(err.value) == (
        "CCEE settings: SMF_CCEE_BASE_URL 'http://203.0.113.9': plain http is only allowed on "
        "loopback; not set: SMF_CCEE_CLIENT_ID, SMF_CCEE_CLIENT_SECRET, SMF_CCEE_PROFILE_CODE "
        "(README: CCEE, settings)"
    )  # the agent code is optional: each request carries its payload's distributor


def test_headers_timeout_and_pool(ccee_settings: CceeSettings) -> None:
    s = replace(ccee_settings, timeout_s=3.5, concurrency=5)
    with CceeClient(s) as c:
        assert "codigoAgente" not in c.http.headers  # per request: the payload's distributor
        assert c.http.headers["codigoPerfil"] == "42"
        assert c.http.timeout == __import__("httpx").Timeout(3.5)
        assert c.http._transport._pool._max_connections == 10  # 2 x concurrency
    with CceeClient(replace(s, concurrency=1)) as c:
        assert c.http._transport._pool._max_connections == 4  # at least 4
    assert c.limiter.rate == 0 and c.token_refreshes == 0


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


# --- the token ---
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
    emu: emulator.Running, ccee_settings: CceeSettings, ttl: int, kept: float
) -> None:
    emu.state.token_ttl_s = ttl
    c = _client(ccee_settings, emu)
    before = time.monotonic()
    tok = c.token()
    after = time.monotonic()
    assert before + kept <= c._token_until <= after + kept
    assert c.token() == tok and c.token_refreshes == 1  # reused, not refreshed
    assert emu.state.token_requests == 1
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


# --- the retry policy ---
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


# --- Retry-After ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, 3.0),
        ("", 3.0),
        ("5", 5.0),
        ("0.5", 0.5),
        ("-4", 0.0),
        ("120", 120.0),
        ("121", 120.0),
        ("soon", 3.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
def test_retry_after_values(value: str | None, seconds: float) -> None:
    assert retry_after_s(value, 3.0) == seconds


def test_retry_after_http_date() -> None:
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert 55.0 <= retry_after_s(soon, 3.0) <= 60.0
    later = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    assert retry_after_s(later, 3.0) == 120.0


# --- the rate limiter ---
def test_rate_limiter_off() -> None:
    lim = RateLimiter(0)
    for _ in range(5):
        lim.wait()
    assert lim.tokens == 1.0  # nothing taken: no limit


def test_rate_limiter_burst_then_refill() -> None:
    lim = RateLimiter(4)
    assert (lim.capacity, lim.tokens) == (4.0, 4.0)
    for _ in range(4):
        lim.wait()
    assert 0.0 <= lim.tokens < 0.5  # a burst of 4 took the bucket
    # 0.5 s ago, empty: 4/s x 0.5 s = 2 tokens back, one taken now -> about 1 left.
    lim.tokens, lim.at = 0.0, time.monotonic() - 0.5
    lim.wait()
    assert 1.0 <= lim.tokens < 1.5
    # 10 s idle: the bucket is full again at its capacity 4, one taken -> about 3.
    lim.at = time.monotonic() - 10
    lim.wait()
    assert 3.0 <= lim.tokens < 3.5
    assert RateLimiter(0.5).capacity == 1.0  # bursts of at least one call


def test_rate_limiter_waits_for_a_token() -> None:
    lim = RateLimiter(20)
    t0 = time.monotonic()
    lim.tokens, lim.at = 0.0, t0
    lim.wait()
    # Empty at 20/s: the next token comes after 1/20 = 0.05 s at the earliest (float slack).
    assert time.monotonic() - t0 >= 0.049
    assert 0.0 <= lim.tokens < 1.0
