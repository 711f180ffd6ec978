"""The API's limits at their edges, on the product's side: the failed-login lockout (10 failures
from one source within 5 minutes, smf.login_blocked) and the rows one series response carries
(SMF_API_MAX_ROWS; CSV 25 x that). Just below, at and just above each."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from db import driver
from tests.api.conftest import Seed, make_client

DAY = {"from": "2024-03-01T00:00:00Z", "to": "2024-03-02T00:00:00Z"}  # 288 five-minute rows
BAD = {"Authorization": "Bearer smf_aaaaaaaaaaaa_" + "x" * 43}


def _search(client: Any, headers: dict[str, str]) -> int:
    return int(client.get("/api/v1/search", params={"q": "a"}, headers=headers).status_code)


@pytest.mark.slow
def test_nine_failed_logins_do_not_lock_the_source_out(fresh: Any) -> None:
    seed, client = fresh
    assert [_search(client, BAD) for _ in range(9)] == [401] * 9
    assert _search(client, seed.headers("root")) == 200  # 9 < 10: a good key still works
    assert _search(client, BAD) == 401  # the 10th failure is still answered 401 ...
    assert _search(client, seed.headers("root")) == 429  # ... and locks the source out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("oldest_age", "blocked"),
    [
        ("5 minutes 2 seconds", False),  # the oldest of 10 failures left the 5-minute window
        ("4 minutes 50 seconds", True),  # all 10 inside it: wait until the oldest leaves it
    ],
)
def test_failures_count_only_inside_the_five_minute_window(
    seeded: Seed, oldest_age: str, blocked: bool
) -> None:
    src = f"edge-{oldest_age}"
    with driver.connect(seeded.settings) as conn:
        conn.execute(
            "insert into smf.login_failure (source, at) select %s, clock_timestamp()"
            " - %s::interval + g * interval '1 second' from generate_series(0, 8) g"
            " union all select %s, clock_timestamp() - %s::interval",
            (src, "4 minutes", src, oldest_age),
        )
        wait = conn.execute("select smf.login_blocked(%s)", (src,)).fetchone()[0]
        conn.rollback()
    if blocked:
        # oldest at now - 290 s: it leaves the window at now + 10 s (ceil, at least 1)
        assert 9 <= wait <= 10
    else:
        assert wait == 0


@pytest.mark.parametrize(
    ("max_rows", "fmt", "limit", "ok"),
    [
        (288, "json", 288, True),  # a day of 5-minute rows is exactly 288: at the limit
        (287, "json", 287, False),  # one row too many
        (12, "csv", 300, True),  # CSV carries 25 x 12 = 300 >= 288
        (11, "csv", 275, False),  # 25 x 11 = 275 < 288
    ],
)
def test_row_limit_of_one_response(
    seeded: Seed, max_rows: int, fmt: str, limit: int, ok: bool
) -> None:
    with make_client(seeded.settings, max_rows=max_rows) as c:
        r = c.get(
            "/api/v1/meters/M-A1/intervals",
            params={**DAY, "format": fmt},
            headers=seeded.headers("root"),
        )
    if ok:
        assert r.status_code == 200
        rows = len(r.json()["rows"]) if fmt == "json" else r.text.count("\n") - 1
        assert rows == 288
    else:
        assert r.status_code == 422
        body = r.json()
        assert (body["code"], body["limit"], body["field"]) == ("too-many-rows", limit, "to")
        assert f"may hold 288 rows; one {fmt} response carries at most {limit}" in body["detail"]


@pytest.mark.slow
def test_login_failure_rows_are_not_readable_by_the_api_role(seeded: Seed) -> None:
    """The lockout's table is private: smf_api (every request) cannot read it."""
    with driver.connect(seeded.settings) as conn:
        conn.execute("set local role smf_api")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select * from smf.login_failure")
