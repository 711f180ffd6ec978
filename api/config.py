"""API settings from the environment, with documented defaults.

SMF_API_HOST          address `smf serve` binds (default 127.0.0.1)
SMF_API_PORT          its port (default 8000)
SMF_API_MAX_UPLOAD_MB largest accepted import upload, in MiB (default 256); larger: 413
SMF_API_MAX_ROWS      rows per JSON/XLSX series response (default 50000); CSV allows 25 x that
SMF_API_WORKERS       worker processes of `smf serve` (default: one per core, os.cpu_count())
SMF_API_POOL_SIZE     largest number of database connections of one worker process (default 10;
                      a server holds up to workers x this)
SMF_API_DB_WAIT_S     how long a request waits for a database connection before 503 (default 5)
SMF_API_TRUSTED_PROXIES  comma list of addresses or networks (CIDR) of reverse proxies whose
                      X-Forwarded-For / X-Forwarded-Proto are believed (default: none, so the
                      failed-login lockout counts the TCP peer itself)
SMF_API_SECURE_COOKIES  1: the web view's cookies carry Secure even over plain HTTP (behind a TLS
                      proxy); they always do when the request came over TLS
SMF_API_TLS_CERT / SMF_API_TLS_KEY  `smf serve` speaks HTTPS with this certificate and key (PEM)
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field

from db.settings import Settings, load


@dataclass(frozen=True, slots=True)
class ApiConfig:
    db: Settings
    host: str = "127.0.0.1"
    port: int = 8000
    max_upload_bytes: int = 256 << 20
    max_rows: int = 50_000
    pool_size: int = 10
    workers: int = 1
    db_wait_s: float = 5.0
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = field(
        default_factory=tuple
    )
    secure_cookies: bool = False
    tls_cert: str | None = None
    tls_key: str | None = None

    @property
    def service_db(self) -> Settings:
        """What the API logs in as: its own login role smf_svc_api (db.settings.SERVICE_ROLES),
        never the owner. Each request then assumes smf_api with the principal set."""
        return self.db if self.db.service == "api" else self.db.as_service("api")

    @property
    def writer_db(self) -> Settings:
        """The API's login role assuming smf_writer: imports by admin and service accounts
        (the ingest path writes every meter's rows, past row-level security)."""
        return self.service_db.assuming("smf_writer")

    @property
    def max_csv_rows(self) -> int:
        return 25 * self.max_rows


def parse_proxies(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """SMF_API_TRUSTED_PROXIES: '10.0.0.1, 192.168.0.0/24' -> networks; ValueError naming the
    entry that is not an address or network."""
    out = []
    for item in (x.strip() for x in text.split(",")):
        if not item:
            continue
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(
                f"SMF_API_TRUSTED_PROXIES: {item!r} is not an IP address or network"
            ) from None
    return tuple(out)


def parse_workers(text: str) -> int:
    """SMF_API_WORKERS / --workers: a whole number >= 1; empty: one per core (os.cpu_count()).
    ValueError naming the value otherwise."""
    if not text.strip():
        return max(1, os.cpu_count() or 1)
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"SMF_API_WORKERS: {text!r} is not a whole number of processes >= 1")
    return n


def load_config(env: dict[str, str] | None = None, db: Settings | None = None) -> ApiConfig:
    e = dict(os.environ if env is None else env)
    return ApiConfig(
        db=db or load(e),
        host=e.get("SMF_API_HOST", "127.0.0.1"),
        port=int(e.get("SMF_API_PORT", "8000")),
        max_upload_bytes=int(e.get("SMF_API_MAX_UPLOAD_MB", "256")) << 20,
        max_rows=int(e.get("SMF_API_MAX_ROWS", "50000")),
        pool_size=int(e.get("SMF_API_POOL_SIZE", "10")),
        workers=parse_workers(e.get("SMF_API_WORKERS", "")),
        db_wait_s=float(e.get("SMF_API_DB_WAIT_S", "5")),
        trusted_proxies=parse_proxies(e.get("SMF_API_TRUSTED_PROXIES", "")),
        secure_cookies=e.get("SMF_API_SECURE_COOKIES", "").lower() in ("1", "true", "yes", "on"),
        tls_cert=e.get("SMF_API_TLS_CERT") or None,
        tls_key=e.get("SMF_API_TLS_KEY") or None,
    )
