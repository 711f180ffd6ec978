"""A NUL byte in a path or query value (PostgreSQL text cannot hold one; the driver refuses it
before sending) is a client error with a message, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.api.conftest import Seed


@pytest.mark.slow
def test_nul_in_a_serial_is_a_client_error(seeded: Seed, client: TestClient[Any]) -> None:
    r = client.get("/api/v1/meters/M%00A1", headers=seeded.headers("root"))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["type"] == "/problems/invalid-parameter"
    assert body["detail"] == "PostgreSQL text fields cannot contain NUL (0x00) bytes"
