"""API settings from the environment, with documented defaults.

SMF_API_HOST          address `smf serve` binds (default 127.0.0.1)
SMF_API_PORT          its port (default 8000)
SMF_API_MAX_UPLOAD_MB largest accepted import upload, in MiB (default 256); larger: 413
SMF_API_MAX_ROWS      rows per JSON/XLSX series response (default 50000); CSV allows 25 x that
SMF_API_POOL_SIZE     largest number of database connections of one server (default 10)
SMF_API_DB_WAIT_S     how long a request waits for a database connection before 503 (default 5)
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from db.settings import Settings, load


@dataclass(frozen=True, slots=True)
class ApiConfig:
    db: Settings
    host: str = "127.0.0.1"
    port: int = 8000
    max_upload_bytes: int = 256 << 20
    max_rows: int = 50_000
    pool_size: int = 10
    db_wait_s: float = 5.0

    @property
    def max_csv_rows(self) -> int:
        return 25 * self.max_rows


def load_config(env: dict[str, str] | None = None, db: Settings | None = None) -> ApiConfig:
    e = dict(os.environ if env is None else env)
    return ApiConfig(
        db=db or load(e),
        host=e.get("SMF_API_HOST", "127.0.0.1"),
        port=int(e.get("SMF_API_PORT", "8000")),
        max_upload_bytes=int(e.get("SMF_API_MAX_UPLOAD_MB", "256")) << 20,
        max_rows=int(e.get("SMF_API_MAX_ROWS", "50000")),
        pool_size=int(e.get("SMF_API_POOL_SIZE", "10")),
        db_wait_s=float(e.get("SMF_API_DB_WAIT_S", "5")),
    )
