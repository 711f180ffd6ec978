"""Cases that kill the mutants of db/functions/1xx_*.sql that the rest of tests/rules/ let live
(scripts/mutate_sql.py, issue 13 §5). Each case names the mutant it was written for (file prefix
#index of `mutate_sql.py --list`) and shows its expected value worked out by hand or taken from a
published table, never from the function under test."""

from __future__ import annotations

from datetime import date

import pytest


def _q(conn, sql: str, *args):
    return conn.execute(sql, args).fetchone()[0]


# ---------- 105 Easter outside 2000-2100
#
# easter_sunday() takes any Gregorian year. The dates below are those of the published Gregorian
# Easter tables (checked while writing against dateutil.easter, an implementation independent of
# ours). The years were chosen because each one moves Easter under a one-unit change of one of the
# algorithm's constants that the years 2000-2100 of the other tests do not see:
#   1707 (24 Apr): 22*l -> 23*l (also 1734, 1859), b = p_year / 100 -> / 101, and in
#        g = (b - (b + 8) / 25 + 1) / 3 the / 25 -> / 26 and its / 100 -> / 101 (for b = 17,
#        (17 + 8) / 25 = 1 but 25 / 26 = 0);
#   3317 (18 Apr): / 451 -> / 452 (differs first in 3165), 7*m -> 8*m in the day, the first
#        p_year / 100 of g -> / 101;
#   1999 (4 Apr): / 31 -> / 32 in the month (worked below: 127 / 31 = 4, April, but
#        127 / 32 = 3), e = b % 4 -> b % 5 (19 % 4 = 3, 19 % 5 = 4).
# Worked for 1999 (anonymous Gregorian algorithm): a = 1999 % 19 = 4, b = 19, c = 99, d = 4,
# e = 3, f = (19 + 8) / 25 = 1, g = (19 - 1 + 1) / 3 = 6, h = (19*4 + 19 - 4 - 6 + 15) % 30
# = 100 % 30 = 10, i = 99 / 4 = 24, k = 99 % 4 = 3, l = (32 + 2*3 + 2*24 - 10 - 3) % 7 = 73 % 7
# = 3, m = (4 + 11*10 + 22*3) / 451 = 180 / 451 = 0, month = (10 + 3 + 114) / 31 = 127 / 31 = 4,
# day = 127 % 31 + 1 = 3 + 1 = 4 -> 4 April 1999.
@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (1707, date(1707, 4, 24)),
        (1999, date(1999, 4, 4)),
        (3317, date(3317, 4, 18)),
        (1818, date(1818, 3, 22)),  # the earliest possible date, as in 2285
        (1943, date(1943, 4, 25)),  # the latest possible date, as in 2038
    ],
)
def test_easter_in_other_centuries(conn, year, easter):
    assert _q(conn, "select smf.easter_sunday(%s)", year) == easter
