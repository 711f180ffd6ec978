"""`smf serve`: run the REST API with uvicorn (SIGINT/SIGTERM: finish requests, then stop).

One worker process per core by default (--workers, SMF_API_WORKERS): the parent binds the socket,
checks the schema once, and uvicorn's supervisor starts the workers (each imports the app through
the factory api.app:create_app, opens its own pool of SMF_API_POOL_SIZE connections, and restarts
when it dies). Nothing a request needs lives in one worker's memory: the failed-login lockout, the
web sessions and the on-demand read queue are in the database, and the web view's CSRF tokens
are derived from the request's cookies (api/pages/session.py).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def start_local_cluster(settings: Any) -> None:
    """Start the local cluster when it is the one in use (no migration: `smf db migrate` does
    that; the API refuses a database that is not at head)."""
    from db.cluster import Cluster

    if settings.uses_local_cluster:
        cluster = Cluster(settings.cluster)
        cluster.start()
        if settings.service is None:  # a service never creates the database
            cluster.ensure_database(settings.database)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.config import load_config, parse_workers
    from api.startup import SchemaNotAtHead, check_schema_at_head
    from db.settings import use_service

    use_service("api")  # log in as smf_svc_api, never as the owner (db/settings.py)
    try:
        config = load_config()
        workers = parse_workers(str(args.workers)) if args.workers is not None else config.workers
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    start_local_cluster(config.db)
    try:
        check_schema_at_head(config.service_db)
    except SchemaNotAtHead as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    host = args.host or config.host
    port = args.port or config.port
    scheme = "https" if config.tls_cert else "http"
    print(
        f"serving the API on {scheme}://{host}:{port} (OpenAPI: /api/docs) with {workers} "
        f"worker{'s' if workers != 1 else ''} of up to {config.pool_size} database connections",
        file=sys.stderr,
    )
    uvicorn.run(
        "api.app:create_app",  # each worker builds the app from the environment (load_config)
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=args.log_level,
        timeout_graceful_shutdown=10,
        access_log=args.access_log,
        # the client address is the TCP peer: X-Forwarded-For counts only from the proxies of
        # SMF_API_TRUSTED_PROXIES, and the API reads it itself (api/deps.py source_of)
        proxy_headers=False,
        ssl_certfile=config.tls_cert,
        ssl_keyfile=config.tls_key,
    )
    return 0


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("serve", help="run the REST API (SMF_API_HOST, SMF_API_PORT)")
    p.add_argument("--host", help="bind address (default SMF_API_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default SMF_API_PORT or 8000)")
    p.add_argument(
        "--workers",
        type=int,
        help="worker processes (default SMF_API_WORKERS or one per core)",
    )
    p.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")
    p.add_argument("--access-log", action="store_true", help="log every request line")
    p.set_defaults(func=cmd_serve)
