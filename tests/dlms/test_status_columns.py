"""What a DLMS load-profile status byte means (smf.dlms_status_quality, dlms_status_table;
db/functions/220_dlms.sql) under the IDIS scheme as seeded: bit 0 critical_error and bit 2
invalid make an interval missing; bits 1 clock_invalid, 5 clock_adjusted and 7 power_failure
make it adjusted; bit 3 daylight_saving and the reserved bits 4 and 6 leave it measured."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

IDIS_CASES = [
    # status, quality (worst of the set bits), flags (set bits, reserved ones left out)
    (0, "measured", []),
    (0x08, "measured", ["daylight_saving"]),
    (0x10, "measured", []),  # bit 4: reserved, no flag
    (0x58, "measured", ["daylight_saving"]),  # 0x40 + 0x10 + 0x08: bits 6, 4, 3
    (0x20, "adjusted", ["clock_adjusted"]),
    (0x80, "adjusted", ["power_failure"]),
    (0xA2, "adjusted", ["clock_invalid", "clock_adjusted", "power_failure"]),  # bits 1, 5, 7
    (0x21, "missing", ["critical_error", "clock_adjusted"]),  # missing beats adjusted
    (0x04, "missing", ["invalid"]),
    (0xFF, "missing", ["critical_error", "clock_invalid", "invalid", "daylight_saving",
                       "clock_adjusted", "power_failure"]),
]  # fmt: skip


def test_status_quality_is_the_worst_bit_and_flags_name_the_set_bits(
    conn: psycopg.Connection[Any],
) -> None:
    """One status byte: quality = the worst quality of its set bits (measured when none),
    flags = the meanings of its set bits in bit order."""
    for status, quality, flags in IDIS_CASES:
        row = conn.execute(
            "select quality, flags from smf.dlms_status_quality('idis', %s)", (status,)
        ).fetchone()
        assert row == (quality, flags), status


def test_status_quality_orders_missing_estimated_adjusted_measured(
    conn: psycopg.Connection[Any],
) -> None:
    """In a scheme of one's own, an 'estimated' bit beats an 'adjusted' one and loses to a
    'missing' one."""
    conn.execute(
        "insert into smf.dlms_status_bit (scheme, bit, meaning, quality) values"
        " ('own', 0, 'invalid', 'estimated'), ('own', 1, 'clock_adjusted', 'adjusted'),"
        " ('own', 2, 'critical_error', 'missing')"
    )
    got = conn.execute(
        "select s, q.quality, q.flags from unnest(array[2, 3, 7]) s,"
        " lateral smf.dlms_status_quality('own', s) q order by s"
    ).fetchall()
    assert got == [
        (2, "adjusted", ["clock_adjusted"]),
        (3, "estimated", ["invalid", "clock_adjusted"]),
        (7, "missing", ["invalid", "clock_adjusted", "critical_error"]),
    ]


@pytest.mark.parametrize(
    ("scheme", "status"), [("nope", 0), ("idis", 256), ("idis", -1), ("idis", None)]
)
def test_status_quality_refuses_an_unknown_scheme_or_a_value_that_is_not_one_octet(
    conn: psycopg.Connection[Any], scheme: str, status: int | None
) -> None:
    """SMF02 for a scheme without bits and for a status outside 0..255 (or null)."""
    with pytest.raises(psycopg.Error) as e, conn.transaction():
        conn.execute("select * from smf.dlms_status_quality(%s, %s::int)", (scheme, status))
    assert e.value.sqlstate == "SMF02"


def test_status_table_lists_every_octet_with_its_quality_and_flags(
    conn: psycopg.Connection[Any],
) -> None:
    """The table the poller caches: 256 rows, status 0..255, each as dlms_status_quality
    says. Missing: bit 0 or 2 set, 256 - 2^6 = 192; of the 64 others (bits 1, 3-7 free)
    the 2^3 = 8 without bit 1, 5 or 7 are measured and 56 adjusted."""
    rows = conn.execute(
        "select status, quality, flags from smf.dlms_status_table('idis')"
    ).fetchall()
    assert [r[0] for r in rows] == list(range(256))
    by_status = {r[0]: (r[1], r[2]) for r in rows}
    for status, quality, flags in IDIS_CASES:
        assert by_status[status] == (quality, flags), status
    counts = conn.execute(
        "select quality, count(*) from smf.dlms_status_table('idis') group by 1 order by 1"
    ).fetchall()
    assert sorted(counts) == [("adjusted", 56), ("measured", 8), ("missing", 192)]
