"""create_app(): the Litestar application. The lifespan opens the driver's async pool on
app.state (after checking the schema is at head); handlers get a connection per request that
acts for the caller (api/deps.py); one exception handler writes problem+json (api/errors.py).
OpenAPI: /api/docs (UI) and /api/docs/openapi.json."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from api import errors, openapi, pages, security, startup
from api.config import ApiConfig, load_config
from api.controllers import (
    alarms,
    health,
    imports,
    intervals,
    meter_reports,
    meterdata,
    reads,
    registry,
    reports,
    rules,
    search,
)
from api.deps import provide_db
from db import driver

ROUTES: list[Any] = [
    health.health,
    search.search,
    registry.DistributorController,
    registry.MeterController,
    registry.UnitController,
    intervals.meter_intervals,
    intervals.unit_intervals,
    meterdata.MeterDataController,
    rules.unit_rule,
    reports.unit_report,
    meter_reports.meter_report,  # issue 23: meter configurations, clocks, connectivity
    alarms.alarm_sheet,
    alarms.alarm_ack,
    alarms.alarm_close,
    alarms.alarm_rules,
    alarms.alarm_set_threshold,
    reads.ask_read,
    reads.read_status,
    imports.import_file,
    imports.import_batch,
]


def create_app(config: ApiConfig | None = None, *, check_schema: bool = True) -> Litestar:
    config = config or load_config()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if check_schema:
            startup.check_schema_at_head(config.service_db)
        app.state.config = config
        app.state.pool = await driver.open_async_pool(
            config.service_db, max_size=config.pool_size, timeout=config.db_wait_s
        )
        try:
            yield
        finally:
            await app.state.pool.close()

    return Litestar(
        route_handlers=[
            *ROUTES,
            pages.router(secure_cookies=config.secure_cookies or config.tls_cert is not None),
            security.docs_static(),
        ],  # + the client web view under /web, Swagger UI's files
        middleware=[security.headers_middleware],
        template_config=pages.template_config(),
        lifespan=[lifespan],
        dependencies={"db": Provide(provide_db)},
        exception_handlers={Exception: errors.handle},
        openapi_config=OpenAPIConfig(
            title="SMF API",
            version="1",
            path="/api/docs",
            render_plugins=[security.SwaggerUI(), openapi.TruthfulJson()],
            components=Components(
                security_schemes={
                    "apiKey": SecurityScheme(
                        type="http", scheme="bearer", description="smf_<id>_<secret> (smf user key)"
                    )
                }
            ),
            security=[{"apiKey": []}],
        ),
        debug=False,
    )
