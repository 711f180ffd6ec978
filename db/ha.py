"""Automatic failover with pg_auto_failover: a monitor and PostgreSQL+TimescaleDB nodes with
synchronous replication, driven by `smf db ha init|status|failover|stop|start|url`.

On one machine (tests and demos) `smf db ha init` builds, under `.smf/ha/` (or --dir):

    monitor   port B        pg_auto_failover's monitor (its own small PostgreSQL)
    node1     port B+1      the first primary (TimescaleDB preloaded, database smf, role smf)
    node2     port B+2      a standby cloned from node1 with pg_basebackup; synchronous
                            (synchronous_standby_names = 'ANY 1 (pgautofailover_standby_2)')

and prints the one setting every component needs: SMF_DATABASE_URL, a multi-host URL with
target_session_attrs=read-write whose password comes from a passfile (mode 0600) beside the
formation, never from the URL. In production the same verbs run once per host with real names:
`smf db ha init --nodes 0 --hostname mon.example` on the monitor's host, then
`smf db ha init --monitor postgres://autoctl_node@mon.example:5432/pg_auto_failover
--hostname db1.example` on each database host (docs/operations.md).

Failure detection and promotion (the monitor's timeouts, chosen for a kill-to-first-write time
well under 30 s on loopback; pg_auto_failover's defaults add up to about 35 s):

    health_check_period               1000 ms  probe each node every second
    health_check_timeout              2000 ms  a probe's connect timeout (a loaded 2-core machine
                                               answered within 1 s; 2 s leaves a margin)
    health_check_max_retries          1        one retry ...
    health_check_retry_delay          1000 ms  ... a second later, before a node is "bad"
    node_considered_unhealthy_timeout 5000 ms  and the keeper silent for 5 s (it reports every
                                               second): a node is failed only when both say so
    primary_demote_timeout            10000 ms the wait for the old primary to demote itself
                                               before the standby is promoted (default 30 s)
    keeper timeout.network_partition_timeout 6 s: a primary that cannot reach the monitor nor
                                               a standby for 6 s demotes itself, before the
                                               monitor's 5 + 10 s have passed: never two primaries
                                               accepting writes

With synchronous replication a commit returns only once the standby has the WAL, so a failover
loses no committed transaction; the monitor lowers the primary to wait_primary (asynchronous)
when no standby is left, so a lone node keeps accepting writes.

pg_autoctl refuses to run as root, like PostgreSQL: when we are root it runs as `smfdb`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from db.cluster import BASE_CONF, SERVICE_USER, scram_verifier
from db.settings import default_state_dir

PG_BIN = Path(os.environ.get("SMF_PG_BIN", "/usr/lib/postgresql/15/bin"))
DEFAULT_BASE_PORT = 55440
MONITOR_TIMEOUTS_MS = {
    "health_check_period": 1000,
    "health_check_timeout": 2000,
    "health_check_max_retries": 1,
    "health_check_retry_delay": 1000,
    "node_considered_unhealthy_timeout": 5000,
    "primary_demote_timeout": 10000,
}
KEEPER_TIMEOUTS_S = {"network_partition_timeout": 6}
# Nodes' pg_hba.conf (pg_autoctl --skip-pg-hba: ours in full, so no rule it appends later can
# land behind ours): the socket for the server's user; pg_auto_failover's own roles from the
# formation's hosts (trust on loopback here; in production use --auth scram-sha-256 or
# certificates, docs/operations.md); every other TCP login with a SCRAM password.
HBA = """# written by smf db ha init (db/ha.py)
local all all trust
local replication all trust
host all pgautofailover_monitor 127.0.0.1/32 trust
host replication pgautofailover_replicator 127.0.0.1/32 trust
host all pgautofailover_replicator 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
"""
APP_ROLE = "smf"
DATABASE = "smf"


class HaError(RuntimeError):
    """A formation operation could not be carried out; the message says why and what to do."""


@dataclass
class Node:
    name: str
    port: int
    pgdata: str
    host: str = "127.0.0.1"


@dataclass
class Formation:
    """What `ha init` made here (formation.json in the formation's directory)."""

    dir: str
    hostname: str = "127.0.0.1"
    monitor_port: int | None = None
    monitor_url: str | None = None
    nodes: list[Node] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return Path(self.dir)

    @property
    def run_dir(self) -> Path:
        return self.path / "run"

    @property
    def passfile(self) -> Path:
        return self.path / "pgpass"

    def url(self) -> str:
        """The one setting: SMF_DATABASE_URL of the formation (read-write session, passfile)."""
        hosts = ",".join(f"{n.host}:{n.port}" for n in self.nodes)
        return (
            f"postgresql://{APP_ROLE}@{hosts}/{DATABASE}?target_session_attrs=read-write"
            f"&connect_timeout=5&passfile={quote(str(self.passfile))}"
        )

    def save(self) -> None:
        data = asdict(self)
        (self.path / "formation.json").write_text(json.dumps(data, indent=2) + "\n")

    @classmethod
    def load(cls, directory: Path) -> Formation:
        try:
            data = json.loads((directory / "formation.json").read_text())
        except FileNotFoundError:
            raise HaError(f"no formation in {directory} (smf db ha init)") from None
        data["nodes"] = [Node(**n) for n in data["nodes"]]
        return cls(**data)


def default_dir() -> Path:
    return default_state_dir() / "ha"


def _as_root() -> bool:
    return os.geteuid() == 0


def _own(path: Path) -> None:
    if _as_root():
        shutil.chown(path, SERVICE_USER, SERVICE_USER)


_DETACHED: list[subprocess.Popen[bytes]] = []


class Runner:
    """Runs pg_autoctl, initdb and psql for a formation's directory, as the server's user."""

    def __init__(self, f: Formation) -> None:
        self.f = f

    def env(self) -> dict[str, str]:
        base = self.f.path
        return {
            "PATH": f"{PG_BIN}:/usr/bin:/bin",
            "HOME": str(base),
            "XDG_CONFIG_HOME": str(base / "config"),
            "XDG_DATA_HOME": str(base / "share"),
            "XDG_RUNTIME_DIR": str(self.f.run_dir),
            "PGHOST": str(self.f.run_dir),
            "LANG": "C.UTF-8",
        }

    def command(self, *args: str) -> list[str]:
        env = [f"{k}={v}" for k, v in self.env().items()]
        cmd = ["env", "-i", *env, *args]
        if _as_root():
            cmd = ["runuser", "-u", SERVICE_USER, "--", *cmd]
        return cmd

    def run(self, *args: str, timeout: float = 300, check: bool = True) -> str:
        """Run a command to its end; on `timeout` its whole process group is killed."""
        proc = subprocess.Popen(
            self.command(*args),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd="/",
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise HaError(f"{' '.join(args[:3])} did not finish in {timeout:.0f} s") from None
        proc_result = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
        return self._checked(proc_result, args, check)

    def _checked(
        self, proc: subprocess.CompletedProcess[str], args: tuple[str, ...], check: bool
    ) -> str:
        if check and proc.returncode != 0:
            tail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-6:]
            raise HaError(
                f"{args[0]} {args[1] if len(args) > 1 else ''} failed: " + " | ".join(tail)
            )
        return proc.stdout

    def spawn(self, pgdata: str, log_name: str) -> int:
        """`pg_autoctl run` for one node, detached (its own session), logging to logs/."""
        log = (self.f.path / "logs" / f"{log_name}.log").open("a")
        proc = subprocess.Popen(
            self.command("pg_autoctl", "run", "--pgdata", pgdata),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd="/",
        )
        log.close()
        _DETACHED.append(proc)  # kept (and reaped in stop()), never garbage-collected running
        return proc.pid

    def psql(self, port: int, database: str, sql: str) -> str:
        return self.run(
            "psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", str(self.f.run_dir),
            "-p", str(port), "-d", database, "-c", sql,
        )  # fmt: skip


def state(f: Formation) -> list[dict[str, Any]]:
    """The nodes as the monitor sees them (`pg_autoctl show state --json`): name, host, port,
    current_group_state, assigned_group_state, health, reported_lsn, reported_tli."""
    if f.monitor_port is None:
        args = ["pg_autoctl", "show", "state", "--json", "--monitor", str(f.monitor_url)]
    else:
        args = ["pg_autoctl", "show", "state", "--json", "--pgdata", str(f.path / "monitor")]
    out = Runner(f).run(*args, timeout=30)
    nodes: list[dict[str, Any]] = json.loads(out or "[]")
    return nodes


def wait_for(f: Formation, want: dict[str, str], timeout_s: float = 180.0) -> list[dict[str, Any]]:
    """Wait until each named node reports (and is assigned) the wanted state."""
    deadline = time.monotonic() + timeout_s
    last: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        try:
            last = state(f)
        except (HaError, json.JSONDecodeError):
            last = []
        states = {
            n["nodename"]: (n["current_group_state"], n["assigned_group_state"]) for n in last
        }
        if all(states.get(name) == (s, s) for name, s in want.items()):
            return last
        time.sleep(0.5)
    raise HaError(f"formation did not reach {want} in {timeout_s:.0f} s; last seen {last}")


def _initdb(r: Runner, pgdata: Path, conf: dict[str, str], hba: str) -> None:
    r.run("initdb", "-D", str(pgdata), "-E", "UTF8", "--locale=C", "--auth=trust")
    with (pgdata / "postgresql.auto.conf").open("a") as fh:
        fh.write("# written by smf db ha init\n")
        fh.write("".join(f"{k} = {v}\n" for k, v in conf.items()))
    (pgdata / "pg_hba.conf").write_text(hba)


def _listen(hostname: str) -> str:
    return "127.0.0.1" if hostname in ("127.0.0.1", "localhost") else "*"


def _wait_sql(r: Runner, port: int, database: str, timeout_s: float = 60.0) -> None:
    """Wait until the server on `port` answers (pg_autoctl restarts it while it sets it up)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            r.psql(port, database, "select 1")
            return
        except HaError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def create_monitor(f: Formation, port: int) -> None:
    r = Runner(f)
    pgdata = f.path / "monitor"
    _initdb(
        r,
        pgdata,
        {
            "listen_addresses": f"'{_listen(f.hostname)}'",
            "unix_socket_directories": f"'{f.run_dir}'",
            "port": str(port),
        },
        # pg_autoctl adds the nodes' rule (autoctl_node from the formation's network)
        "# written by smf db ha init (db/ha.py)\nlocal all all trust\n",
    )
    r.run(
        "pg_autoctl", "create", "monitor", "--pgdata", str(pgdata), "--pgport", str(port),
        "--hostname", f.hostname, "--auth", "trust", "--no-ssl", "--pgctl", str(PG_BIN / "pg_ctl"),
    )  # fmt: skip
    r.run(
        "pg_autoctl", "config", "set", "--pgdata", str(pgdata),
        "postgresql.listen_addresses", _listen(f.hostname),
    )  # fmt: skip
    r.spawn(str(pgdata), "monitor")
    f.monitor_port = port
    _wait_sql(r, port, "pg_auto_failover")
    for name, value in MONITOR_TIMEOUTS_MS.items():
        r.psql(port, "pg_auto_failover", f"alter system set pgautofailover.{name} = {int(value)}")
    r.psql(port, "pg_auto_failover", "select pg_reload_conf()")
    f.monitor_url = f"postgres://autoctl_node@{f.hostname}:{port}/pg_auto_failover?sslmode=prefer"


def create_node(
    f: Formation, name: str, port: int, first: bool, extra_conf: dict[str, str] | None = None
) -> Node:
    r = Runner(f)
    pgdata = f.path / name
    if first:
        # TimescaleDB must be preloaded on every node: the standbys get this file from the
        # primary with pg_basebackup. Our settings go to postgresql.auto.conf, read after the
        # file pg_autoctl writes (whose tuning would size shared_buffers from the machine).
        conf = {
            **BASE_CONF,
            **(extra_conf or {}),
            "shared_preload_libraries": "'timescaledb,pg_stat_statements'",
            "listen_addresses": f"'{_listen(f.hostname)}'",
            "unix_socket_directories": f"'{f.run_dir}'",
            "port": str(port),
        }
        _initdb(r, pgdata, conf, HBA)
    r.run(
        "pg_autoctl", "create", "postgres", "--pgdata", str(pgdata), "--pgport", str(port),
        "--listen", _listen(f.hostname), "--hostname", f.hostname, "--name", name,
        "--monitor", str(f.monitor_url), "--no-ssl", "--dbname", DATABASE,
        "--pgctl", str(PG_BIN / "pg_ctl"), "--replication-quorum", "true", "--skip-pg-hba",
    )  # fmt: skip
    for key, value in KEEPER_TIMEOUTS_S.items():
        r.run("pg_autoctl", "config", "set", "--pgdata", str(pgdata), f"timeout.{key}", str(value))
    r.spawn(str(pgdata), name)
    node = Node(name, port, str(pgdata), f.hostname)
    f.nodes.append(node)
    return node


def _setup_app_role(f: Formation, node: Node) -> str:
    """On the first primary: the application role `smf` (owner of database smf) with a SCRAM
    password (TCP logins need one: HBA). Returns the password (kept in the passfile)."""
    r = Runner(f)
    _wait_sql(r, node.port, "postgres")
    password = secrets.token_urlsafe(24)
    verifier = scram_verifier(password)
    r.psql(
        node.port,
        "postgres",
        f"create role {APP_ROLE} superuser login password '{verifier}'; "
        f"alter database {DATABASE} owner to {APP_ROLE}",
    )
    return password


def write_passfile(f: Formation, password: str) -> None:
    fd = os.open(f.passfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(f"*:*:*:{APP_ROLE}:{password}\n")


def init(
    directory: Path,
    *,
    base_port: int = DEFAULT_BASE_PORT,
    nodes: int = 2,
    hostname: str = "127.0.0.1",
    monitor_url: str | None = None,
    migrate: bool = True,
    extra_conf: dict[str, str] | None = None,
) -> Formation:
    """Build a formation here: a monitor (unless `monitor_url` names one elsewhere) on
    `base_port` and `nodes` nodes on the next ports; the first node becomes the primary, the
    others synchronous standbys. Then migrate the database to head through the formation URL."""
    if shutil.which("pg_autoctl") is None:
        raise HaError("pg_autoctl is not installed: run `make setup`")
    directory = directory.resolve()
    if (directory / "formation.json").exists():
        raise HaError(f"a formation exists in {directory}: `smf db ha start` or remove it first")
    if _as_root():
        for parent in directory.parents:
            if parent.exists() and not parent.stat().st_mode & 0o001:
                raise HaError(f"{parent} is not traversable by '{SERVICE_USER}': use --dir")
    for sub in ("", "run", "logs", "config", "share"):
        (directory / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
        _own(directory / sub)
    f = Formation(dir=str(directory), hostname=hostname, monitor_url=monitor_url)
    f.save()
    if monitor_url is None:
        create_monitor(f, base_port)
        f.save()
    # with a monitor here the nodes take the next ports; joining a monitor elsewhere, the first
    # node of this host takes base_port itself
    port = base_port + 1 if monitor_url is None else base_port
    # the first node of the group is initialised here; the others are cloned from the primary
    group_empty = monitor_url is None or not state(f)
    for i in range(1, nodes + 1):
        name = f"node{i}" if hostname in ("127.0.0.1", "localhost") else f"{hostname}-{i}"
        first = group_empty and i == 1
        node = create_node(f, name, port, first=first, extra_conf=extra_conf)
        f.save()
        if first:
            wait_for(f, {node.name: "single"})
            write_passfile(f, _setup_app_role(f, node))
        else:
            wait_for(f, {node.name: "secondary"})
        port += 1
    if nodes and migrate:
        from db import migrate as db_migrate
        from db.settings import load

        db_migrate.upgrade(load({"SMF_DATABASE_URL": f.url()}))
    return f


def stop(f: Formation) -> list[str]:
    """Stop the nodes (standbys first, so no failover is triggered), then the monitor."""
    r = Runner(f)
    done = []
    primary = _primary_name(f)
    order = [n for n in f.nodes if n.name != primary] + [n for n in f.nodes if n.name == primary]
    for n in order:
        r.run("pg_autoctl", "stop", "--pgdata", n.pgdata, check=False, timeout=60)
        done.append(n.name)
    if f.monitor_port is not None:
        r.run("pg_autoctl", "stop", "--pgdata", str(f.path / "monitor"), check=False, timeout=60)
        done.append("monitor")
    deadline = time.monotonic() + 60
    for pgdata in [n.pgdata for n in f.nodes] + [str(f.path / "monitor")]:
        pid = Path(pgdata) / "postmaster.pid"
        while pid.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    for proc in list(_DETACHED):  # reap the `pg_autoctl run` we started (they end now)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            _DETACHED.remove(proc)
    return done


def start(f: Formation) -> None:
    """Start the monitor and every node again (after `ha stop` or a reboot)."""
    r = Runner(f)
    if f.monitor_port is not None:
        r.spawn(str(f.path / "monitor"), "monitor")
        time.sleep(1.0)
    for n in f.nodes:
        r.spawn(n.pgdata, n.name)


def _primary_name(f: Formation) -> str | None:
    try:
        nodes = state(f)
    except (HaError, json.JSONDecodeError):
        return None
    for n in nodes:
        if n["assigned_group_state"] in ("primary", "wait_primary", "single"):
            return str(n["nodename"])
    return None


def failover(f: Formation, timeout_s: float = 120.0) -> str:
    """A planned switchover: the monitor promotes the standby and demotes the primary; returns
    the new primary's name once it accepts writes and the old one follows it."""
    before = _primary_name(f)
    args = ["pg_autoctl", "perform", "failover", "--wait", str(int(timeout_s))]
    if f.monitor_port is not None:
        args += ["--pgdata", str(f.path / "monitor")]
    else:
        args += ["--monitor", str(f.monitor_url)]
    Runner(f).run(*args, timeout=timeout_s + 30)
    after = _primary_name(f)
    if after is None or after == before:
        raise HaError(f"failover did not change the primary (still {before})")
    return after


def postmaster_pid(node: Node) -> int | None:
    try:
        return int((Path(node.pgdata) / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


def status_table(f: Formation) -> str:
    lines = [f"{'node':<10} {'host:port':<22} {'state':<14} {'assigned':<14} {'health':<7} LSN"]
    for n in state(f):
        lines.append(
            f"{n['nodename']:<10} {n['nodehost'] + ':' + str(n['nodeport']):<22} "
            f"{n['current_group_state']:<14} {n['assigned_group_state']:<14} "
            f"{'ok' if n['health'] == 1 else 'BAD' if n['health'] == 0 else '?':<7} "
            f"{n['reported_tli']}: {n['reported_lsn']}"
        )
    return "\n".join(lines)


def cli(args: argparse.Namespace) -> int:
    """`smf db ha ACTION` (see smf/durability.py for the options)."""
    directory = (args.dir or default_dir()).resolve()
    try:
        if args.sub == "init":
            nodes = args.nodes if args.monitor is None or args.nodes != 2 else 1
            f = init(
                directory,
                base_port=args.base_port
                or int(os.environ.get("SMF_HA_BASE_PORT", DEFAULT_BASE_PORT)),
                nodes=nodes,
                hostname=args.hostname or "127.0.0.1",
                monitor_url=args.monitor,
            )
            print(status_table(f))
            if f.nodes:
                print("\nthe one setting every component needs (poller, API, jobs, CCEE, CLI):")
                print(f"export SMF_DATABASE_URL='{f.url()}'")
            else:
                print(f"\nmonitor ready: {f.monitor_url}")
            return 0
        f = Formation.load(directory)
        if args.sub == "status":
            print(status_table(f))
            return 0
        if args.sub == "url":
            print(f.url())
            return 0
        if args.sub == "failover":
            print(f"new primary: {failover(f)}")
            print(status_table(f))
            return 0
        if args.sub == "stop":
            print("stopped: " + ", ".join(stop(f)))
            return 0
        if args.sub == "start":
            start(f)
            primary = f.nodes[0].name if f.nodes else None
            if primary:
                time.sleep(2.0)
            print(status_table(f))
            return 0
    except HaError as exc:
        print(f"ha: {' '.join(str(exc).split())}", file=sys.stderr)
        return 1
    raise AssertionError(args.sub)
