"""Long JSON series stream the server's own JSON (issue 21 item 2): a window that may hold more
than api.series.STREAM_ROWS rows is sent as chunks of parts PostgreSQL wrote
(api_series_json_parts), a shorter one as one json_agg value; both carry the same document.
Values by hand from the API seed (tests/api/conftest.py): meter M-A1 holds (i + 1) Wh in 5-minute
interval i from 2024-03-01 00:00 UTC (i = 0 .. 287), 0.5 kvarh, 127.0 V."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import TestClient

from api import series
from tests.api.conftest import Seed

PATH = "/api/v1/meters/M-A1/intervals"
# 2024-02-23 .. 2024-03-03 at 5 minutes: 9 days = 2592 possible rows > 2000: streamed
LONG = {"from": "2024-02-23T00:00:00Z", "to": "2024-03-03T00:00:00Z"}
SHORT = {"from": "2024-03-01T00:00:00Z", "to": "2024-03-02T00:00:00Z"}  # 288 rows: one value


def _get(client: TestClient[Any], seed: Seed, **params: Any) -> Any:
    r = client.get(PATH, params=params, headers=seed.headers("root"))
    assert r.status_code == 200, r.text
    return r


@pytest.mark.slow
def test_a_long_window_streams_and_carries_every_row_and_field(
    client: TestClient[Any], seeded: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (
        series.estimate_rows(
            series.parse_time(LONG["from"], "from", series.zone("UTC")),
            series.parse_time(LONG["to"], "to", series.zone("UTC")),
            "5m",
        )
        == 2592
        > series.STREAM_ROWS
    )
    monkeypatch.setattr(series, "PART_ROWS", 100)  # 288 rows of data: parts of 100, 100, 88
    long = _get(client, seeded, **LONG)
    assert "content-length" not in long.headers  # streamed (chunked), not one value
    assert long.headers["content-type"] == "application/json"
    body = json.loads(long.content)
    assert body["from"].startswith("2024-02-23T00:00:00")
    cols = body["columns"]
    rows = [dict(zip(cols, r, strict=True)) for r in body["rows"]]
    data = rows  # 5-minute rows are the stored intervals: the seed's one day
    assert len(data) == 288
    # interval i holds (i + 1) Wh = (i + 1) / 1000 kWh, in bucket order across the parts
    assert [r["active_fwd_kwh"] for r in data] == [(i + 1) / 1000 for i in range(288)]
    assert data[0]["bucket_start"] == "2024-03-01T00:00:00+00:00"
    assert data[100]["bucket_start"] == "2024-03-01T08:20:00+00:00"  # first row of part 2
    assert {r["reactive_ind_fwd_kvarh"] for r in data} == {0.5}
    assert {r["voltage_a_v"] for r in data} == {127.0}
    assert {(r["quality"], r["completeness_pct"]) for r in data} == {("measured", 100.0)}
    # the same rows as the short window's single json_agg value, field by field
    short = _get(client, seeded, **SHORT)
    assert "content-length" in short.headers
    one = json.loads(short.content)
    assert one["columns"] == cols
    assert [dict(zip(cols, r, strict=True)) for r in one["rows"]] == data


def test_a_streamed_window_outside_the_scope_or_with_bad_units_fails_before_it_starts(
    client: TestClient[Any], seeded: Seed
) -> None:
    r = client.get(PATH, params=LONG, headers=seeded.headers("other"))
    assert r.status_code == 404  # another client's meter: not there, no stream
    r = client.get(
        "/api/v1/meters/M-A1/intervals",
        params={**LONG, "to": "2024-09-01T00:00:00Z"},
        headers=seeded.headers("root"),
    )
    # 2024-02-23 .. 2024-09-01 at 5 minutes: 191 days x 288 = 55008 rows > 50000: paged
    assert r.status_code == 422 and r.json()["code"] == "too-many-rows"


def test_an_empty_long_window_is_an_empty_rows_array(client: TestClient[Any], seeded: Seed) -> None:
    body = _get(client, seeded, **{"from": "2023-01-01T00:00:00Z", "to": "2023-01-10T00:00:00Z"})
    assert "content-length" not in body.headers  # 2592 possible rows: the streamed path
    assert json.loads(body.content)["rows"] == []  # 5-minute rows are the stored ones: none


@pytest.mark.parametrize("window", ["short", "long"])
def test_csv_is_byte_for_byte_what_copy_writes(
    client: TestClient[Any], seeded: Seed, monkeypatch: pytest.MonkeyPatch, window: str
) -> None:
    """The CSV the API sends (the header, then the server's CSV: one value for a short window,
    streamed parts of PART_ROWS rows for a long one) equals COPY (select ...) TO STDOUT (format
    csv, header) of the same function, columns and time zone: nulls as empty fields (channels
    the seed does not record), local times; the long window's 288 rows come in 3 parts."""
    import psycopg

    monkeypatch.setattr(series, "PART_ROWS", 100)  # 288 rows: parts of 100, 100, 88
    span = SHORT if window == "short" else LONG
    params = {**span, "format": "csv", "tz": "America/Sao_Paulo"}
    r = client.get(PATH, params=params, headers=seeded.headers("root"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert ("content-length" in r.headers) == (window == "short")  # the long one streams
    cols = ["bucket_start", *(c for c, _ in series.CHANNELS.values()), "quality"]
    names = ["bucket_start", *(f"{ch}_{u}" for ch, (_, u) in series.CHANNELS.items())]
    select = ", ".join(f'{c} as "{n}"' for c, n in zip(cols, [*names, "quality"], strict=True))
    with psycopg.connect(seeded.settings.url) as conn:
        conn.execute("set timezone = 'America/Sao_Paulo'")
        meter = conn.execute("select id from smf.meter where serial = 'M-A1'").fetchone()
        assert meter is not None
        out = bytearray()
        with conn.cursor().copy(
            f"copy (select {select}, completeness_pct from smf.api_series({meter[0]},"
            f" '{span['from']}', '{span['to']}', '5m', 'America/Sao_Paulo', false))"
            " to stdout with (format csv, header)"
        ) as copy:
            for chunk in copy:
                out += chunk
    assert r.content == bytes(out)
    lines = r.text.splitlines()
    assert len(lines) == 1 + 288
    # interval 0 (00:00 UTC = 21:00 local the day before): 1 Wh; active_rev is not recorded
    assert lines[1].startswith("2024-02-29 21:00:00-03,0.001,,0.5,")
