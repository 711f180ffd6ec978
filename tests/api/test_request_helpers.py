"""The API's request helpers, without a database, against values written out by hand: API keys
(their shape, the headers that carry them, the process's cache of verified keys), role checks,
the client's address behind trusted proxies, the configuration and its defaults, the schema head
check at startup, and the controllers' input checks (transports, public-format uploads, months,
report CSV).

The cache of verified keys is checked on auth._verify itself: through the public door,
auth.authenticate, a key id has one stored hash, so neither the cache's bound nor "a cached key
does not vouch for another hash" can be seen there. Likewise the public-format sniffing is
checked on imports._looks_public_format: the upload endpoint refuses an empty body before asking
it, so its empty-head case has no public door."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from argon2 import PasswordHasher

from api import auth, config, errors, startup
from api.controllers import imports, registry, reports, rules
from api.deps import RequestDb, source_of
from db import migrate

# --- api/auth.py -------------------------------------------------------------------------------


@pytest.mark.slow
def test_new_key_shape_and_hash() -> None:
    key_id, token, hash_ = auth.new_key()
    assert len(key_id) == 12 and set(key_id) <= set("abcdefghijklmnopqrstuvwxyz0123456789")
    assert token.startswith(f"smf_{key_id}_")
    assert auth.key_id(token) == key_id  # a well-formed key: its id is read back from it
    secret = token[len("smf_") + 12 + 1 :]  # "smf_" + 12-character id + "_"
    assert len(secret) == 43  # token_urlsafe(32): 32 octets in unpadded base64
    # what is stored is the hash of exactly that secret (the key's tail, nothing more or less)
    assert PasswordHasher().verify(hash_, secret)
    assert hash_.startswith("$argon2id$")
    assert len({auth.new_key()[0] for _ in range(5)}) == 5  # random ids


def test_token_from_headers() -> None:
    assert auth.token_from({"authorization": "Bearer  smf_x  "}) == "smf_x"
    assert auth.token_from({"authorization": "bEaReR smf_y"}) == "smf_y"
    assert auth.token_from({"x-api-key": " smf_z "}) == "smf_z"
    # not a bearer scheme: the X-API-Key header, if any
    assert auth.token_from({"authorization": "Basic abc", "x-api-key": "k"}) == "k"
    assert auth.token_from({"authorization": "Basic abc"}) is None
    assert auth.token_from({"authorization": "Bearer"}) is None  # 6 characters, no space
    assert auth.token_from({}) is None
    assert auth.token_from({"x-api-key": ""}) is None
    # bearer wins over the other header
    assert auth.token_from({"authorization": "Bearer a", "x-api-key": "b"}) == "a"


@pytest.mark.slow
def test_verify_caches_and_bounds_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    _, token, hash_ = auth.new_key()
    _, other, other_hash = auth.new_key()
    monkeypatch.setattr(auth, "_verified", {})
    assert asyncio.run(auth._verify(other_hash, token)) is False  # another key's hash
    assert auth._verified == {}
    assert asyncio.run(auth._verify(hash_, token)) is True
    import hashlib

    digest = hashlib.sha256(token.encode()).digest()
    assert auth._verified == {digest: hash_}
    # cached: a second check does not run argon2 (a broken hasher would fail it)
    monkeypatch.setattr(auth, "_hasher", None)
    assert asyncio.run(auth._verify(hash_, token)) is True
    monkeypatch.setattr(auth, "_hasher", PasswordHasher())
    # a cached pair does not vouch for another hash
    assert asyncio.run(auth._verify(other_hash, token)) is False
    # full: the cache is emptied before the new pair goes in
    monkeypatch.setattr(auth, "_VERIFIED_MAX", 1)
    assert asyncio.run(auth._verify(other_hash, other)) is True
    assert list(auth._verified) == [hashlib.sha256(other.encode()).digest()]
    monkeypatch.setattr(auth, "_VERIFIED_MAX", 2)
    assert asyncio.run(auth._verify(hash_, token)) is True
    assert len(auth._verified) == 2  # one below the bound: kept


def test_malformed_hash_is_a_failed_login() -> None:
    _, token, _ = auth.new_key()
    assert asyncio.run(auth._verify("$argon2id$v=19$m=65536,t=3,p=4$bad$bad", token)) is False


# --- api/deps.py -------------------------------------------------------------------------------


def test_require_names_the_account_and_the_roles() -> None:
    db = RequestDb(None, auth.Principal(7, "cli", "client"))  # type: ignore[arg-type]
    db.require("client")
    db.require("admin", "client")
    with pytest.raises(errors.ApiError) as exc:
        db.require("admin", "analyst")
    assert exc.value.status_code == 403 and exc.value.code == "forbidden"
    assert exc.value.detail == "account cli (client) may not do this; needs role admin or analyst"


def _req(host: str | None, xff: list[str], proxies: str = "") -> Any:
    from litestar.datastructures import Headers

    headers = Headers([(b"x-forwarded-for", v.encode()) for v in xff])
    cfg = SimpleNamespace(trusted_proxies=config.parse_proxies(proxies))
    return SimpleNamespace(
        client=SimpleNamespace(host=host) if host else None,
        headers=headers,
        app=SimpleNamespace(state=SimpleNamespace(config=cfg)),
    )


def test_source_of_the_request() -> None:
    assert source_of(_req("10.0.0.9", [])) == "10.0.0.9"
    assert source_of(_req(None, [])) == "unknown"
    # no trusted proxy (the default): X-Forwarded-For is ignored, whoever sends it
    assert source_of(_req("127.0.0.1", ["6.6.6.6"])) == "127.0.0.1"
    # from a trusted proxy: the nearest address that is not a trusted proxy, from the right
    assert source_of(_req("10.0.0.1", ["6.6.6.6, 7.7.7.7"], "10.0.0.1")) == "7.7.7.7"
    assert source_of(_req("10.0.0.1", ["6.6.6.6", "10.0.0.2"], "10.0.0.0/24")) == "6.6.6.6"
    # a client that forges a header behind the proxy cannot choose its address: the proxy
    # appends the real peer, which is what counts
    assert source_of(_req("10.0.0.1", ["1.2.3.4, 8.8.8.8"], "10.0.0.1")) == "8.8.8.8"
    # not an address: the walk stops at the last hop we can vouch for
    assert source_of(_req("10.0.0.1", ["junk, 5.5.5.5"], "10.0.0.1")) == "5.5.5.5"
    assert source_of(_req("10.0.0.1", ["junk"], "10.0.0.1")) == "10.0.0.1"
    # an untrusted peer's header is ignored even with proxies configured
    assert source_of(_req("9.9.9.9", ["1.1.1.1"], "10.0.0.1")) == "9.9.9.9"
    with pytest.raises(ValueError, match="'nonsense' is not an IP address or network"):
        config.parse_proxies("10.0.0.1, nonsense")


# --- api/config.py -----------------------------------------------------------------------------


def test_config_defaults_and_environment() -> None:
    db = object()
    c = config.load_config({}, db=db)  # type: ignore[arg-type]
    assert c.db is db
    assert (c.host, c.port, c.pool_size, c.db_wait_s) == ("127.0.0.1", 8000, 10, 5.0)
    assert c.max_upload_bytes == 256 * 1024 * 1024
    assert c.max_rows == 50_000 and c.max_csv_rows == 25 * 50_000
    c = config.load_config(
        {
            "SMF_API_HOST": "0.0.0.0",
            "SMF_API_PORT": "9001",
            "SMF_API_MAX_UPLOAD_MB": "3",
            "SMF_API_MAX_ROWS": "7",
            "SMF_API_POOL_SIZE": "4",
            "SMF_API_DB_WAIT_S": "0.5",
        },
        db=db,  # type: ignore[arg-type]
    )
    assert (c.host, c.port, c.pool_size, c.db_wait_s) == ("0.0.0.0", 9001, 4, 0.5)
    assert c.max_upload_bytes == 3 * 1024 * 1024 and c.max_rows == 7 and c.max_csv_rows == 175
    from db.settings import load

    env = {"SMF_PG_PORT": "54999", "SMF_PG_DATABASE": "other"}
    assert config.load_config(env).db == load(env)  # no db given: from the same environment


def test_dataclass_defaults_match_the_documented_ones() -> None:
    c = config.ApiConfig(db=None)  # type: ignore[arg-type]
    assert (c.host, c.port, c.max_upload_bytes, c.max_rows, c.pool_size, c.db_wait_s) == (
        "127.0.0.1",
        8000,
        256 << 20,
        50_000,
        10,
        5.0,
    )


# --- api/startup.py ----------------------------------------------------------------------------


def test_is_head() -> None:
    (head,) = migrate.heads()
    assert startup.is_head(head) is True
    assert startup.is_head(None) is False and startup.is_head("0000") is False


# --- controllers' helpers ----------------------------------------------------------------------


def test_check_transport() -> None:
    for ok in (
        None,
        "tcp://10.0.0.1:4001",
        "wrapper://gw.local:502",
        "serial:///dev/ttyUSB0",
        "serial:///dev/ttyS0?baud=9600",
    ):
        registry.check_transport(ok)
    for bad in (
        "tcp://host",
        "tcp://:4001",
        "tcp://h:99999",
        "udp://h:1",
        "serial:ttyS0",
        "wrapper://h",
        "h:1",
    ):
        with pytest.raises(errors.ApiError) as exc:
            registry.check_transport(bad)
        assert exc.value.status_code == 422 and exc.value.field == "transport"
        assert exc.value.detail == (
            f"transport {bad!r}: expected tcp://host:port, wrapper://host:port or "
            "serial:///dev/ttyX?baud=9600"
        )


def test_public_format_detection() -> None:
    f = imports._looks_public_format
    binary = bytes(range(256))  # not UTF-8
    assert f(binary, 512) is True
    assert f(binary, 513) is False  # not whole 256-octet blocks
    assert f(b"", 0) is False
    assert f(b"A" * 256, 256) is True  # text, but neither comma nor semicolon: not a CSV
    assert f(b"a,b\n" * 64, 256) is False
    assert f(b"a;b\n" * 64, 256) is False


def test_parse_month() -> None:
    assert rules.parse_month("2024-03") == date(2024, 3, 1)
    assert rules.parse_month("2024-3") == date(2024, 3, 1)
    for bad in ("2024", "2024-13", "2024-03-01", "março"):
        with pytest.raises(errors.ApiError) as exc:
            rules.parse_month(bad)
        assert exc.value.status_code == 422 and exc.value.field == "month"
        assert exc.value.detail == f"month {bad!r} is not YYYY-MM"


def test_report_csv() -> None:
    rows = [
        {"start": datetime(2024, 3, 1, 3, tzinfo=UTC), "s": 60, "note": None},
        {"start": datetime(2024, 3, 2, 4, 5, tzinfo=UTC), "s": 1.5, "note": "a,b"},
    ]
    assert reports.to_csv(rows) == (
        'start,s,note\n2024-03-01T03:00:00+00:00,60,\n2024-03-02T04:05:00+00:00,1.5,"a,b"\n'
    )
    assert reports.to_csv([]) == ""
