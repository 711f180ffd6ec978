"""Every connection setting, from one place: environment variables with documented defaults.

SMF_DATABASE_URL   full libpq URL; when set, the local cluster is not used (e.g. a managed service)
SMF_PG_PORT        port of the project-managed local cluster (default 55432)
SMF_PG_DATA        data directory of the local cluster (default <repo>/.smf/pgdata, see
                   default_state_dir)
SMF_PG_USER        database role (default smf)
SMF_PG_DATABASE    database name (default smf)
SMF_PG_BIN         PostgreSQL server binaries (default /usr/lib/postgresql/15/bin)
SMF_LOCAL_TIMEZONE time zone of daily/monthly buckets (default America/Sao_Paulo)
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote

REPO_ROOT = Path(__file__).resolve().parent.parent


def default_state_dir() -> Path:
    """Where the local clusters live: `.smf/` in the repository. When we are root and the
    repository sits below a directory other users cannot traverse (the server runs as an
    unprivileged user), a directory under /var/lib/smf named after the repository instead."""
    here = REPO_ROOT / ".smf"
    if os.geteuid() != 0 or all(p.stat().st_mode & 0o001 for p in REPO_ROOT.parents):
        return here
    digest = hashlib.sha1(str(REPO_ROOT).encode()).hexdigest()[:12]
    return Path("/var/lib/smf") / digest


@dataclass(frozen=True, slots=True)
class ClusterSettings:
    data_dir: Path
    port: int
    user: str = "smf"
    bin_dir: Path = Path("/usr/lib/postgresql/15/bin")

    @property
    def socket_dir(self) -> Path:
        return self.data_dir.parent / f"run-{self.port}"

    @property
    def log_file(self) -> Path:
        return self.data_dir.parent / f"postgres-{self.port}.log"

    @property
    def password_file(self) -> Path:
        """The owner role's password for TCP connections (mode 0600), made at initialisation."""
        return self.data_dir.parent / f"password-{self.port}"

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@/{database}?host={quote(str(self.socket_dir))}&port={self.port}"

    def tcp_url(self, database: str, user: str, password: str) -> str:
        """A URL over TCP on 127.0.0.1 (password authentication), e.g. for a scoped role."""
        secret = quote(password, safe="")
        return f"postgresql://{quote(user)}:{secret}@127.0.0.1:{self.port}/{database}"


@dataclass(frozen=True, slots=True)
class Settings:
    cluster: ClusterSettings
    database: str
    external_url: str | None
    local_timezone: str

    @property
    def url(self) -> str:
        """libpq URL of the platform's database."""
        return self.external_url or self.cluster.url(self.database)

    @property
    def uses_local_cluster(self) -> bool:
        return self.external_url is None

    def with_database(self, database: str) -> Settings:
        """The same server, another database (used by tests to clone the template)."""
        if self.external_url:
            from sqlalchemy.engine import make_url

            url = make_url(self.external_url).set(database=database)
            return replace(self, external_url=url.render_as_string(hide_password=False))
        return replace(self, database=database)


def load(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    port = int(env.get("SMF_PG_PORT", "55432"))
    cluster = ClusterSettings(
        data_dir=Path(env.get("SMF_PG_DATA", default_state_dir() / "pgdata")).resolve(),
        port=port,
        user=env.get("SMF_PG_USER", "smf"),
        bin_dir=Path(env.get("SMF_PG_BIN", "/usr/lib/postgresql/15/bin")),
    )
    return Settings(
        cluster=cluster,
        database=env.get("SMF_PG_DATABASE", "smf"),
        external_url=env.get("SMF_DATABASE_URL") or None,
        local_timezone=env.get("SMF_LOCAL_TIMEZONE", "America/Sao_Paulo"),
    )
