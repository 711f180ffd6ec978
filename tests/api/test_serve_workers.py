"""`smf serve --workers 2` end to end (issue 21 item 1): a real server of two worker processes on
an ephemeral loopback port, over a seeded database of its own. Nothing a client relies on lives
in one worker's memory: a web login made through one worker is honoured by the other, logout
ends the session for both, failed logins count across workers, the CSRF token of a form served
by one worker is accepted by the other, and SIGTERM stops the parent and both workers cleanly.

Which worker answered: every response carries X-SMF-Worker (its process id, api/security.py).
A request on a fresh TCP connection may reach either worker (they share the listening socket),
so each check asks on fresh connections until both workers have answered it (bounded tries).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from db import driver
from db.settings import Settings
from tests.api.conftest import Seed, seeded_clone
from tests.api.test_serve import SMF, _env, _free_port

pytestmark = pytest.mark.slow  # two worker processes start (~10 s)

TRIES = 60  # fresh connections per check before giving up on seeing both workers


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[str]
    seed: Seed


@pytest.fixture(scope="module")
def server(test_cluster: Settings, seeded_template: tuple[str, Seed]) -> Iterator[Server]:
    from tests.conftest import drop

    seed = seeded_clone(test_cluster, seeded_template)
    if seed.settings.external_url:
        pytest.skip("runs the local cluster")
    port = _free_port()
    env = {**_env(seed.settings, port), "SMF_API_POOL_SIZE": "3"}
    proc = subprocess.Popen(
        [*SMF, "serve", "--workers", "2"],
        env=env,
        cwd=Path(__file__).parents[2],
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield Server(url, proc, seed)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=30)
        drop(seed.settings)


def _wait_healthy(url: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("smf serve --workers 2 did not answer /health within 90 s")


def _on_both(check: Callable[[], httpx.Response]) -> dict[str, httpx.Response]:
    """Run `check` (which must open a fresh connection) until both workers answered it; the last
    response of each worker by its process id."""
    seen: dict[str, httpx.Response] = {}
    for _ in range(TRIES):
        r = check()
        seen[r.headers["x-smf-worker"]] = r
        if len(seen) == 2:
            break
    assert len(seen) == 2, f"only worker(s) {sorted(seen)} answered {TRIES} fresh connections"
    return seen


def _get(url: str, cookies: dict[str, str] | None = None) -> httpx.Response:
    with httpx.Client(cookies=cookies) as c:  # a client of its own: a fresh TCP connection
        return c.get(url, follow_redirects=False)


def _login_form(url: str) -> tuple[str, dict[str, str]]:
    """GET the login form on a fresh connection: its CSRF token and the cookies it set."""
    with httpx.Client() as c:
        r = c.get(f"{url}/web/login")
        assert r.status_code == 200
        m = re.search(r'name="_csrf_token" value="([^"]+)"', r.text)
        assert m, r.text
        return m.group(1), dict(c.cookies)


def _post(url: str, path: str, data: dict[str, str], cookies: dict[str, str]) -> httpx.Response:
    with httpx.Client(cookies=cookies) as c:
        return c.post(f"{url}{path}", data=data, follow_redirects=False)


def test_two_workers_answer_and_neither_is_the_parent(server: Server) -> None:
    seen = _on_both(lambda: _get(f"{server.url}/health"))
    assert all(r.status_code == 200 and r.json()["status"] == "ok" for r in seen.values())
    assert str(server.proc.pid) not in seen  # the parent only supervises
    for pid in seen:
        os.kill(int(pid), 0)  # a live process of this machine (raises if not)


def test_a_login_through_one_worker_is_honoured_by_the_other_and_logout_ends_it_for_both(
    server: Server,
) -> None:
    uc = server.seed.ucs["M-A1"]
    token, cookies = _login_form(server.url)
    r = _post(
        server.url, "/web/login", {"key": server.seed.keys["cli"], "_csrf_token": token}, cookies
    )
    assert r.status_code == 303 and r.headers["location"] == "/web", r.text
    logged_in_by = r.headers["x-smf-worker"]
    jar = {**cookies, "smf_web": r.cookies["smf_web"]}
    pages = _on_both(lambda: _get(f"{server.url}/web/uc/{uc}", jar))
    assert logged_in_by in pages  # ... and the other worker too (_on_both saw two)
    for page in pages.values():
        assert page.status_code == 200 and "Cliente M-A1" in page.text
    # the session is a row of the database: its hash, never the token
    with driver.connect(server.seed.settings) as conn:
        rows = conn.execute(
            "select s.token_sha256, s.expires_at - s.created_at from smf.web_session s"
            " join smf.account a on a.id = s.account_id where a.name = 'cli'"
        ).fetchall()
    assert len(rows) == 1 and rows[0][1].total_seconds() == 8 * 3600
    assert bytes(rows[0][0]) != jar["smf_web"].encode() and len(bytes(rows[0][0])) == 32
    # a form served by either worker posts to either: the logout's token from one page
    m = re.search(r'name="_csrf_token" value="([^"]+)"', next(iter(pages.values())).text)
    assert m
    out = _post(server.url, "/web/logout", {"_csrf_token": m.group(1)}, jar)
    assert out.status_code == 303 and out.headers["location"] == "/web/login"
    after = _on_both(lambda: _get(f"{server.url}/web/uc/{uc}", jar))
    for r in after.values():  # neither worker knows the session any more
        assert r.status_code == 303 and r.headers["location"] == "/web/login"
    with driver.connect(server.seed.settings) as conn:
        assert conn.execute("select count(*) from smf.web_session").fetchone() == (0,)


def test_a_csrf_token_from_one_worker_is_accepted_by_the_other_and_a_forged_one_by_none(
    server: Server,
) -> None:
    token, cookies = _login_form(server.url)
    # a wrong key with the right token: the CSRF check passes on both workers (401, not 403)
    seen = _on_both(
        lambda: _post(server.url, "/web/login", {"key": "smf_x", "_csrf_token": token}, cookies)
    )
    assert {r.status_code for r in seen.values()} == {401}
    forged = _on_both(
        lambda: _post(server.url, "/web/login", {"key": "smf_x", "_csrf_token": "x" * 43}, cookies)
    )
    assert {r.status_code for r in forged.values()} == {403}
    # (those were failed logins from 127.0.0.1: clear them for the lockout test's count)
    with driver.connect(server.seed.settings) as conn:
        conn.execute("delete from smf.login_failure")


def test_failed_logins_count_across_workers(server: Server) -> None:
    """The lockout (10 failures in 5 minutes per address) counts failures whichever worker saw
    them: after ten, both workers refuse even the right key with 429."""
    with driver.connect(server.seed.settings) as conn:
        conn.execute("delete from smf.login_failure")
    bad = {"Authorization": "Bearer smf_aaaaaaaaaaaa_" + "x" * 43}
    workers = set()
    for _ in range(10):
        with httpx.Client() as c:
            r = c.get(f"{server.url}/api/v1/meters/M-A1", headers=bad)
        assert r.status_code == 401
        workers.add(r.headers["x-smf-worker"])
    good = {"Authorization": f"Bearer {server.seed.keys['cli']}"}
    refused = _on_both(
        lambda: httpx.get(f"{server.url}/api/v1/meters/M-A1", headers=good)  # fresh connection
    )
    for r in refused.values():
        assert r.status_code == 429 and "too many failed logins" in r.json()["detail"]
    with driver.connect(server.seed.settings) as conn:
        n = conn.execute("select count(*) from smf.login_failure").fetchone()
        conn.execute("delete from smf.login_failure")
    assert n == (10,)  # every failure recorded once, by whichever worker saw it
    r = httpx.get(f"{server.url}/api/v1/meters/M-A1", headers=good)
    assert r.status_code == 200 and r.json()["serial"] == "M-A1"


def test_sigterm_stops_the_parent_and_both_workers(server: Server) -> None:
    """Last in this module: the server is stopped here."""
    pids = [int(p) for p in _on_both(lambda: _get(f"{server.url}/health"))]
    server.proc.send_signal(signal.SIGTERM)
    _, err = server.proc.communicate(timeout=30)
    assert server.proc.returncode in (0, -signal.SIGTERM), err
    assert "Traceback" not in err
    deadline = time.monotonic() + 10
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [p for p in pids if _alive(p)]
        time.sleep(0.1)
    assert alive == []
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.url}/health")
    # no connection of the API's login role is left on the server (a backend ends a moment
    # after its client closed: look for a few seconds)
    left: tuple[int, ...] | None = None
    for _ in range(50):
        with driver.connect(server.seed.settings) as conn:
            left = conn.execute(
                "select count(*) from pg_stat_activity where usename = 'smf_svc_api'"
                " and datname = current_database()"
            ).fetchone()
        if left == (0,):
            break
        time.sleep(0.1)
    assert left == (0,)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
