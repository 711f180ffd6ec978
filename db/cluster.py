"""The project-managed local PostgreSQL+TimescaleDB cluster: init, start, stop, status, reset.

The data directory, the unix socket and the log live under `.smf/` in the repository. PostgreSQL
refuses to run as root, so when we are root the server runs as the unprivileged system user
`smfdb` (created on first use) and owns `.smf/`. Authentication: the unix socket (its directory
is mode 0700, reachable by the owner only) trusts its user; TCP on 127.0.0.1 asks for a
SCRAM-SHA-256 password for every role. The owner role's password is generated when the cluster
is initialised and kept in `.smf/password-<port>` (mode 0600); scoped login roles for Grafana or
psql get theirs from `smf user add --db-role`.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from db.settings import ClusterSettings

if TYPE_CHECKING:
    from db.backup import BackupSettings

SERVICE_USER = "smfdb"

BASE_CONF = {
    "shared_preload_libraries": "'timescaledb'",
    "timescaledb.telemetry_level": "off",
    # No background jobs exist in the Apache edition that we use; 0 also lets tests clone
    # template databases (no worker stays connected to them).
    "timescaledb.max_background_workers": "0",
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "100",
    "shared_buffers": "'1GB'",
    "work_mem": "'64MB'",
    "maintenance_work_mem": "'512MB'",
    "max_wal_size": "'4GB'",
    "checkpoint_timeout": "'15min'",
    "timezone": "'UTC'",
    "jit": "off",  # our statements are short; JIT compile time dominated them when tried
    "log_timezone": "'UTC'",
    "log_min_messages": "warning",
}


HBA_MARKER = "# written by smf: socket for the owner, TCP with a password"
HBA = f"""{HBA_MARKER}
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  scram-sha-256
host    all       all   ::1/128       scram-sha-256
"""


def scram_verifier(password: str, iterations: int = 4096) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802/7677): what we send
    instead of the password, so the password never reaches the server or its logs."""
    salt = secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    b64 = base64.b64encode
    return (
        f"SCRAM-SHA-256${iterations}:{b64(salt).decode()}"
        f"${b64(stored_key).decode()}:{b64(server_key).decode()}"
    )


class ClusterError(RuntimeError):
    """A cluster operation could not be carried out; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Status:
    running: bool
    pid: int | None
    detail: str


class Cluster:
    def __init__(
        self,
        settings: ClusterSettings,
        extra_conf: dict[str, str] | None = None,
        *,
        archive: bool | None = None,
    ):
        """`archive`: WAL archiving to the pgBackRest repository (db/backup.py); None takes
        SMF_BACKUP_ARCHIVE (default on). The test cluster passes False."""
        self.s = settings
        self.extra_conf = extra_conf or {}
        self.archive = archive

    # -- helpers -------------------------------------------------------------------------------
    @property
    def _as_root(self) -> bool:
        return os.geteuid() == 0

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.s.bin_dir / args[0]), *args[1:]]
        if self._as_root:
            cmd = ["runuser", "-u", SERVICE_USER, "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if check and proc.returncode != 0:
            raise ClusterError(f"{args[0]} failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc

    def _ensure_service_user(self) -> None:
        if not self._as_root:
            return
        try:
            pwd.getpwnam(SERVICE_USER)
        except KeyError:
            subprocess.run(
                [
                    "useradd",
                    "--system",
                    "--no-create-home",
                    "--shell",
                    "/usr/sbin/nologin",
                    SERVICE_USER,
                ],
                check=True,
            )
        # The server user must be able to reach the data directory through every parent.
        for parent in self.s.data_dir.parents:
            if not parent.exists():
                continue
            mode = parent.stat().st_mode
            if not mode & 0o001:
                raise ClusterError(
                    f"{parent} is not traversable by other users (mode {oct(mode & 0o777)}); "
                    f"the server runs as '{SERVICE_USER}'. Run `chmod o+x {parent}` or set "
                    "SMF_PG_DATA to a directory outside it."
                )

    def _chown(self, path: Path) -> None:
        if self._as_root:
            shutil.chown(path, SERVICE_USER, SERVICE_USER)

    # -- verbs ---------------------------------------------------------------------------------
    @property
    def initialised(self) -> bool:
        return (self.s.data_dir / "PG_VERSION").exists()

    def init(self) -> bool:
        """Create the data directory if absent. Returns True when it was created now."""
        if self.initialised:
            return False
        if not (self.s.bin_dir / "initdb").exists():
            raise ClusterError(f"no initdb in {self.s.bin_dir}: run `make setup` first")
        self._ensure_service_user()
        base = self.s.data_dir.parent
        base.mkdir(parents=True, exist_ok=True)
        self._chown(base)
        for path in (self.s.data_dir, self.s.socket_dir):
            path.mkdir(mode=0o700, exist_ok=True)
            self._chown(path)
        self._run(
            "initdb",
            "-D",
            str(self.s.data_dir),
            "-U",
            self.s.user,
            "-E",
            "UTF8",
            "--locale=C",
            "--auth=trust",
        )
        conf = {
            **BASE_CONF,
            **self._archive_conf(),
            **self.extra_conf,
            "port": str(self.s.port),
            "unix_socket_directories": f"'{self.s.socket_dir}'",
        }
        lines = "".join(f"{k} = {v}\n" for k, v in conf.items())
        auto = self.s.data_dir / "postgresql.auto.conf"
        with auto.open("a") as fh:
            fh.write("# written by smf db init\n" + lines)
        self._write_hba()
        return True

    def _write_hba(self) -> bool:
        """Write our pg_hba.conf unless it is there already; True when written now."""
        hba = self.s.data_dir / "pg_hba.conf"
        try:
            if hba.read_text().startswith(HBA_MARKER):
                return False
        except PermissionError:
            return False  # not ours to read (another user's cluster)
        except FileNotFoundError:
            pass
        hba.write_text(HBA)
        self._chown(hba)
        hba.chmod(0o600)
        return True

    def _ensure_password(self) -> None:
        """TCP needs a password: give the owner role one (kept in .smf/password-<port>, mode
        0600) and switch a cluster made before this rule to our pg_hba.conf."""
        from db import driver

        pw_file = self.s.password_file
        if not pw_file.exists():
            password = secrets.token_urlsafe(24)
            driver.set_role_password(self.s.url("postgres"), self.s.user, scram_verifier(password))
            fd = os.open(pw_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(password + "\n")
        if self._write_hba():
            self._run("pg_ctl", "reload", "-D", str(self.s.data_dir))

    def status(self) -> Status:
        if not self.initialised:
            return Status(False, None, f"no cluster at {self.s.data_dir} (run `smf db start`)")
        proc = self._run("pg_ctl", "status", "-D", str(self.s.data_dir), check=False)
        if proc.returncode == 0:
            pid = _pid_from(self.s.data_dir / "postmaster.pid")
            port = running_port(self.s.data_dir)
            if port is not None and port != self.s.port:
                # The server says where it listens (its pid file); the settings only say where
                # we would look. Tell both rather than print the wrong one.
                return Status(
                    True,
                    pid,
                    f"running (pid {pid}) on port {port}, not on the configured port "
                    f"{self.s.port}: set SMF_PG_PORT={port} to use it",
                )
            return Status(
                True, pid, f"running (pid {pid}) on port {self.s.port}, socket {self.s.socket_dir}"
            )
        pidfile = self.s.data_dir / "postmaster.pid"
        if pidfile.exists():
            return Status(False, None, f"not running (stale pid file {pidfile})")
        return Status(False, None, "not running")

    def start(self, wait_s: float = 30.0) -> str:
        created = self.init()
        st = self.status()
        if st.running:
            self._ensure_password()
            return f"already running (pid {st.pid}) on port {self.s.port}"
        if _port_busy(self.s.port):
            raise ClusterError(
                f"port {self.s.port} on 127.0.0.1 is in use by another program; "
                "choose a free one (SMF_PG_PORT; SMF_TEST_PG_PORT for the test cluster)"
            )
        stale = self.s.data_dir / "postmaster.pid"
        if stale.exists():
            # pg_ctl status said no server owns it: a crash left it behind.
            stale.unlink()
        self._apply_archive_conf()
        self.s.socket_dir.mkdir(mode=0o700, exist_ok=True)
        self._chown(self.s.socket_dir)
        if self._as_root and self.s.log_file.exists():
            self._chown(self.s.log_file)
        proc = self._run(
            "pg_ctl",
            "start",
            "-D",
            str(self.s.data_dir),
            "-l",
            str(self.s.log_file),
            "-w",
            "-t",
            str(int(wait_s)),
            check=False,
        )
        if proc.returncode != 0:
            raise ClusterError(
                f"the server did not start: {proc.stderr.strip()}\n"
                f"last log lines:\n{self.tail_log(15)}"
            )
        self._wait_ready(wait_s)
        self._wait_recovery_done()
        self._ensure_password()
        self._ensure_stanza()
        return (
            "initialised and started" if created else "started"
        ) + f" on port {self.s.port} (socket {self.s.socket_dir})"

    def _wait_ready(self, wait_s: float) -> None:
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            proc = subprocess.run(
                [
                    str(self.s.bin_dir / "pg_isready"),
                    "-h",
                    str(self.s.socket_dir),
                    "-p",
                    str(self.s.port),
                    "-q",
                ],
                capture_output=True,
            )
            if proc.returncode == 0:
                return
            time.sleep(0.1)
        raise ClusterError(f"server not accepting connections after {wait_s}s")

    def stop(self) -> str:
        st = self.status()
        if not st.running:
            return f"not running ({st.detail})"
        self._run("pg_ctl", "stop", "-D", str(self.s.data_dir), "-m", "fast", "-w")
        return "stopped"

    def reset(self) -> str:
        """Stop the cluster and delete its data directory: every database is lost."""
        self.stop()
        shutil.rmtree(self.s.data_dir, ignore_errors=True)
        return f"removed {self.s.data_dir}"

    def tail_log(self, n: int = 50) -> str:
        if not self.s.log_file.exists():
            return "(no log yet)"
        return "\n".join(self.s.log_file.read_text(errors="replace").splitlines()[-n:])

    def ensure_database(self, name: str) -> None:
        """Create the database if missing (connecting to `postgres`)."""
        from db import driver

        driver.create_database(self.s.url("postgres"), name, if_missing=True)

    # -- WAL archiving (db/backup.py owns the pgBackRest side) ---------------------------------
    def _backup_settings(self) -> BackupSettings:
        from db import backup

        bs = backup.load_settings(self.s)
        if self.archive is not None and self.archive != bs.archive:
            bs = dataclasses.replace(bs, archive=self.archive)
        return bs

    def _archive_conf(self) -> dict[str, str]:
        """archive_mode/archive_command for postgresql.auto.conf (pgBackRest archive-push)."""
        from db import backup

        return backup.archive_conf(self.s, self._backup_settings())

    def _apply_archive_conf(self) -> None:
        """Before a start: bring the archive settings of a cluster made earlier (or under other
        SMF_BACKUP_* settings) up to date, and write pgBackRest's configuration."""
        from db import backup

        bs = self._backup_settings()
        try:
            backup.upsert_conf(self.s.data_dir / "postgresql.auto.conf", self._archive_conf())
        except PermissionError:
            return  # another user's cluster: leave its settings alone
        if bs.archive:
            backup.write_config(self.s, bs)

    def _wait_recovery_done(self, wait_s: float = 3600.0) -> None:
        """After a restore (db/backup.py) the server replays archived WAL before it accepts
        writes; PostgreSQL removes recovery.signal when it has promoted. Wait for that."""
        signal_file = self.s.data_dir / "recovery.signal"
        deadline = time.monotonic() + wait_s
        while signal_file.exists():
            if not self.status().running:
                raise ClusterError(f"the server stopped during recovery:\n{self.tail_log(15)}")
            if time.monotonic() > deadline:
                raise ClusterError(f"recovery not finished after {wait_s:.0f} s")
            time.sleep(0.2)

    def _ensure_stanza(self) -> None:
        """After a start with archiving on: create the stanza, so archive-push has somewhere to
        go (without it WAL would pile up in pg_wal). A failure is raised, never silent."""
        from db import backup

        bs = self._backup_settings()
        if not bs.archive:
            return
        try:
            backup.Repository(self.s, bs).ensure_stanza()
        except backup.BackupError as exc:
            raise ClusterError(f"started, but WAL archiving is not set up: {exc}") from exc


def _pid_from(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


def running_port(data_dir: Path) -> int | None:
    """The port a running server of `data_dir` listens on: line 4 of its postmaster.pid."""
    try:
        return int((data_dir / "postmaster.pid").read_text().splitlines()[3])
    except (OSError, ValueError, IndexError):
        return None


def _port_busy(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0
