"""Alarm webhook: deliver the alarm outbox (smf.alarm_notification) by HTTP POST.

Every alarm transition (opened, acknowledged, cleared, closed) is written to the outbox by a
trigger in the transaction that caused it, so nothing is lost when the receiver is down. This
sender posts each pending notification as JSON; a 2xx answer marks it delivered, anything else
(status or network error) schedules the next try after an exponential backoff
(base x 2^(tries-1), capped), and after ``max_attempts`` tries it is given up. Every try is
recorded in smf.alarm_delivery (URL without credentials, status or error, duration).

Body: ``{"notification_id", "event", "alarm": {sheet row}}``. With SMF_ALARM_WEBHOOK_SECRET set,
the header ``X-SMF-Signature: sha256=<hex HMAC of the body>`` lets the receiver check the sender;
the secret is never logged or stored.

The scheduler runs one delivery pass as job alarm_webhook (every SMF_JOBS_ALARM_WEBHOOK_MINUTES,
1 by default; recorded in smf.job_run; `smf jobs trigger alarm_webhook` runs one now). Without
SMF_ALARM_WEBHOOK_URL the pass sends nothing and says so in its counts; the outbox keeps waiting.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import time
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from db import driver
from db.settings import Settings
from jobs.runlog import recorded

log = logging.getLogger(__name__)


def url_from_env() -> str | None:
    return os.environ.get("SMF_ALARM_WEBHOOK_URL") or None


def redact(url: str) -> str:
    """The URL without user, password and query string (what is logged and recorded)."""
    p = urlsplit(url)
    host = p.hostname or ""
    netloc = f"{host}:{p.port}" if p.port else host
    return urlunsplit((p.scheme, netloc, p.path, "", ""))


class WebhookSender:
    def __init__(
        self,
        url: str,
        *,
        settings: Settings | str | None = None,
        max_attempts: int = 8,
        base_delay_s: float = 5.0,
        max_delay_s: float = 3600.0,
        timeout_s: float = 10.0,
        secret: str | None = None,
    ) -> None:
        self.url = url
        self.settings = settings
        self.max_attempts = max_attempts
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.timeout_s = timeout_s
        self._secret = (secret or os.environ.get("SMF_ALARM_WEBHOOK_SECRET") or "").encode()

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed try number ``attempt`` (1-based)."""
        return float(min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1)))

    def _target(self) -> tuple[str, httpx.BasicAuth | None]:
        """The URL without user:password (httpx logs request URLs) and those as Basic auth."""
        p = urlsplit(self.url)
        if p.username is None:
            return self.url, None
        host = p.hostname or ""
        netloc = f"{host}:{p.port}" if p.port else host
        bare = urlunsplit((p.scheme, netloc, p.path, p.query, p.fragment))
        return bare, httpx.BasicAuth(unquote(p.username), unquote(p.password or ""))

    def _post(self, client: httpx.Client, body: bytes) -> tuple[int | None, str | None]:
        headers = {"Content-Type": "application/json"}
        if self._secret:
            digest = hmac.new(self._secret, body, hashlib.sha256).hexdigest()
            headers["X-SMF-Signature"] = f"sha256={digest}"
        try:
            url, auth = self._target()
            r = client.post(
                url, content=body, headers=headers, auth=auth or httpx.USE_CLIENT_DEFAULT
            )
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"
        return r.status_code, None if r.is_success else f"HTTP {r.status_code}"

    def deliver_pending(self, limit: int = 100) -> int:
        """One pass over the due notifications; returns how many were delivered."""
        return self.deliver_pass(limit)["delivered"]

    def deliver_pass(self, limit: int = 100) -> dict[str, int]:
        """One pass over the due notifications: {"tried", "delivered", "failed"}."""
        delivered = tried = 0
        with (
            driver.connect(self.settings) as conn,
            httpx.Client(timeout=self.timeout_s) as client,
        ):
            for n in driver.run(conn, "alarm_pending_notifications", limit=limit):
                body = json.dumps(
                    {"notification_id": n["id"], "event": n["event"], "alarm": n["alarm"]},
                    default=str,
                ).encode()
                t0 = time.perf_counter()
                status, error = self._post(client, body)
                ok = error is None
                tried += 1
                attempt = int(n["attempts"]) + 1
                driver.run(
                    conn,
                    "alarm_delivery_record",
                    id=n["id"],
                    url=redact(self.url),
                    status_code=status,
                    error=error,
                    duration_ms=round((time.perf_counter() - t0) * 1000),
                    ok=ok,
                    retry_in_s=0.0 if ok else self.backoff(attempt),
                    max_attempts=self.max_attempts,
                )
                if ok:
                    delivered += 1
                else:
                    log.warning(
                        "alarm notification %s to %s failed (try %s): %s",
                        n["id"],
                        redact(self.url),
                        attempt,
                        error,
                    )
        return {"tried": tried, "delivered": delivered, "failed": tried - delivered}

    def run_forever(self, poll_s: float = 2.0, stop: Any = None) -> None:
        """Deliver until ``stop`` (an object with is_set()) is set; polls every ``poll_s``."""
        while stop is None or not stop.is_set():
            try:
                self.deliver_pending()
            except Exception as exc:  # the database may be restarting: try again next round
                log.warning("alarm webhook pass failed: %s", exc)
            time.sleep(poll_s)


@recorded("alarm_webhook")
def run() -> dict[str, Any]:
    """The scheduler's job: one delivery pass to SMF_ALARM_WEBHOOK_URL (backoff and give-up as
    configured in the outbox rows: a failed notification waits for its next_try_at)."""
    url = url_from_env()
    if not url:
        return {"tried": 0, "delivered": 0, "failed": 0, "url": None}
    counts: dict[str, Any] = dict(WebhookSender(url).deliver_pass())
    return counts | {"url": redact(url)}
