"""The CCEE HTTP client: the only module that uses httpx.

- OAuth2 client credentials (`POST {base}/sso/oauth/token`, form client_id/client_secret); the
  token is refreshed before it expires (at 80 % of its life, at least 15 s early).
- Every call carries `Authorization: Bearer`, `codigoAgente`, `codigoPerfil`, a timeout, and
  passes a client-side rate limit (token bucket, SMF_CCEE_RATE_PER_S).
- Retries with exponential backoff and full jitter on connection errors, timeouts and 5xx; 429
  waits for `Retry-After`; 401 refreshes the token once; any other 4xx is a rejection: CCEE's
  body is returned to be recorded, never retried blindly.
- TLS verification is always on (optionally against SMF_CCEE_CA_BUNDLE); an mTLS client
  certificate is used when configured. Plain http is refused unless the host is loopback (our
  emulator). The client secret and tokens are never logged, stored or put in an error message.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import random
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import certifi
import httpx

from ccee.errors import AuthError, ConfigError
from db.settings import CceeSettings

log = logging.getLogger("smf.ccee")
MAX_BACKOFF_S = 30.0
MAX_RETRY_AFTER_S = 120.0


@dataclass(frozen=True, slots=True)
class Result:
    """The end of one submission: accepted (2xx), rejected (other 4xx) or failed (no answer
    after the retries). `status`/`body` are the last HTTP answer, `tries` the requests made."""

    outcome: str
    status: int | None
    body: str
    tries: int


class RateLimiter:
    """Token bucket: at most `rate` calls per second on average, bursts of `rate` (>= 1)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.at = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        if self.rate <= 0:
            return
        while True:
            with self.lock:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
                self.at = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                need = (1 - self.tokens) / self.rate
            time.sleep(need)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def retry_after_s(value: str | None, default: float) -> float:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return default
    try:
        return min(MAX_RETRY_AFTER_S, max(0.0, float(value)))
    except ValueError:
        pass
    try:
        return min(
            MAX_RETRY_AFTER_S, max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        )
    except (TypeError, ValueError):
        return default


REQUIRED = ("client_id", "client_secret", "profile_code")


def config_problems(settings: CceeSettings) -> list[str]:
    """Every problem of the CCEE settings at once (never a secret's value): a bad base URL and
    each missing variable. SMF_CCEE_AGENT_CODE is optional: each request carries the agent code
    of the distributor its payload is for; the setting only serves calls without a payload."""
    problems = []
    url = urlsplit(settings.base_url)
    if url.scheme not in ("https", "http"):
        problems.append(f"SMF_CCEE_BASE_URL {settings.base_url!r}: expected an https URL")
    elif url.scheme == "http" and not _is_loopback(url.hostname or ""):
        problems.append(
            f"SMF_CCEE_BASE_URL {settings.base_url!r}: plain http is only allowed on loopback"
        )
    missing = [f"SMF_CCEE_{n.upper()}" for n in REQUIRED if not getattr(settings, n)]
    if missing:
        problems.append("not set: " + ", ".join(missing))
    return problems


def agent_of(body: bytes) -> str | None:
    """The distributor's CCEE agent code a payload is for (its `codigoAgenteConcessionaria`),
    sent as the `codigoAgente` header of that request; None when the body does not say."""
    try:
        doc = json.loads(body)
        return str(doc["codigoAgenteConcessionaria"])
    except (ValueError, TypeError, KeyError):
        return None


class CceeClient:
    def __init__(self, settings: CceeSettings, *, sleep: Any = time.sleep) -> None:
        problems = config_problems(settings)
        if problems:
            raise ConfigError("CCEE settings: " + "; ".join(problems) + " (README: CCEE, settings)")
        self.s = settings
        self._sleep = sleep
        # One TLS context (httpx deprecates verify=<path> and cert=...): verification always on,
        # against SMF_CCEE_CA_BUNDLE or certifi's CAs (httpx's default); the mTLS client
        # certificate when set (its key in SMF_CCEE_KEY or in the same PEM file).
        tls = ssl.create_default_context(cafile=settings.ca_bundle or certifi.where())
        if settings.cert:
            tls.load_cert_chain(settings.cert, settings.key)
        self.http = httpx.Client(
            base_url=settings.base_url,
            timeout=httpx.Timeout(settings.timeout_s),
            verify=tls,
            limits=httpx.Limits(max_connections=max(4, settings.concurrency * 2)),
            headers={"codigoPerfil": settings.profile_code},
        )
        self.limiter = RateLimiter(settings.rate_per_s)
        self._token: str | None = None
        self._token_until = 0.0
        self._token_lock = threading.Lock()
        self.token_refreshes = 0

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> CceeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- token ----------------------------------------------------------------------------
    def token(self, *, force: bool = False, stale: str | None = None) -> str:
        """A valid bearer token; a new one when forced (and nobody refreshed `stale` already)."""
        with self._token_lock:
            if force and stale is not None and self._token != stale:
                force = False  # another thread already replaced the rejected token
            if not force and self._token and time.monotonic() < self._token_until:
                return self._token
            form = {"client_id": self.s.client_id, "client_secret": str(self.s.client_secret)}
            for n in range(self.s.retries + 1):
                self.limiter.wait()
                try:
                    r = self.http.post(self.s.token_path, data=form)
                except (httpx.TransportError, httpx.TimeoutException) as exc:
                    if n == self.s.retries:
                        raise AuthError(0, f"{type(exc).__name__}: no answer") from None
                    self._sleep(self._backoff(n))
                    continue
                if r.status_code == 200:
                    break
                if (r.status_code < 500 and r.status_code != 429) or n == self.s.retries:
                    raise AuthError(r.status_code, r.text)
                default = self._backoff(n)
                self._sleep(retry_after_s(r.headers.get("Retry-After"), default))
            doc = r.json()
            life = float(doc.get("expires_in", 300))
            self._token = str(doc["access_token"])
            self._token_until = time.monotonic() + min(life * 0.8, max(life - 15, 1))
            self.token_refreshes += 1
            log.info("CCEE token refreshed (valid %.0f s)", life)
            return self._token

    # --- calls ----------------------------------------------------------------------------
    def _backoff(self, n: int) -> float:
        return random.uniform(0, min(MAX_BACKOFF_S, self.s.backoff_s * 2**n))

    def _request(
        self, method: str, path: str, headers: dict[str, str] | None = None, **kw: Any
    ) -> Result | tuple[httpx.Response, int]:
        """One call with the retry policy: the 2xx/4xx response and the requests it took, or a
        failed Result."""
        refreshed = False
        tries = 0
        last_status: int | None = None
        last_body = ""
        retries = 0
        while True:
            self.limiter.wait()
            token = self.token()
            tries += 1
            try:
                r = self.http.request(
                    method,
                    path,
                    headers={**(headers or {}), "Authorization": f"Bearer {token}"},
                    **kw,
                )
            except (httpx.TransportError, httpx.TimeoutException) as exc:
                last_status, last_body = None, f"{type(exc).__name__}: {exc}"
                log.warning("CCEE %s %s: %s (try %d)", method, path, type(exc).__name__, tries)
            else:
                if r.status_code == 401 and not refreshed:
                    refreshed = True
                    self.token(force=True, stale=token)
                    continue
                if r.status_code < 400 or (400 <= r.status_code < 500 and r.status_code != 429):
                    return r, tries
                last_status, last_body = r.status_code, r.text
                if r.status_code == 429:
                    wait = retry_after_s(r.headers.get("Retry-After"), self._backoff(retries))
                    if retries >= self.s.retries:
                        break
                    retries += 1
                    self._sleep(wait)
                    continue
            if retries >= self.s.retries:
                break
            self._sleep(self._backoff(retries))
            retries += 1
        return Result("failed", last_status, last_body, tries)

    def submit(self, body: bytes, agent_code: str | int | None = None) -> Result:
        """POST one UC-day document; accepted (2xx), rejected (4xx: CCEE's body) or failed.
        The `codigoAgente` header is `agent_code`, by default the payload's own distributor."""
        agent = str(agent_code) if agent_code is not None else agent_of(body)
        agent = agent or self.s.agent_code  # a body that does not say: CCEE will refuse it
        got = self._request(
            "POST",
            self.s.submit_path,
            content=body,
            headers={"Content-Type": "application/json", "codigoAgente": agent},
        )
        if isinstance(got, Result):
            return got
        r, tries = got
        if r.status_code < 300:
            return Result("accepted", r.status_code, r.text, tries)
        if r.status_code in (401, 403):  # our credentials, not the payload: try again later
            return Result("failed", r.status_code, r.text, tries)
        return Result("rejected", r.status_code, r.text, tries)

    def read_back(
        self, uc_code: str, first: date, last: date, agent_code: str | int | None = None
    ) -> Iterator[dict[str, Any]]:
        """CCEE's values and verdicts (status CONSISTIDA / REJEITADA) of one UC over days of one
        month, following `indexProximaPagina` until the last page."""
        params: dict[str, str] = {
            "codigoUnidadeConsumidora": uc_code,
            "dataInicio": first.isoformat(),
            "dataFim": last.isoformat(),
        }
        agent = str(agent_code) if agent_code is not None else self.s.agent_code
        if not agent:
            raise ConfigError(
                f"CCEE read-back of {uc_code}: no agent code (give the UC's distributor's, or "
                "set SMF_CCEE_AGENT_CODE)"
            )
        while True:
            got = self._request(
                "GET", self.s.readback_path, params=params, headers={"codigoAgente": agent}
            )
            if isinstance(got, Result):
                status, body = got.status, got.body
                raise RuntimeError(f"CCEE read-back of {uc_code} failed: {status} {body[:300]}")
            r = got[0]
            if r.status_code >= 300:
                raise RuntimeError(
                    f"CCEE read-back of {uc_code} failed: {r.status_code} {r.text[:300]}"
                )
            doc = r.json()
            yield from doc.get("medicoes", [])
            nxt = doc.get("indexProximaPagina")
            if not nxt:
                return
            params["indexProximaPagina"] = nxt
