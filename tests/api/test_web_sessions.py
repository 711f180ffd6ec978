"""Web sessions in the database and CSRF tokens derived from cookies (issue 21 item 1), in-process
over the API seed (tests/api/conftest.py). The 2-worker server itself: test_serve_workers.py.

What is pinned: the database keeps the SHA-256 of the session token and never the token nor the
API key; an expired session, a revoked key and a disabled account each end the session; only the
API's login role may reach the session functions (no reader, not smf_api, not the writer); the
CSRF token of a logged-in page is HMAC-SHA256(session token, "smf-csrf") and does not work with
another session; a refused post is the error page with the security headers."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.config import ApiConfig
from db import driver
from tests.api.conftest import Seed, make_client, web_login


def _csrf_of(page: str) -> str:
    m = re.search(r'name="_csrf_token" value="([^"]+)"', page)
    assert m, page
    return m.group(1)


def _session_rows(seed: Seed) -> list[tuple[Any, ...]]:
    with psycopg.connect(seed.settings.url) as conn:
        return conn.execute(
            "select s.token_sha256, a.name, s.key_id, s.expires_at - s.created_at"
            " from smf.web_session s join smf.account a on a.id = s.account_id"
        ).fetchall()


@pytest.mark.slow
def test_the_database_keeps_the_tokens_hash_only_and_the_page_token_is_bound_to_it(
    fresh: tuple[Seed, TestClient[Any]],
) -> None:
    seed, client = fresh
    r = web_login(client, seed.keys["cli"])
    assert r.status_code == 303
    token = client.cookies["smf_web"]
    assert len(token) == 43  # 32 random bytes, URL-safe base64
    [(digest, name, key_id, ttl)] = _session_rows(seed)
    assert bytes(digest) == hashlib.sha256(token.encode()).digest()
    assert name == "cli" and ttl.total_seconds() == 8 * 3600
    assert seed.keys["cli"].startswith(f"smf_{key_id}_")  # the key's public id, not its secret
    with psycopg.connect(seed.settings.url) as conn:  # neither the token nor the key anywhere
        dump = conn.execute("select s::text from smf.web_session s").fetchone()
    assert dump and token not in dump[0] and seed.keys["cli"] not in dump[0]
    # the page's form token is HMAC-SHA256(session token, "smf-csrf"), worked out here
    page = client.get(f"/web/uc/{seed.ucs['M-A1']}")
    want = hmac.new(token.encode(), b"smf-csrf", hashlib.sha256).hexdigest()
    assert _csrf_of(page.text) == want


@pytest.mark.slow
def test_a_csrf_token_of_another_session_is_refused_with_the_error_page_and_its_headers(
    fresh: tuple[Seed, TestClient[Any]],
) -> None:
    seed, client = fresh
    with make_client(seed.settings) as other:
        assert web_login(other, seed.keys["cli"]).status_code == 303
        foreign = _csrf_of(other.get(f"/web/uc/{seed.ucs['M-A1']}").text)
    assert web_login(client, seed.keys["cli"]).status_code == 303
    r = client.post("/web/logout", data={"_csrf_token": foreign}, follow_redirects=False)
    assert r.status_code == 403 and "<title>Acesso negado · SMF</title>" in r.text
    assert "CSRF token verification failed" in r.text
    assert r.headers["content-security-policy"].startswith("default-src 'none'")
    assert r.headers["x-frame-options"] == "DENY"
    assert len(_session_rows(seed)) == 2  # the refused logout ended nothing
    r = client.post("/web/logout", data={}, follow_redirects=False)  # no token at all
    assert r.status_code == 403
    own = _csrf_of(client.get("/web/login").text)
    r = client.post("/web/logout", data={"_csrf_token": own}, follow_redirects=False)
    assert r.status_code == 303 and len(_session_rows(seed)) == 1


@pytest.mark.slow
@pytest.mark.parametrize(
    "end",
    [
        "update smf.web_session set expires_at = now() - interval '1 s',"
        " created_at = now() - interval '8 h'",
        "update smf.api_key set revoked_at = now()",
        "update smf.api_key set expires_at = now() - interval '1 s'",
        "update smf.account set disabled_at = now() where name = 'cli'",
    ],
    ids=["session expired", "key revoked", "key expired", "account disabled"],
)
def test_the_session_ends_when_it_expires_or_its_key_or_account_stops(
    fresh: tuple[Seed, TestClient[Any]], end: str
) -> None:
    seed, client = fresh
    uc = seed.ucs["M-A1"]
    assert web_login(client, seed.keys["cli"]).status_code == 303
    assert client.get(f"/web/uc/{uc}", follow_redirects=False).status_code == 200
    with psycopg.connect(seed.settings.url) as conn:
        conn.execute(end)
    r = client.get(f"/web/uc/{uc}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/web/login"


@pytest.mark.slow
def test_a_new_login_forgets_expired_sessions(fresh: tuple[Seed, TestClient[Any]]) -> None:
    seed, client = fresh
    assert web_login(client, seed.keys["cli"]).status_code == 303
    with psycopg.connect(seed.settings.url) as conn:
        conn.execute(
            "update smf.web_session set created_at = now() - interval '9 h',"
            " expires_at = now() - interval '1 h'"
        )
    with make_client(seed.settings) as other:
        assert web_login(other, seed.keys["cli"]).status_code == 303
    assert len(_session_rows(seed)) == 1  # the expired one is gone, the new one stays


@pytest.mark.parametrize("role", ["smf_api", "smf_writer", "smf_reader"])
def test_only_the_api_login_role_reaches_the_sessions(seeded: Seed, role: str) -> None:
    with psycopg.connect(seeded.settings.url) as conn:
        may = conn.execute(
            "select has_table_privilege(%s, 'smf.web_session', 'select'),"
            " has_function_privilege(%s, 'smf.web_session_principal(bytea, text)', 'execute'),"
            " has_function_privilege(%s, 'smf.web_session_open(bytea, text, interval)',"
            " 'execute'),"
            " has_function_privilege('smf_svc_api', 'smf.web_session_principal(bytea, text)',"
            " 'execute')",
            (role, role, role),
        ).fetchone()
    assert may == (False, False, False, True)


def test_opening_a_session_refuses_a_dead_key_and_a_bad_hash(seeded: Seed) -> None:
    from db import errors

    with driver.connect(seeded.settings) as conn:
        with pytest.raises(errors.NotFound, match="is not live"), conn.transaction():
            driver.run(
                conn, "web_session_open", token_sha256=b"\x00" * 32, key_id="nokey0000000", ttl_s=60
            )
        with pytest.raises(errors.InvalidParameter, match="32 bytes"), conn.transaction():
            key_id = seeded.keys["cli"][4:16]
            driver.run(conn, "web_session_open", token_sha256=b"\x00" * 31, key_id=key_id, ttl_s=60)
        with pytest.raises(errors.InvalidParameter, match="not positive"), conn.transaction():
            driver.run(conn, "web_session_open", token_sha256=b"\x00" * 32, key_id=key_id, ttl_s=0)


@pytest.mark.parametrize(
    ("setting", "scheme", "secure"),
    [(False, "http", False), (True, "https", True), (False, "https", True)],
    ids=["plain-http", "SMF_API_SECURE_COOKIES", "tls-without-the-setting"],
)
def test_the_cookies_carry_secure_when_served_over_tls(
    seeded: Seed, setting: bool, scheme: str, secure: bool
) -> None:
    """SMF_API_SECURE_COOKIES (behind a TLS proxy), or a request that reached us over TLS
    (SMF_API_TLS_CERT) without the setting: the session and CSRF cookies carry Secure; on plain
    loopback HTTP they must not, or a browser would drop them. Both are HttpOnly where
    JavaScript has no business and never SameSite=None."""
    app = create_app(ApiConfig(db=seeded.settings, secure_cookies=setting))
    # a browser sends Secure cookies back over https only: so does the test client
    base = f"{scheme}://testserver.local"
    with TestClient(app, base_url=base, raise_server_exceptions=False) as c:
        login_form = c.get("/web/login")
        csrf_cookie = [h for h in login_form.headers.get_list("set-cookie") if "smf_csrf" in h]
        r = web_login(c, seeded.keys["cli"])
        assert r.status_code == 303
        session_cookie = [h for h in r.headers.get_list("set-cookie") if h.startswith("smf_web=")]
    assert len(csrf_cookie) == 1 and len(session_cookie) == 1
    for header in (csrf_cookie[0], session_cookie[0]):
        attrs = {a.strip().split("=")[0].lower() for a in header.split(";")[1:]}
        assert ("secure" in attrs) is secure, header
        assert "samesite=none" not in header.lower()
    assert "httponly" in session_cookie[0].lower()


def test_https_is_believed_from_the_request_or_a_trusted_proxy_only() -> None:
    """api/deps.is_https, which decides Secure cookies without the setting: the request's own
    scheme, or X-Forwarded-Proto (its last value) from a peer in SMF_API_TRUSTED_PROXIES; the
    header from any other peer is ignored."""
    from types import SimpleNamespace

    from litestar.datastructures import Headers

    from api import config
    from api.deps import is_https

    def req(scheme: str, peer: str, proto: str | None, proxies: str = "") -> Any:
        cfg = SimpleNamespace(trusted_proxies=config.parse_proxies(proxies))
        headers = Headers([(b"x-forwarded-proto", proto.encode())] if proto else [])
        return SimpleNamespace(
            url=SimpleNamespace(scheme=scheme),
            client=SimpleNamespace(host=peer),
            headers=headers,
            app=SimpleNamespace(state=SimpleNamespace(config=cfg)),
        )

    assert is_https(req("https", "203.0.113.9", None))
    assert not is_https(req("http", "127.0.0.1", None))
    assert is_https(req("http", "10.0.0.1", "https", "10.0.0.0/24"))
    assert is_https(req("http", "10.0.0.1", "http, https", "10.0.0.1"))  # the proxy's own hop
    assert not is_https(req("http", "10.0.0.1", "https, http", "10.0.0.1"))
    assert not is_https(req("http", "127.0.0.1", "https"))  # no trusted proxy configured
    assert not is_https(req("http", "9.9.9.9", "https", "10.0.0.1"))  # not from the proxy
