"""The CCEE client's settings and pacing, checked without a call to CCEE: which base URLs and
missing settings are refused (every problem named at once), the headers, timeout and connection
pool it sets up, the wait a Retry-After header asks for (seconds or an HTTP date, capped at
120 s), and the token-bucket rate limiter (SMF_CCEE_RATE_PER_S)."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from ccee.client import CceeClient, RateLimiter, retry_after_s
from ccee.errors import ConfigError
from db.settings import CceeSettings, Secret


# --- settings ---------------------------------------------------------------------------------
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


def test_headers_timeout_and_pool(
    ccee_settings: CceeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The connection pool's size is what the client hands httpx.Client (its `limits`).
    limits: list[httpx.Limits] = []
    real = httpx.Client

    def client(*args: Any, **kw: Any) -> httpx.Client:
        limits.append(kw["limits"])
        return real(*args, **kw)

    monkeypatch.setattr(httpx, "Client", client)
    s = replace(ccee_settings, timeout_s=3.5, concurrency=5)
    with CceeClient(s) as c:
        assert "codigoAgente" not in c.http.headers  # per request: the payload's distributor
        assert c.http.headers["codigoPerfil"] == "42"
        assert c.http.timeout == httpx.Timeout(3.5)
        assert len(limits) == 1 and limits[0].max_connections == 10  # 2 x concurrency
    with CceeClient(replace(s, concurrency=1)) as c:
        assert len(limits) == 2 and limits[1].max_connections == 4  # at least 4
    assert c.limiter.rate == 0 and c.token_refreshes == 0


# --- Retry-After ------------------------------------------------------------------------------
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


# --- the rate limiter -------------------------------------------------------------------------
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
