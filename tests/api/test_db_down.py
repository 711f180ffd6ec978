"""The database goes away during service: requests get 503 problem+json (never a stack trace),
and the API serves again once the database is back, without a restart.

The app reaches the real cluster over TCP through a loopback relay that the test cuts (every
connection reset, new ones refused) and restores: the server stays up for the other tests."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from typing import Any

import pytest

from tests.api.conftest import Seed, make_client


class Relay:
    """A TCP relay 127.0.0.1:<port> -> 127.0.0.1:<target> that can be cut and restored."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.conns: list[socket.socket] = []
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.server: socket.socket | None = None
        self.lock = threading.Lock()
        self.up = False

    def start(self) -> None:
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", self.port))
        srv.listen(16)
        self.server = srv
        self.up = True
        threading.Thread(target=self._accept, args=(srv,), daemon=True).start()

    def _accept(self, srv: socket.socket) -> None:
        while True:
            try:
                client, _ = srv.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            with self.lock:
                if not self.up:  # accepted just before a cut: cut it too
                    client.close()
                    upstream.close()
                    continue
                self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        assert self.server is not None
        with self.lock:
            self.up = False
            self.server.close()
        for c in self.conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            c.close()
        self.conns.clear()


def through_relay(seeded: Seed) -> tuple[Relay, Any]:
    """The seeded database reached through a started Relay (a TCP proxy the test can cut)."""
    if seeded.settings.external_url:
        pytest.skip("needs the local cluster")
    cs = seeded.settings.cluster
    relay = Relay(cs.port)
    relay.start()
    password = cs.password_file.read_text().strip()
    url = cs.tcp_url(seeded.settings.database, cs.user, password).replace(
        f":{cs.port}/", f":{relay.port}/"
    )
    settings = seeded.settings.__class__(
        cluster=cs,
        database=seeded.settings.database,
        external_url=url,
        local_timezone=seeded.settings.local_timezone,
    )
    return relay, settings


@pytest.mark.slow
def test_database_down_is_503_then_recovers(seeded: Seed) -> None:
    relay, settings = through_relay(seeded)
    h = seeded.headers("root")
    with make_client(settings, db_wait_s=1.0) as c:
        assert c.get("/api/v1/meters/M-A1", headers=h).status_code == 200
        relay.cut()
        for path in ("/api/v1/meters/M-A1", "/health"):
            r = c.get(path, headers=h)
            assert r.status_code == 503, (path, r.text)
            assert r.headers["retry-after"]
        r = c.get("/api/v1/meters/M-A1", headers=h)
        body: Any = r.json()
        assert body["code"] == "database-unavailable" and "Traceback" not in r.text
        relay.start()
        deadline, status = time.monotonic() + 30, 0
        while time.monotonic() < deadline and status != 200:
            status = c.get("/api/v1/meters/M-A1", headers=h).status_code
            if status != 200:
                assert status == 503
                time.sleep(0.2)
        assert status == 200
        assert c.get("/health").json()["database"] == "ok"
        relay.cut()


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.mark.slow
def test_503_bodies_say_database_unavailable_and_the_detail_goes_to_the_log(seeded: Seed) -> None:
    relay, settings = through_relay(seeded)
    h = seeded.headers("root")
    with make_client(settings, db_wait_s=1.0) as c:
        assert c.get("/api/v1/meters/M-A1", headers=h).status_code == 200
        relay.cut()
        keep = _Keep()  # (Litestar's logging set-up replaces the root logger's handlers)
        logging.getLogger("smf.api").addHandler(keep)
        try:
            r = c.get("/api/v1/meters/M-A1", headers=h)
        finally:
            logging.getLogger("smf.api").removeHandler(keep)
        assert r.status_code == 503
        body = r.json()
        assert body["detail"] == "database unavailable", body  # no libpq text, no address
        assert str(relay.port) not in r.text and "connection" not in body["detail"]
        # the log has the detail the body does not
        assert any(
            m.startswith("503 on GET /api/v1/meters/M-A1: no database connection")
            for m in keep.messages
        ), keep.messages


@pytest.mark.slow
def test_health_answers_503_within_its_short_wait_when_the_database_hangs(seeded: Seed) -> None:
    """A database that accepts connections and never answers (a hung server, a black-holed
    route): /health gives up after HEALTH_WAIT_S (< 1 s) and answers 503, whatever the requests'
    SMF_API_DB_WAIT_S. The bound is the configured wait, asserted as configuration, not timed."""
    from api.controllers import health

    assert 0 < health.HEALTH_WAIT_S < 1
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(64)
    held: list[socket.socket] = []

    def swallow() -> None:
        while True:
            try:
                conn, _ = hole.accept()
            except OSError:
                return
            held.append(conn)  # never read, never answered

    threading.Thread(target=swallow, daemon=True).start()
    port = hole.getsockname()[1]
    settings = seeded.settings.__class__(
        cluster=seeded.settings.cluster,
        database=seeded.settings.database,
        external_url=f"postgresql://nobody:x@127.0.0.1:{port}/x?connect_timeout=30",
        local_timezone=seeded.settings.local_timezone,
    )
    try:
        from litestar.testing import TestClient

        from api.app import create_app
        from api.config import ApiConfig

        app = create_app(ApiConfig(db=settings, db_wait_s=30.0), check_schema=False)
        with TestClient(app, raise_server_exceptions=False) as c:
            r = c.get("/health")
            assert r.status_code == 503 and r.json()["database"] == "unreachable"
            assert r.headers["retry-after"] == "5"
    finally:
        hole.close()
        for s in held:
            s.close()
