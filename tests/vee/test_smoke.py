from tests.vee.conftest import day_rows, findings, put, unit


def test_smoke(conn):
    u = unit(conn, 1)
    put(conn, u.main_serial, day_rows("2026-10-05", 1.0, skip=range(10, 13)))
    print(findings(conn, u.main))
    r = conn.execute("select smf.vee_estimate(%s, '2026-10-05 03:00Z', '2026-10-06 03:00Z')", (u.main,)).fetchone()
    print(r)
    assert 0
