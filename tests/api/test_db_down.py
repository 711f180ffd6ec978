"""The database goes away during service: requests get 503 problem+json (never a stack trace),
and the API serves again once the database is back, without a restart.

The app reaches the real cluster over TCP through a loopback relay that the test cuts (every
connection reset, new ones refused) and restores: the server stays up for the other tests."""

from __future__ import annotations

import contextlib
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


def test_database_down_is_503_then_recovers(seeded: Seed) -> None:
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
