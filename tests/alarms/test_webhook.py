"""The alarm webhook against a real HTTP receiver on loopback: retry with backoff, delivery log."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from jobs.alarm_webhook import WebhookSender, redact
from tests.alarms.helpers import insert_instant, rows


class Receiver:
    """Answers 503 to the first `fail` requests, then 200; keeps what it received."""

    def __init__(self, fail: int) -> None:
        self.fail = fail
        self.bodies: list[tuple[dict[str, Any], str | None]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.bodies.append((json.loads(body), self.headers.get("X-SMF-Signature")))
                outer.raw = body
                code = 503 if len(outer.bodies) <= outer.fail else 200
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://user:pw@127.0.0.1:{self.server.server_port}/hook?token=abc"
        self.raw = b""

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def opened(reg: dict[str, Any]) -> Iterator[dict[str, Any]]:
    insert_instant(
        reg["url"], reg["a12"], datetime(2026, 10, 5, 12, tzinfo=UTC), VA=220, VB=200, VC=210
    )
    yield reg


@pytest.mark.slow
def test_retries_with_backoff_until_delivered_and_records_each_try(opened: dict[str, Any]) -> None:
    url = opened["url"]
    with Receiver(fail=2) as rx:
        sender = WebhookSender(rx.url, settings=url, base_delay_s=0.0, secret="s3cret")
        assert sender.deliver_pending() == 0  # 503
        assert sender.deliver_pending() == 0  # 503
        assert sender.deliver_pending() == 1  # 200
        assert sender.deliver_pending() == 0  # nothing left
    body, sig = rx.bodies[-1]
    assert body["event"] == "opened" and body["alarm"]["rule_code"] == "c"
    assert body["alarm"]["customer_name"] == "Fabrica Um"
    assert sig == "sha256=" + hmac.new(b"s3cret", rx.raw, hashlib.sha256).hexdigest()
    tries = rows(url, "select attempt, status_code, error, url from smf.alarm_delivery order by 1")
    assert [(t["attempt"], t["status_code"], t["error"]) for t in tries] == [
        (1, 503, "HTTP 503"),
        (2, 503, "HTTP 503"),
        (3, 200, None),
    ]
    assert all("pw" not in t["url"] and "token" not in t["url"] for t in tries)  # no credentials
    [n] = rows(url, "select attempts, delivered_at, gave_up_at from smf.alarm_notification")
    assert n["attempts"] == 3 and n["delivered_at"] is not None and n["gave_up_at"] is None


@pytest.mark.slow
def test_backoff_defers_the_next_try_and_gives_up_after_max(opened: dict[str, Any]) -> None:
    url = opened["url"]
    sender = WebhookSender("http://127.0.0.1:9/none", settings=url, base_delay_s=60, max_attempts=2)
    assert [sender.backoff(n) for n in (1, 2, 3)] == [60.0, 120.0, 240.0]  # 60 x 2^(n-1)
    assert sender.deliver_pending() == 0  # connection refused; next try in 60 s
    assert sender.deliver_pending() == 0  # not due yet: no second try
    assert rows(url, "select count(*) as n from smf.alarm_delivery")[0]["n"] == 1
    [e] = rows(url, "select error, status_code from smf.alarm_delivery")
    assert e["status_code"] is None and "ConnectError" in e["error"]
    sender = WebhookSender("http://127.0.0.1:9/none", settings=url, base_delay_s=0, max_attempts=2)
    rows(url, "update smf.alarm_notification set next_try_at = now() returning id")
    sender.deliver_pending()
    [n] = rows(url, "select attempts, gave_up_at from smf.alarm_notification")
    assert n["attempts"] == 2 and n["gave_up_at"] is not None
    assert redact("https://u:p@h.example:8443/x?k=1") == "https://h.example:8443/x"
