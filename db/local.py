"""The database every entry point (CLI verbs, the scheduler, the demos) works against: start the
project-managed cluster when it is the one in use, then check the schema.

Quiet by design: starting a cluster that is already running prints nothing; a cluster that had to
be started is said once on stderr (`database: started on port 55432 ...`)."""

from __future__ import annotations

import sys

from db.cluster import Cluster
from db.settings import Settings, load


def start_local(s: Settings, *, quiet: bool = True) -> None:
    """Start the local cluster when it is the one in use and create the database. `quiet`: say
    nothing when it was already running."""
    if not s.uses_local_cluster:
        return
    cluster = Cluster(s.cluster)
    msg = cluster.start()
    if not (quiet and msg.startswith("already running")):
        print(f"database: {msg}", file=sys.stderr)
    if s.service is None:  # a service never creates the database (nor logs in as owner)
        cluster.ensure_database(s.database)


def ensure_database(service: str | None = None) -> None:
    """Start the local cluster when it is the one in use, then check that the schema is at head
    (raises errors.SchemaNotAtHead naming both revisions). Only `setup_database` migrates.
    `service` ('api', 'poller', 'jobs'): from here on this process connects as that service's
    login role (db.settings.SERVICE_ROLES), never as the owner."""
    from db import migrate
    from db.settings import use_service

    if service is not None:
        use_service(service)
    s = load()
    start_local(s)
    migrate.require_head(s)


def setup_database() -> None:
    """`smf db migrate` and the demo set-up: start the local cluster, create the database,
    migrate to head and re-apply the functions."""
    from db import migrate

    s = load()
    start_local(s)
    migrate.upgrade(s)
