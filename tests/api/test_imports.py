"""Uploads: a good CSV is ingested and its batch can be read back; malformed, truncated,
oversized and empty files each get their own error and leave stored data exactly as before."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import make_client
from tests.db.helpers import fingerprint

GOOD = (
    b"meter_serial,ts,active_fwd_kwh\n"
    b"M-A1,2024-03-05T00:00:00Z,0.100\n"
    b"M-A1,2024-03-05T00:05:00Z,0.200\n"
    b"NOPE,2024-03-05T00:05:00Z,0.200\n"
)


@pytest.mark.slow
def test_csv_import_and_batch(fresh: Any) -> None:
    seed, client = fresh
    h = seed.headers("svc")
    r = client.post("/api/v1/imports", content=GOOD, headers=h, params={"filename": "a.csv"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["format"], body["rows"], body["inserted"]) == ("csv", 3, 2)
    assert sum(body["quarantined"].values()) == 1  # the unknown meter
    batch = client.get(body["href"], headers=h).json()
    assert batch["origin"] == "a.csv" and batch["inserted"] == 2
    assert [q["meter_ref"] for q in batch["quarantine"]] == ["NOPE"]
    assert client.get(body["href"], headers=seed.headers("ana")).status_code == 403


@pytest.mark.slow
def test_bad_uploads_write_nothing(fresh: Any) -> None:
    seed, client = fresh
    h = seed.headers("root")
    before = fingerprint(seed.settings.url)
    cases = {
        "bad header": (b"meter,when,kwh\nM-A1,2024-03-05T00:00:00Z,1\n", "line 1"),
        "bad value": (b"meter_serial,ts,active_fwd_kwh\nM-A1,2024-03-05T00:00:00Z,abc\n", "line 2"),
        "truncated": (GOOD[:-20], "line 4"),
        "binary junk": (bytes(range(256)) * 2, "ABNT"),
        "empty": (b"", "empty"),
    }
    for name, (content, says) in cases.items():
        r = client.post("/api/v1/imports", content=content, headers=h)
        assert r.status_code == 422, (name, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert says in r.json()["detail"], (name, r.json())
    assert fingerprint(seed.settings.url) == before


@pytest.mark.slow
def test_oversized_upload_is_413_and_writes_nothing(fresh: Any) -> None:
    seed, _ = fresh
    before = fingerprint(seed.settings.url)
    big = GOOD + b"M-A1,2024-03-06T00:00:00Z,0.100\n" * 200
    with make_client(seed.settings, max_upload_bytes=1024) as c:
        r = c.post("/api/v1/imports", content=big, headers=seed.headers("root"))
        assert r.status_code == 413
        assert r.json()["code"] == "too-large" and r.json()["limit_bytes"] == 1024
        # without a declared length (chunked), the stream is cut at the limit too
        r = c.post(
            "/api/v1/imports", content=iter([big[:800], big[800:]]), headers=seed.headers("root")
        )
        assert r.status_code == 413
    assert fingerprint(seed.settings.url) == before


SPREADSHEET = (
    b"meter_serial;ts;active_fwd_kwh\n"
    b"M-A1;05/03/2024 00:00;0,100\n"  # line 2: 5 March or 3 May; a decimal comma
    b"M-A1;13/03/2024 00:15;0,250\n"  # line 3: 13 is a day, so DD/MM
)


@pytest.mark.slow
def test_an_upload_reads_offsetless_times_as_the_query_says_and_its_batch_keeps_how(
    fresh: Any,
) -> None:
    seed, client = fresh
    h = seed.headers("svc")
    before = fingerprint(seed.settings.url)
    # without utc_offset: refused, naming this endpoint's parameter (not the CLI's flag)
    r = client.post("/api/v1/imports", content=SPREADSHEET, headers=h)
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert "utc_offset=-03:00" in detail and "--utc-offset" not in detail
    # a bad offset and an ABNT-only question are refused before anything is read
    r = client.post("/api/v1/imports", content=SPREADSHEET, headers=h, params={"utc_offset": "-3"})
    assert r.status_code == 422 and "write it as ±HH:MM" in r.json()["detail"]
    r = client.post("/api/v1/imports", content=SPREADSHEET, headers=h, params={"date_order": "dmy"})
    assert r.status_code == 422
    assert r.json()["detail"].startswith("date_order reads dates without a UTC offset")
    assert "add utc_offset=-03:00" in r.json()["detail"]
    assert fingerprint(seed.settings.url) == before
    # an unescaped "+" arrives as a space: "+00:00" is still +00:00 (and -03:00 is read below)
    r = client.post(
        "/api/v1/imports", content=SPREADSHEET, headers=h, params={"utc_offset": " 00:00"}
    )
    assert r.status_code == 201, r.text
    plus = client.get(r.json()["href"], headers=h).json()
    assert "read at +00:00 (utc_offset)" in plus["decisions"][1]
    r = client.post(
        "/api/v1/imports", content=SPREADSHEET, headers=h, params={"utc_offset": "-03:00"}
    )
    assert r.status_code == 201, r.text
    batch = client.get(r.json()["href"], headers=h).json()
    assert batch["inserted"] == 2
    assert batch["decisions"] == [
        "numbers read with a decimal comma: fields separated by ';' and a comma in a number on "
        "line 2 (decimal=point to refuse)",
        "2 of 2 rows had no UTC offset and were read at -03:00 (utc_offset)",
        "dates read DD/MM/YYYY: line 3 has '13/03/2024 00:15', whose first field is above 12, "
        "so a day",
    ]
    # 00:00 and 00:15 at -03:00 are 03:00 and 03:15 UTC; 0,100 kWh is 100 Wh
    r = client.get(
        "/api/v1/meters/M-A1/intervals",
        headers=seed.headers("root"),
        params={"from": "2024-03-05T03:00:00Z", "to": "2024-03-05T03:05:00Z",
                "channels": "active_fwd"},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["rows"][0][:2] == ["2024-03-05T03:00:00+00:00", 0.1]
