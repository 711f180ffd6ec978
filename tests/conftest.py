"""Test database fixtures.

A test cluster of its own (data directory .smf/test-pgdata, port SMF_TEST_PG_PORT or 55433,
fsync off, timescaledb.max_background_workers=0) is started once; a template database is built by
running the migrations, and reused while migrations and functions are unchanged (a hash in its
comment). `db_settings` clones the template per test (for tests that commit); `conn` gives a
connection to a per-module clone inside a transaction that is rolled back.
"""

from __future__ import annotations

import gc
import hashlib
import itertools
import os
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from db import migrate
from db.cluster import Cluster
from db.settings import REPO_ROOT, ClusterSettings, Settings, default_state_dir, load

TEMPLATE = "smf_test_template"
_counter = itertools.count()


def _collect_leaks() -> list[str]:
    """Run a garbage collection; the ResourceWarnings it raises (directly, or from a __del__
    through sys.unraisablehook), as lines."""
    caught: list[str] = []
    previous = sys.unraisablehook

    def hook(u: Any) -> None:
        caught.append(f"{u.exc_type.__name__}: {u.exc_value} ({u.err_msg or ''} {u.object!r})")

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", ResourceWarning)
        sys.unraisablehook = hook
        try:
            gc.collect()
        finally:
            sys.unraisablehook = previous
    return caught + [
        f"{w.category.__name__}: {w.message}"
        for w in seen
        if issubclass(w.category, ResourceWarning)
    ]


@pytest.fixture(autouse=True, scope="module")
def _no_leaked_resources_in_module(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a module's last test and its module fixtures: one collection over the whole heap.
    The per-test check below freezes what is alive after each test (gc.freeze), so an object a
    module fixture kept alive and dropped later is collected here, and a resource it leaves
    open fails the module, by name."""
    yield
    gc.unfreeze()
    caught = _collect_leaks()
    gc.freeze()
    if caught:
        pytest.fail(
            f"{request.node.nodeid}: its module fixtures left resources open:\n  "
            + "\n  ".join(caught),
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _no_leaked_resources(request: pytest.FixtureRequest) -> Iterator[None]:
    """A socket, file, client or server a test leaves open fails THAT test, at its teardown.

    Python reports an unclosed socket (ResourceWarning) only when the object is freed; an object
    caught in a reference cycle is freed by whichever later collection runs, so without this the
    warning (an error in this suite) failed an unrelated later test. This fixture is set up first
    and torn down last of the test's function-scoped fixtures, so the test's own fixtures have
    closed what they opened; then a collection frees what is left and any ResourceWarning it
    raises fails this test, naming it.

    What survives that collection is alive, not this test's garbage: it is frozen (gc.freeze),
    so the next test's collection scans only the objects made since. A collection of the
    suite's whole heap costs 0.1-0.3 s, and ran once per test before: tests/poller took 167 s
    with it and 36 s frozen (user CPU 56 s -> 11 s) on this 2-core machine.
    """
    yield
    caught = _collect_leaks()
    gc.freeze()
    if caught:
        pytest.fail(
            f"{request.node.nodeid} left resources open (close them in the test or its"
            " fixture):\n  " + "\n  ".join(caught),
            pytrace=False,
        )


def _sources_hash() -> str:
    h = hashlib.sha256()
    for path in sorted((REPO_ROOT / "db").rglob("*")):
        if (
            path.suffix in {".py", ".sql"}
            and "__pycache__" not in path.parts
            and path.name != "schema.sql"
        ):
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


@pytest.fixture(scope="session")
def test_cluster() -> Iterator[Settings]:
    base = load()
    external = os.environ.get("SMF_TEST_DATABASE_URL")
    if external:
        yield base.__class__(
            cluster=base.cluster,
            database="postgres",
            external_url=external,
            local_timezone=base.local_timezone,
        )
        return
    cs = ClusterSettings(
        data_dir=Path(os.environ.get("SMF_TEST_PG_DATA", default_state_dir() / "test-pgdata")),
        port=int(os.environ.get("SMF_TEST_PG_PORT", "55433")),
        user=base.cluster.user,
        bin_dir=base.cluster.bin_dir,
    )
    cluster = Cluster(
        cs,
        extra_conf={
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "shared_buffers": "'256MB'",
        },
        archive=False,  # tests that need WAL archiving start a cluster of their own
    )
    started = not cluster.status().running
    cluster.start()
    yield Settings(
        cluster=cs, database="postgres", external_url=None, local_timezone=base.local_timezone
    )
    if started:  # leave a cluster someone else started (a parallel run) running
        from db import driver

        driver.dispose_all()
        cluster.stop()


def _admin(settings: Settings) -> psycopg.Connection[Any]:
    return psycopg.connect(settings.with_database("postgres").url, autocommit=True)


@pytest.fixture(scope="session")
def template(test_cluster: Settings) -> str:
    want = _sources_hash()
    with _admin(test_cluster) as conn:
        row = conn.execute(
            "select shobj_description(oid, 'pg_database') from pg_database where datname = %s",
            (TEMPLATE,),
        ).fetchone()
        if row is not None and row[0] == want:
            return TEMPLATE
        conn.execute(f"drop database if exists {TEMPLATE} with (force)")
        conn.execute(f"create database {TEMPLATE}")
    migrate.upgrade(test_cluster.with_database(TEMPLATE))
    with _admin(test_cluster) as conn:
        conn.execute(f"comment on database {TEMPLATE} is '{want}'")
    return TEMPLATE


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--sealed",
        action="store_true",
        help="storage: every test database seals the periods each ingest or rollup refresh "
        "touches at once (smf.seal_all = on), so the tests read sealed data",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked slow (heavy scenarios: clusters of their own, fleets, every README block)
    are left out of a plain run and run with `-m slow` (CI runs both: .ci/run). A run that
    names a marker expression or a single test's node id chooses for itself, and so does a run
    with SMF_TESTS=all (`make mutate`'s scripts set it, so they run the slow tests too)."""
    if config.option.markexpr or any("::" in a for a in config.args):
        return
    if os.environ.get("SMF_TESTS") == "all":
        return
    slow = [i for i in items if i.get_closest_marker("slow") is not None]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [i for i in items if i.get_closest_marker("slow") is None]


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--sealed", default=False):
        os.environ["SMF_TEST_SEALED"] = "1"


def clone(test_cluster: Settings, template: str) -> Settings:
    name = f"smf_test_{os.getpid()}_{next(_counter)}"
    with _admin(test_cluster) as conn:
        conn.execute(f"create database {name} template {template}")
        if os.environ.get("SMF_TEST_SEALED") == "1":  # `pytest --sealed` (tests/storage)
            conn.execute(f"alter database {name} set smf.seal_all = on")
    return test_cluster.with_database(name)


def drop(settings: Settings) -> None:
    from db import driver

    driver.dispose_all()  # close pools that point at the database
    with _admin(settings) as conn:
        conn.execute(f"drop database if exists {settings.database} with (force)")


@pytest.fixture
def db_settings(test_cluster: Settings, template: str) -> Iterator[Settings]:
    """A fresh migrated database for this test; it may commit."""
    settings = clone(test_cluster, template)
    yield settings
    drop(settings)


@pytest.fixture(scope="module")
def module_db(test_cluster: Settings, template: str) -> Iterator[Settings]:
    settings = clone(test_cluster, template)
    yield settings
    drop(settings)


@pytest.fixture
def conn(module_db: Settings) -> Iterator[psycopg.Connection[Any]]:
    """A connection to the module's database in a transaction rolled back after the test."""
    with psycopg.connect(module_db.url) as c:
        yield c
        c.rollback()
