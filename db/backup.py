"""Backups and point-in-time recovery of a project-managed cluster, with pgBackRest.

What runs where:
- The server archives every finished WAL segment with `pgbackrest archive-push` (its
  `archive_command`), at the latest `archive_timeout` (60 s) after it was begun, so a restore can
  replay to any moment up to about a minute before a disk is lost.
- `smf db backup [--full|--diff|--incr]` copies the data directory into the repository (a full
  copy, or only the files changed since the last full / the last backup of any kind); after each
  backup pgBackRest expires the backups and WAL beyond the retention.
- `smf db restore --to TIMESTAMP|latest` rebuilds the cluster's files from the newest backup
  before the target and replays archived WAL up to it. Onto the cluster's own data directory only
  when the server is stopped (a running cluster is refused with the reason and the two ways on);
  `--target DIR` restores a copy beside it instead, on another port, with archiving off.

Settings (environment; the cluster's own come from db/settings.py):
  SMF_BACKUP_REPO            the repository: a directory (default <state dir>/backup, i.e.
                             .smf/backup) or s3://BUCKET/PATH (any S3-compatible store)
  SMF_BACKUP_S3_ENDPOINT     S3 endpoint host (default s3.amazonaws.com); SMF_BACKUP_S3_REGION
                             (us-east-1); SMF_BACKUP_S3_URI_STYLE host|path (host);
                             SMF_BACKUP_S3_VERIFY_TLS y|n (y); SMF_BACKUP_S3_CA_FILE
  SMF_BACKUP_S3_KEY_FILE     a file with the access key id on line 1 and the secret on line 2;
                             without it the instance's role is used (repo1-s3-key-type=auto)
  SMF_BACKUP_CIPHER_PASS_FILE a file holding a passphrase: the repository is encrypted (AES-256)
  SMF_BACKUP_RETENTION_FULL  full backups kept (default 2); older ones and the WAL only they
                             need are expired after each backup
  SMF_BACKUP_RETENTION_DIFF  differential backups kept (default: pgBackRest's, those of the kept
                             fulls)
  SMF_BACKUP_ARCHIVE         on|off (default on): WAL archiving of the local cluster
  SMF_BACKUP_STANZA          the stanza name (default smf)

Secrets (S3 key, cipher passphrase) are written only to `pgbackrest-<port>.d/secrets.conf`
(mode 0600, owned by the server's user) beside the data directory, never into the main
configuration, a command line or a log; the same rule as the owner password in
`.smf/password-<port>`.

pgBackRest refuses to run as root, like PostgreSQL: when we are root it runs as the server's
user (`smfdb`).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from db.settings import ClusterSettings

SERVICE_USER = "smfdb"
PGBACKREST = "pgbackrest"
KINDS = ("full", "diff", "incr")


class BackupError(RuntimeError):
    """A backup or restore could not be carried out; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class BackupSettings:
    repo: str
    stanza: str = "smf"
    retention_full: int = 2
    retention_diff: int | None = None
    archive: bool = True
    s3_endpoint: str = "s3.amazonaws.com"
    s3_region: str = "us-east-1"
    s3_uri_style: str = "host"
    s3_verify_tls: bool = True
    s3_ca_file: str | None = None
    s3_key_file: str | None = None
    cipher_pass_file: str | None = None

    @property
    def is_s3(self) -> bool:
        return self.repo.startswith("s3://")


def load_settings(cluster: ClusterSettings, env: dict[str, str] | None = None) -> BackupSettings:
    env = dict(os.environ if env is None else env)
    repo = env.get("SMF_BACKUP_REPO") or str(cluster.data_dir.parent / "backup")
    if not repo.startswith("s3://"):
        repo = str(Path(repo).resolve())
    try:
        full = int(env.get("SMF_BACKUP_RETENTION_FULL", "2"))
        diff_raw = env.get("SMF_BACKUP_RETENTION_DIFF")
        diff = int(diff_raw) if diff_raw else None
    except ValueError as exc:
        raise BackupError(f"SMF_BACKUP_RETENTION_FULL/_DIFF must be whole numbers: {exc}") from None
    if full < 1 or (diff is not None and diff < 1):
        raise BackupError("SMF_BACKUP_RETENTION_FULL and _DIFF must be at least 1")
    archive = env.get("SMF_BACKUP_ARCHIVE", "on").lower()
    if archive not in ("on", "off"):
        raise BackupError(f"SMF_BACKUP_ARCHIVE must be on or off, not {archive!r}")
    style = env.get("SMF_BACKUP_S3_URI_STYLE", "host")
    if style not in ("host", "path"):
        raise BackupError(f"SMF_BACKUP_S3_URI_STYLE must be host or path, not {style!r}")
    return BackupSettings(
        repo=repo,
        stanza=env.get("SMF_BACKUP_STANZA", "smf"),
        retention_full=full,
        retention_diff=diff,
        archive=archive == "on",
        s3_endpoint=env.get("SMF_BACKUP_S3_ENDPOINT", "s3.amazonaws.com"),
        s3_region=env.get("SMF_BACKUP_S3_REGION", "us-east-1"),
        s3_uri_style=style,
        s3_verify_tls=env.get("SMF_BACKUP_S3_VERIFY_TLS", "y").lower() not in ("n", "no", "0"),
        s3_ca_file=env.get("SMF_BACKUP_S3_CA_FILE") or None,
        s3_key_file=env.get("SMF_BACKUP_S3_KEY_FILE") or None,
        cipher_pass_file=env.get("SMF_BACKUP_CIPHER_PASS_FILE") or None,
    )


# -- configuration files ----------------------------------------------------------------------
def config_path(cluster: ClusterSettings) -> Path:
    return cluster.data_dir.parent / f"pgbackrest-{cluster.port}.conf"


def include_dir(cluster: ClusterSettings) -> Path:
    return cluster.data_dir.parent / f"pgbackrest-{cluster.port}.d"


def work_dir(cluster: ClusterSettings) -> Path:
    """pgBackRest's log, lock and spool directories (local even with an S3 repository)."""
    return cluster.data_dir.parent / f"pgbackrest-{cluster.port}"


def base_args(cluster: ClusterSettings, bs: BackupSettings) -> list[str]:
    return [
        f"--config={config_path(cluster)}",
        f"--config-include-path={include_dir(cluster)}",
        f"--stanza={bs.stanza}",
    ]


def archive_command(cluster: ClusterSettings, bs: BackupSettings) -> str:
    """The server's archive_command (a postgresql.conf string, quotes doubled)."""
    return " ".join([PGBACKREST, *base_args(cluster, bs), "archive-push", "%p"])


def archive_conf(cluster: ClusterSettings, bs: BackupSettings) -> dict[str, str]:
    """The settings that turn WAL archiving on (or off) for the cluster's postgresql.auto.conf."""
    if not bs.archive:
        return {"archive_mode": "off"}
    command = archive_command(cluster, bs).replace("'", "''")
    return {
        "archive_mode": "on",
        "archive_command": f"'{command}'",
        # a segment is archived at the latest a minute after it began, even when little is
        # written (the recovery point objective of a lost disk, when the repository is elsewhere)
        "archive_timeout": "60",
        "wal_level": "replica",
    }


def render_config(cluster: ClusterSettings, bs: BackupSettings) -> str:
    """pgbackrest.conf for the cluster: repository, retention, paths. No secret goes here."""
    work = work_dir(cluster)
    lines = ["# written by smf (db/backup.py); settings: SMF_BACKUP_* (see docs/operations.md)"]
    lines.append("[global]")
    if bs.is_s3:
        bucket, _, prefix = bs.repo[len("s3://") :].partition("/")
        if not bucket:
            raise BackupError(f"SMF_BACKUP_REPO {bs.repo!r} names no bucket (s3://BUCKET/PATH)")
        lines += [
            "repo1-type=s3",
            f"repo1-path=/{prefix.strip('/')}",
            f"repo1-s3-bucket={bucket}",
            f"repo1-s3-endpoint={bs.s3_endpoint}",
            f"repo1-s3-region={bs.s3_region}",
            f"repo1-s3-uri-style={bs.s3_uri_style}",
            f"repo1-storage-verify-tls={'y' if bs.s3_verify_tls else 'n'}",
        ]
        if bs.s3_ca_file:
            lines.append(f"repo1-storage-ca-file={bs.s3_ca_file}")
        if not bs.s3_key_file:
            lines.append("repo1-s3-key-type=auto")
    else:
        lines.append(f"repo1-path={bs.repo}")
    lines.append(f"repo1-retention-full={bs.retention_full}")
    if bs.retention_diff is not None:
        lines.append(f"repo1-retention-diff={bs.retention_diff}")
    lines += [
        f"log-path={work / 'log'}",
        f"lock-path={work / 'lock'}",
        f"spool-path={work / 'spool'}",
        "log-level-console=warn",
        "log-level-file=info",
        "start-fast=y",  # a backup starts with an immediate checkpoint
        "compress-type=zst",
        "process-max=1",
        "archive-timeout=60",
        "",
        f"[{bs.stanza}]",
        f"pg1-path={cluster.data_dir}",
        f"pg1-port={cluster.port}",
        f"pg1-socket-path={cluster.socket_dir}",
        f"pg1-user={cluster.user}",
    ]
    return "\n".join(lines) + "\n"


def render_secrets(bs: BackupSettings) -> str | None:
    """The secrets file (S3 key pair, cipher passphrase), or None when there are none."""
    lines = []
    if bs.is_s3 and bs.s3_key_file:
        parts = Path(bs.s3_key_file).read_text().split()
        if len(parts) != 2:
            raise BackupError(
                f"{bs.s3_key_file} must hold the S3 access key id and secret, one per line"
            )
        lines += ["repo1-s3-key-type=shared", f"repo1-s3-key={parts[0]}"]
        lines.append(f"repo1-s3-key-secret={parts[1]}")
    if bs.cipher_pass_file:
        passphrase = Path(bs.cipher_pass_file).read_text().strip()
        if not passphrase:
            raise BackupError(f"{bs.cipher_pass_file} is empty (the repository passphrase)")
        lines += ["repo1-cipher-type=aes-256-cbc", f"repo1-cipher-pass={passphrase}"]
    if not lines:
        return None
    return "[global]\n" + "\n".join(lines) + "\n"


def _as_root() -> bool:
    return os.geteuid() == 0


def _own(path: Path) -> None:
    if _as_root():
        shutil.chown(path, SERVICE_USER, SERVICE_USER)


def write_config(cluster: ClusterSettings, bs: BackupSettings) -> Path:
    """Write pgbackrest.conf, the secrets file and the directories pgBackRest needs; idempotent."""
    work = work_dir(cluster)
    dirs = [work, work / "log", work / "lock", work / "spool", include_dir(cluster)]
    if not bs.is_s3:
        dirs.insert(0, Path(bs.repo))
    for d in dirs:
        d.mkdir(mode=0o700, parents=True, exist_ok=True)
        _own(d)
    conf = config_path(cluster)
    conf.write_text(render_config(cluster, bs))
    conf.chmod(0o600)
    _own(conf)
    secrets_file = include_dir(cluster) / "secrets.conf"
    secrets = render_secrets(bs)
    if secrets is None:
        secrets_file.unlink(missing_ok=True)
    else:
        fd = os.open(secrets_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets)
        _own(secrets_file)
    return conf


def upsert_conf(path: Path, settings: dict[str, str]) -> bool:
    """Set `settings` in a postgresql.auto.conf-style file by name (a later ALTER SYSTEM keeps
    them: it rewrites the file by name, not by comment blocks). True when the file changed."""
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        lines = []
    out: list[str] = []
    seen: set[str] = set()
    for line in lines:
        name = line.split("=", 1)[0].strip()
        if "=" in line and not line.lstrip().startswith("#") and name in settings:
            if name in seen:
                continue
            seen.add(name)
            out.append(f"{name} = {settings[name]}")
        else:
            out.append(line)
    out += [f"{k} = {v}" for k, v in settings.items() if k not in seen]
    text = "\n".join(out) + "\n"
    if lines and text == "\n".join(lines) + "\n":
        return False
    path.write_text(text)
    return True


# -- running pgBackRest -----------------------------------------------------------------------
class Repository:
    """pgBackRest verbs for one cluster (its settings) and one repository."""

    def __init__(self, cluster: ClusterSettings, bs: BackupSettings | None = None) -> None:
        self.cluster = cluster
        self.bs = bs or load_settings(cluster)

    def run(self, *args: str, check: bool = True, timeout: float = 3600) -> str:
        """Run `pgbackrest <args>` with our configuration (as the server's user when root);
        its stdout. Raises BackupError with pgBackRest's own message on failure."""
        if shutil.which(PGBACKREST) is None:
            raise BackupError("pgbackrest is not installed: run `make setup`")
        cmd = [PGBACKREST, *base_args(self.cluster, self.bs), *args]
        if _as_root():
            cmd = ["runuser", "-u", SERVICE_USER, "--", *cmd]
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=timeout, cwd="/", check=False
            )
        except subprocess.TimeoutExpired:
            raise BackupError(f"pgbackrest {args[0]} did not finish in {timeout:.0f} s") from None
        if check and proc.returncode != 0:
            message = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
            raise BackupError(f"pgbackrest {args[0]} failed: {' '.join(message[-3:])}")
        return proc.stdout

    def ensure_stanza(self) -> None:
        """Write the configuration and create the stanza (idempotent; the server must run)."""
        write_config(self.cluster, self.bs)
        try:
            self.run("stanza-create", timeout=120)
        except BackupError as exc:
            if "do not match the database" in str(exc) or "system-id" in str(exc):
                raise BackupError(
                    f"the repository {self.bs.repo} holds stanza '{self.bs.stanza}' of another "
                    "cluster (a reset or a restored copy): move it away or set SMF_BACKUP_REPO "
                    "to a new place, then start again"
                ) from None
            raise

    def backup(self, kind: str = "incr") -> dict[str, Any]:
        """Take a backup (full, diff or incr; pgBackRest makes the first one full); the newest
        backup's description (see info())."""
        if kind not in KINDS:
            raise BackupError(f"backup kind must be one of {', '.join(KINDS)}, not {kind!r}")
        self._require_archiving()
        self.ensure_stanza()
        self.run("backup", f"--type={kind}")
        backups = self.info()
        if not backups:
            raise BackupError("pgbackrest reported success but lists no backup")
        return backups[-1]

    def _require_archiving(self) -> None:
        from db import driver

        with driver.connect(self.cluster.url("postgres")) as conn:
            mode = driver.run_scalar(conn, "backup_archive_mode")
        if mode == "off":
            raise BackupError(
                "WAL archiving is off in the running server (archive_mode = off): restart it once "
                "(`smf db stop && smf db start`) to turn it on, or check SMF_BACKUP_ARCHIVE"
            )

    def info_raw(self) -> list[dict[str, Any]]:
        write_config(self.cluster, self.bs)
        out = self.run("info", "--output=json", timeout=120)
        data: list[dict[str, Any]] = json.loads(out or "[]")
        return data

    def info(self) -> list[dict[str, Any]]:
        """The backups, oldest first: label, type, start/stop (UTC), sizes in bytes (database,
        backup delta, repository), WAL range (first and last segment a restore of it needs)."""
        out = []
        for stanza in self.info_raw():
            if stanza.get("name") != self.bs.stanza:
                continue
            for b in stanza.get("backup", []):
                ts = b["timestamp"]
                out.append(
                    {
                        "label": b["label"],
                        "type": b["type"],
                        "prior": b.get("prior"),
                        "start": datetime.fromtimestamp(ts["start"], UTC),
                        "stop": datetime.fromtimestamp(ts["stop"], UTC),
                        "database_bytes": b["info"]["size"],
                        "delta_bytes": b["info"]["delta"],
                        "repo_bytes": b["info"]["repository"]["delta"],
                        "wal_start": (b.get("archive") or {}).get("start"),
                        "wal_stop": (b.get("archive") or {}).get("stop"),
                        "lsn_start": (b.get("lsn") or {}).get("start"),
                        "lsn_stop": (b.get("lsn") or {}).get("stop"),
                    }
                )
        return out

    def wal_range(self) -> tuple[str | None, str | None]:
        """The first and last WAL segment in the repository (what a restore can replay)."""
        for stanza in self.info_raw():
            if stanza.get("name") != self.bs.stanza:
                continue
            archives = stanza.get("archive") or []
            if archives:
                return archives[-1].get("min"), archives[-1].get("max")
        return None, None


def archive_now(cluster: ClusterSettings, timeout_s: float = 60.0) -> str:
    """Close the current WAL segment and wait until the archiver has stored it: what was
    committed before this call is then recoverable from the repository. The segment's name."""
    from db import driver

    with driver.connect(cluster.url("postgres")) as conn:
        segment = driver.run_scalar(conn, "backup_switch_wal")
    deadline = time.monotonic() + timeout_s
    while True:
        with driver.connect(cluster.url("postgres")) as conn:
            row = driver.run_one(conn, "backup_archiver")
        assert row is not None
        if row["last_archived_wal"] and row["last_archived_wal"][:24] >= segment:
            return str(segment)
        if time.monotonic() > deadline:
            raise BackupError(
                f"WAL segment {segment} not archived after {timeout_s:.0f} s "
                f"(last archived {row['last_archived_wal']}, last failed {row['last_failed_wal']})"
            )
        time.sleep(0.2)


def parse_target(text: str) -> datetime | None:
    """`latest` (None) or an ISO 8601 time with a UTC offset or Z. A time without an offset is
    refused: the moment must be unambiguous."""
    if text == "latest":
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BackupError(
            f"--to {text!r} is neither `latest` nor an ISO 8601 time "
            "(e.g. 2026-12-07T06:15:00-03:00)"
        ) from None
    if when.tzinfo is None:
        raise BackupError(f"--to {text!r} has no UTC offset: add one (-03:00, Z)")
    return when


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True, slots=True)
class Restored:
    cluster: ClusterSettings
    target: datetime | None
    in_place: bool


def restore(
    cluster: ClusterSettings,
    to: datetime | None,
    *,
    target_dir: Path | None = None,
    port: int | None = None,
    bs: BackupSettings | None = None,
    cluster_status: Callable[[], Any],
) -> Restored:
    """Restore the newest backup before `to` (None: the newest) and set recovery to replay the
    archived WAL up to `to` (or to its end), then promote. Nothing is started here.

    In place (no target_dir): the cluster must be stopped; its files are replaced (pgBackRest
    --delta keeps the files that are already right). With target_dir (absent or empty): a copy
    beside it, archiving off (it must not push a second history into the same repository), on
    `port` (default: a free one) with its own socket directory. `cluster_status()` says whether
    the cluster runs (`.running`, `.pid`: db.cluster.Cluster.status, passed in so this module
    does not import db.cluster, which imports it). Raises BackupError."""

    repo = Repository(cluster, bs)
    write_config(cluster, repo.bs)
    if to is not None:
        stamp = to.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00")
        # the backup set is chosen here, not by pgBackRest: it keeps stop times in whole seconds
        # and compares them with the target strictly, so a target in the same second as the
        # backup's end found no set (a restore right after a backup failed now and then)
        finished = [b for b in repo.info() if b["stop"] <= to]
        if not finished:
            raise BackupError(
                f"no backup finished at or before {to.isoformat()}: nothing to restore to that time"
                " (smf db backups lists them)"
            )
        args = [
            "restore",
            f"--set={finished[-1]['label']}",
            "--type=time",
            f"--target={stamp}",
            "--target-action=promote",
        ]
    else:
        args = ["restore", "--type=default"]  # replay to the end of the archive, then promote
    if target_dir is None:
        st = cluster_status()
        if st.running:
            raise BackupError(
                f"the cluster at {cluster.data_dir} is running (pid {st.pid}): a restore replaces "
                "its files. Stop it first (`smf db stop`), or restore a copy beside it with "
                "--target DIR"
            )
        repo.run(*args, "--delta")
        return Restored(cluster, to, True)
    target_dir = target_dir.resolve()
    if target_dir.exists() and any(target_dir.iterdir()):
        raise BackupError(f"--target {target_dir} is not empty: give a new or empty directory")
    if cluster_status().running:
        # what the running cluster committed until now becomes restorable first
        archive_now(cluster)
    target_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    _own(target_dir)
    copy = ClusterSettings(
        data_dir=target_dir, port=port or free_port(), user=cluster.user, bin_dir=cluster.bin_dir
    )
    repo.run(*args, f"--pg1-path={target_dir}", "--archive-mode=off")
    if cluster.password_file.exists():  # the restored owner role has the same password
        shutil.copyfile(cluster.password_file, copy.password_file)
        copy.password_file.chmod(0o600)
    upsert_conf(
        target_dir / "postgresql.auto.conf",
        {"port": str(copy.port), "unix_socket_directories": f"'{copy.socket_dir}'"},
    )
    return Restored(copy, to, False)
