"""Property-based requests generated from our OpenAPI document (schemathesis) against the app
served by uvicorn on loopback, as an admin (the widest surface): no request may get a 5xx."""

from __future__ import annotations

import socket
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, settings

from api.app import create_app
from api.config import ApiConfig
from tests.api.conftest import Seed

# schemathesis 3 uses jsonschema names deprecated since jsonschema 4.18
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def api_url(seeded: Seed) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(ApiConfig(db=seeded.settings, max_upload_bytes=64 << 10))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield url
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def api_schema(api_url: str) -> Any:
    schemathesis.experimental.OPEN_API_3_1.enable()  # Litestar writes OpenAPI 3.1
    return schemathesis.from_uri(f"{api_url}/api/docs/openapi.json", base_url=api_url)


with warnings.catch_warnings():  # schemathesis 3 passes its own deprecated argument here
    warnings.simplefilter("ignore", DeprecationWarning)
    schema = schemathesis.from_pytest_fixture("api_schema")
    parametrize = schema.parametrize()


@parametrize
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_errors(case: Any, seeded: Seed) -> None:
    response = case.call(headers=seeded.headers("root"), timeout=30)
    assert response.status_code < 500, (
        case.method,
        case.formatted_path,
        case.query,
        response.text[:500],
    )
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
