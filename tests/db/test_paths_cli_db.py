"""`smf db start|status|logs|stop|reset` as an operator runs them, on a throwaway cluster of this
module's own (its data directory and a free port), and the cluster's failure paths: no server
binaries, a data directory the server user cannot reach, a server that refuses to start."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from db import migrate
from db.cluster import Cluster, ClusterError
from db.settings import REPO_ROOT, ClusterSettings, default_state_dir


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def env() -> Iterator[dict[str, str]]:
    """The environment of an operator whose local cluster lives in a fresh directory."""
    data = default_state_dir() / f"cli-db-test-{os.getpid()}" / "pgdata"
    port = _free_port()
    env = {**os.environ, "SMF_PG_DATA": str(data), "SMF_PG_PORT": str(port)}
    for name in ("SMF_DATABASE_URL", "SMF_DEBUG", "SMF_PG_BIN"):
        env.pop(name, None)
    yield env
    Cluster(ClusterSettings(data_dir=data, port=port)).stop()
    shutil.rmtree(data.parent, ignore_errors=True)


def smf(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "smf.cli", *argv],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_db_verbs_through_a_cluster_life(env: dict[str, str]) -> None:
    data, port = Path(env["SMF_PG_DATA"]), env["SMF_PG_PORT"]

    st = smf(env, "db", "status")
    assert st.returncode == 3, st.stderr  # 3: not running, for scripts
    assert st.stdout.splitlines()[0] == f"no cluster at {data} (run `smf db start`)"
    assert st.stdout.splitlines()[1].startswith("url: postgresql://smf@/smf?host=")
    assert st.stdout.rstrip().endswith(f"&port={port}")
    logs = smf(env, "db", "logs")
    assert (logs.returncode, logs.stdout) == (0, "(no log yet)\n")

    start = smf(env, "db", "start")
    assert start.returncode == 0, start.stderr
    assert start.stdout.startswith(f"initialised and started on port {port} (socket "), start.stdout
    assert (data / "PG_VERSION").exists()
    pw = data.parent / f"password-{port}"
    assert pw.stat().st_mode & 0o777 == 0o600  # the owner's TCP password is nobody else's
    again = smf(env, "db", "start")
    assert again.returncode == 0 and again.stdout.startswith("already running (pid "), again.stdout

    # A new user's next step: the schema, then a look at it through psql.
    mig = smf(env, "db", "migrate")
    assert (mig.returncode, mig.stdout) == (0, "migrated to head; functions re-applied\n"), (
        mig.stderr
    )
    assert "already running" not in mig.stderr  # no chatter when nothing had to be started
    [head] = migrate.heads()
    psql = smf(env, "db", "psql", "--", "-Atc", "select version_num from alembic_version")
    assert (psql.returncode, psql.stdout) == (0, f"{head}\n"), psql.stderr
    dump = smf(env, "db", "schema")
    assert dump.returncode == 0 and "CREATE TABLE smf.meter (" in dump.stdout, dump.stderr

    st = smf(env, "db", "status")
    assert st.returncode == 0, st.stdout
    first = st.stdout.splitlines()[0]
    assert first.startswith("running (pid ") and f"on port {port}, socket " in first
    pid = int(first.split("(pid ")[1].split(")")[0])
    os.kill(pid, 0)  # the pid it names is a live process
    # Asked with another port configured (e.g. SMF_PG_PORT left unset): the port the server
    # listens on comes from its pid file, and the status says which setting would reach it.
    other = smf({**env, "SMF_PG_PORT": str(int(port) + 1)}, "db", "status")
    assert other.returncode == 0, other.stdout
    assert other.stdout.splitlines()[0] == (
        f"running (pid {pid}) on port {port}, not on the configured port {int(port) + 1}: "
        f"set SMF_PG_PORT={port} to use it"
    )

    whole = smf(env, "db", "logs", "--lines", "100000").stdout.splitlines()
    three = smf(env, "db", "logs", "--lines", "3").stdout.splitlines()
    assert 1 <= len(three) <= 3 and three == whole[-len(three) :]
    assert any("ready to accept connections" in line for line in whole), whole

    refused = smf(env, "db", "reset")  # no --yes: nothing is deleted
    assert refused.returncode == 2
    assert "deletes every database of the local cluster; add --yes" in refused.stderr
    assert (data / "PG_VERSION").exists()
    assert smf(env, "db", "status").returncode == 0

    stop = smf(env, "db", "stop")
    assert (stop.returncode, stop.stdout) == (0, "stopped\n"), stop.stderr
    stop = smf(env, "db", "stop")
    assert (stop.returncode, stop.stdout) == (0, "not running (not running)\n")
    st = smf(env, "db", "status")
    assert (st.returncode, st.stdout.splitlines()[0]) == (3, "not running")

    # A setting the server refuses: `start` says so in one line, with the log's last lines.
    auto = data / "postgresql.auto.conf"
    good = auto.read_text()
    auto.write_text(good + "shared_buffers = 'lots'\n")
    bad = smf(env, "db", "start")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("database cluster: the server did not start: "), bad.stderr
    assert "last log lines:" in bad.stderr
    assert smf(env, "db", "status").returncode == 3
    auto.write_text(good)

    reset = smf(env, "db", "reset", "--yes")
    assert (reset.returncode, reset.stdout) == (0, f"removed {data}\n"), reset.stderr
    assert not data.exists()
    assert smf(env, "db", "status").stdout.startswith("no cluster at ")


def test_import_of_something_that_is_not_a_regular_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from smf import cli

    assert cli.main(["import", "/dev/null"]) == 1  # checked before any database is touched
    assert capsys.readouterr().err == "error: /dev/null is not a regular file\n"


def test_no_server_binaries_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    missing = tmp_path / "no-postgres-here"
    proc = smf({**env, "SMF_PG_BIN": str(missing)}, "db", "start")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr == f"database cluster: no initdb in {missing}: run `make setup` first\n"
    assert not (Path(env["SMF_PG_DATA"]) / "PG_VERSION").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="the server user is separate only when we are root")
def test_data_directory_the_server_user_cannot_reach(tmp_path: Path) -> None:
    """As root the server runs as `smfdb`; a parent it cannot traverse is named, with the fix."""
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o700)
    locked.chmod(0o700)
    c = Cluster(ClusterSettings(data_dir=locked / "smf" / "pgdata", port=_free_port()))
    with pytest.raises(ClusterError) as exc:
        c.init()
    msg = str(exc.value)
    assert f"{locked} is not traversable by other users (mode 0o700)" in msg
    assert f"chmod o+x {locked}" in msg and "SMF_PG_DATA" in msg
    assert not (locked / "smf").exists()  # nothing created
