"""Every connection setting, from one place: environment variables with documented defaults.

SMF_DATABASE_URL   full libpq URL; when set, the local cluster is not used (e.g. a managed service).
                   A multi-host URL (postgresql://u@h1:5432,h2:5432/smf, a failover formation:
                   `smf db ha url` prints it) gets target_session_attrs=read-write and
                   connect_timeout=5 unless it names them, so every component reaches the
                   primary of the moment and reconnects to the new one after a failover.
SMF_PG_PORT        port of the project-managed local cluster (default 55432)
SMF_PG_DATA        data directory of the local cluster (default <repo>/.smf/pgdata, see
                   default_state_dir)
SMF_PG_USER        database role (default smf)
SMF_PG_DATABASE    database name (default smf)
SMF_PG_BIN         PostgreSQL server binaries (default /usr/lib/postgresql/15/bin)
SMF_LOCAL_TIMEZONE time zone of daily/monthly buckets (default America/Sao_Paulo)
SMF_API_DATABASE_URL, SMF_POLLER_DATABASE_URL, SMF_JOBS_DATABASE_URL
                   libpq URL of a service's own login role on an external server (the local
                   cluster needs none: services log in over its unix socket as smf_svc_api,
                   smf_svc_poller, smf_svc_jobs; see SERVICE_ROLES)
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

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

    def url(self, database: str, user: str | None = None) -> str:
        """The unix-socket URL of `database` as `user` (default: the owner role)."""
        who = quote(user or self.user)
        return f"postgresql://{who}@/{database}?host={quote(str(self.socket_dir))}&port={self.port}"

    def tcp_url(self, database: str, user: str, password: str) -> str:
        """A URL over TCP on 127.0.0.1 (password authentication), e.g. for a scoped role."""
        secret = quote(password, safe="")
        return f"postgresql://{quote(user)}:{secret}@127.0.0.1:{self.port}/{database}"


# Least privilege (revision 0012): the login role of each long-running service. The owner (a
# superuser on the local cluster) is for `smf db migrate` and admin commands only.
SERVICE_ROLES = {"api": "smf_svc_api", "poller": "smf_svc_poller", "jobs": "smf_svc_jobs"}
_service: str | None = None  # the service this process runs as (use_service), None: admin


def use_service(name: str | None) -> None:
    """Make every later load() of this process connect as service `name`'s login role ('api',
    'poller', 'jobs'; None: the owner again). Called by the entry point of a service."""
    global _service
    if name is not None and name not in SERVICE_ROLES:
        raise ValueError(f"unknown service {name!r}; known: {', '.join(SERVICE_ROLES)}")
    _service = name


@dataclass(frozen=True, slots=True)
class Settings:
    cluster: ClusterSettings
    database: str
    external_url: str | None
    local_timezone: str
    service: str | None = None  # connect as this service's login role (SERVICE_ROLES)
    service_url: str | None = None  # SMF_<SERVICE>_DATABASE_URL (an external server)
    assume: str | None = None  # a role the login role assumes for the whole session

    @property
    def url(self) -> str:
        """libpq URL of the platform's database, as the service's login role when one is set
        (an external server without SMF_<SERVICE>_DATABASE_URL: its one URL); with `assume`,
        the session starts as that role (libpq options -c role=...)."""
        url = self.external_url or self.cluster.url(self.database)
        if self.service is not None:
            if self.service_url:
                url = self.service_url
            elif self.external_url is None:
                url = self.cluster.url(self.database, SERVICE_ROLES[self.service])
        if self.assume:
            url += ("&" if "?" in url else "?") + "options=" + quote(f"-c role={self.assume}")
        return url

    def assuming(self, role: str | None) -> Settings:
        """The same login, every session starting as `role` (one the login role is a member
        of: e.g. the API's smf_svc_api assuming smf_writer for an import)."""
        return replace(self, assume=role)

    def as_service(self, name: str | None, env: dict[str, str] | None = None) -> Settings:
        """The same database as service `name` (None: as the owner)."""
        if name is None:
            return replace(self, service=None, service_url=None)
        if name not in SERVICE_ROLES:
            raise ValueError(f"unknown service {name!r}; known: {', '.join(SERVICE_ROLES)}")
        e = os.environ if env is None else env
        return replace(self, service=name, service_url=e.get(f"SMF_{name.upper()}_DATABASE_URL"))

    def owner(self) -> Settings:
        """The same database as its owner (migrations, admin commands)."""
        return self.as_service(None)

    @property
    def uses_local_cluster(self) -> bool:
        return self.external_url is None

    def with_database(self, database: str) -> Settings:
        """The same server, another database (used by tests to clone the template)."""
        if self.external_url and multi_host(self.external_url):
            parts = urlsplit(self.external_url)
            return replace(self, external_url=urlunsplit(parts._replace(path=f"/{database}")))
        if self.external_url:
            from sqlalchemy.engine import make_url

            url = make_url(self.external_url).set(database=database)
            return replace(self, external_url=url.render_as_string(hide_password=False))
        return replace(self, database=database)


def multi_host(url: str) -> bool:
    """True for a libpq URL that names several hosts (a failover formation)."""
    netloc = urlsplit(url).netloc
    return "," in netloc.rpartition("@")[2]


def failover_url(url: str | None) -> str | None:
    """A multi-host URL with target_session_attrs=read-write and connect_timeout=5 added when
    it does not name them: connections go to the primary only (a standby, or a demoted old
    primary, is skipped), and an unreachable host is given up after 5 s. Other URLs as given."""
    if not url or not multi_host(url):
        return url
    parts = urlsplit(url)
    names = {k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
    added = [("target_session_attrs", "read-write"), ("connect_timeout", "5")]
    extra = urlencode([(k, v) for k, v in added if k not in names])
    if not extra:
        return url
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))


def load(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    port = int(env.get("SMF_PG_PORT", "55432"))
    cluster = ClusterSettings(
        data_dir=Path(env.get("SMF_PG_DATA", default_state_dir() / "pgdata")).resolve(),
        port=port,
        user=env.get("SMF_PG_USER", "smf"),
        bin_dir=Path(env.get("SMF_PG_BIN", "/usr/lib/postgresql/15/bin")),
    )
    settings = Settings(
        cluster=cluster,
        database=env.get("SMF_PG_DATABASE", "smf"),
        external_url=failover_url(env.get("SMF_DATABASE_URL") or None),
        local_timezone=env.get("SMF_LOCAL_TIMEZONE", "America/Sao_Paulo"),
    )
    return settings.as_service(_service, env) if _service else settings


class Secret(str):
    """A secret string that never shows itself in repr/str-formatting of its holder."""

    def __repr__(self) -> str:
        return "Secret('***')"


@dataclass(frozen=True, slots=True)
class CceeSettings:
    """CCEE API settings (environment; secrets kept out of repr and never logged or stored).

    SMF_CCEE_BASE_URL        base URL (https, or http on loopback only: our emulator); default
                             http://127.0.0.1:55480
    SMF_CCEE_CLIENT_ID       OAuth2 client id
    SMF_CCEE_CLIENT_SECRET   OAuth2 client secret (or SMF_CCEE_CLIENT_SECRET_FILE, a file with it)
    SMF_CCEE_AGENT_CODE      codigoAgente header; SMF_CCEE_PROFILE_CODE codigoPerfil header
    SMF_CCEE_CERT / SMF_CCEE_KEY   optional mTLS client certificate and key (PEM files)
    SMF_CCEE_CA_BUNDLE       optional CA bundle (TLS verification always stays on)
    SMF_CCEE_TIMEOUT_S (10)  per-call timeout; SMF_CCEE_RATE_PER_S (100) client-side rate limit
    SMF_CCEE_RETRIES (4)     retries on connection errors, timeouts, 5xx and 429
    SMF_CCEE_BACKOFF_S (0.5) first backoff (doubled per retry, with jitter, at most 30 s)
    SMF_CCEE_CONCURRENCY (4) parallel requests of one sender; SMF_CCEE_LEASE_S (300) claim lease
    SMF_CCEE_TOKEN_PATH, SMF_CCEE_SUBMIT_PATH, SMF_CCEE_READBACK_PATH  endpoint paths
    """

    base_url: str = "http://127.0.0.1:55480"
    client_id: str = ""
    client_secret: Secret = Secret("")  # noqa: RUF009 (an immutable str)
    agent_code: str = ""
    profile_code: str = ""
    cert: str | None = None
    key: str | None = None
    ca_bundle: str | None = None
    timeout_s: float = 10.0
    rate_per_s: float = 100.0
    retries: int = 4
    backoff_s: float = 0.5
    concurrency: int = 4
    lease_s: int = 300
    token_path: str = "/sso/oauth/token"
    submit_path: str = "/medidas/v1/medicao"
    readback_path: str = "/v1/varejista/consumo/medicoes"


def load_ccee(env: dict[str, str] | None = None) -> CceeSettings:
    env = dict(os.environ if env is None else env)
    secret = env.get("SMF_CCEE_CLIENT_SECRET", "")
    if not secret and env.get("SMF_CCEE_CLIENT_SECRET_FILE"):
        secret = Path(env["SMF_CCEE_CLIENT_SECRET_FILE"]).read_text().strip()
    d = CceeSettings()
    return CceeSettings(
        base_url=env.get("SMF_CCEE_BASE_URL", d.base_url).rstrip("/"),
        client_id=env.get("SMF_CCEE_CLIENT_ID", ""),
        client_secret=Secret(secret),
        agent_code=env.get("SMF_CCEE_AGENT_CODE", ""),
        profile_code=env.get("SMF_CCEE_PROFILE_CODE", ""),
        cert=env.get("SMF_CCEE_CERT") or None,
        key=env.get("SMF_CCEE_KEY") or None,
        ca_bundle=env.get("SMF_CCEE_CA_BUNDLE") or None,
        timeout_s=float(env.get("SMF_CCEE_TIMEOUT_S", d.timeout_s)),
        rate_per_s=float(env.get("SMF_CCEE_RATE_PER_S", d.rate_per_s)),
        retries=int(env.get("SMF_CCEE_RETRIES", d.retries)),
        backoff_s=float(env.get("SMF_CCEE_BACKOFF_S", d.backoff_s)),
        concurrency=int(env.get("SMF_CCEE_CONCURRENCY", d.concurrency)),
        lease_s=int(env.get("SMF_CCEE_LEASE_S", d.lease_s)),
        token_path=env.get("SMF_CCEE_TOKEN_PATH", d.token_path),
        submit_path=env.get("SMF_CCEE_SUBMIT_PATH", d.submit_path),
        readback_path=env.get("SMF_CCEE_READBACK_PATH", d.readback_path),
    )
