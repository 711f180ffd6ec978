"""The project-managed cluster: idempotent start/stop, stale pid files, busy ports."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator

import pytest

from db.cluster import Cluster, ClusterError
from db.settings import ClusterSettings, default_state_dir

PORT = int(os.environ.get("SMF_TEST_CLUSTER_PORT", "55441"))


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    data = default_state_dir() / f"cluster-test-{os.getpid()}" / "pgdata"
    c = Cluster(ClusterSettings(data_dir=data, port=PORT), extra_conf={"fsync": "off"})
    yield c
    c.stop()
    shutil.rmtree(data.parent, ignore_errors=True)


def test_status_before_init(cluster: Cluster) -> None:
    st = cluster.status()
    assert not st.running and "no cluster" in st.detail


@pytest.mark.slow
def test_start_twice_then_stop_twice(cluster: Cluster) -> None:
    assert cluster.start().startswith("initialised and started on port")
    assert cluster.start().startswith("already running (pid ")
    assert cluster.status().running
    assert cluster.stop() == "stopped"
    assert cluster.stop() == "not running (not running)"


@pytest.mark.slow
def test_stale_pid_file_is_cleared(cluster: Cluster) -> None:
    pidfile = cluster.s.data_dir / "postmaster.pid"
    pidfile.write_text("999999\n")  # a crash left this behind; no such process
    if os.geteuid() == 0:
        shutil.chown(pidfile, "smfdb", "smfdb")
    assert "stale pid file" in cluster.status().detail
    assert cluster.start().startswith("started on port")
    cluster.stop()


def test_busy_port_is_named(cluster: Cluster) -> None:
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        other.bind(("127.0.0.1", PORT))
        other.listen()
        with pytest.raises(ClusterError, match=f"port {PORT} on 127.0.0.1 is in use"):
            cluster.start()
