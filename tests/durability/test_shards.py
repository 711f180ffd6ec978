"""Two shards on local ports behind a postgres_fdw coordinator (docs/scale-out.md): meters placed
by the directory (distributor, then serial range), one query through the coordinator returns
both shards' rows for a cross-distributor report, and each shard's own billing rules give the
same answers as a single-node run on the same data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from db import driver, migrate
from db.backup import free_port
from db.cluster import Cluster
from db.settings import REPO_ROOT, ClusterSettings, Settings
from tests.conftest import clone, drop
from tests.rules.conftest import make_uc, put_hours

from .conftest import SMALL, stop_all

OCT = date(2026, 10, 1)
SCALEOUT = REPO_ROOT / "db" / "scaleout"
# (distributor, UC sequence, hours of data: local start, kWh, inductive kvarh, capacitive kvarh)
DATA: list[tuple[str, int, list[tuple[str, int, int, int]]]] = [
    ("991", 1, [("2026-10-06 10:00", 480, 180, 0), ("2026-10-06 19:00", 200, 40, 0)]),
    ("991", 2, [("2026-10-07 11:00", 500, 300, 0), ("2026-10-08 02:00", 120, 0, 90)]),
    ("992", 3, [("2026-10-06 10:00", 360, 100, 0), ("2026-10-09 18:30", 0, 0, 0)]),
    ("992", 4, [("2026-10-10 12:00", 640, 20, 0)]),
]
# Worked by hand: distributor 991 = 480 + 200 + 500 + 120 = 1300 kWh over its UCs' rollup days;
# 992 = 360 + 0 + 640 = 1000 kWh. In Wh: 1300000 and 1000000.
WANT_TOTALS = [("991", 1300000), ("992", 1000000)]


def _tariffs(conn: psycopg.Connection[Any], dist: int) -> None:
    for item, posto, price in [
        ("energy", "fora_ponta", "0.30"),
        ("energy", "ponta", "0.45"),
        ("demand", "fora_ponta", "20"),
        ("demand", "ponta", "50"),
        ("ufer", "fora_ponta", "0.30"),
        ("ufer", "ponta", "0.30"),
    ]:
        conn.execute(
            "insert into smf.tariff (distributor_id, modality, item, posto, valid_during, price)"
            " values (%s, 'azul', %s, %s, '[2026-01-01,2027-01-01)', %s)",
            (dist, item, posto, price),
        )


def load(url: str, rows: list[tuple[str, int, list[tuple[str, int, int, int]]]]) -> None:
    with psycopg.connect(url) as conn:
        tariffed = set()
        for aneel, seq, hours in rows:
            uc = make_uc(conn, seq, aneel=aneel)
            put_hours(conn, uc, hours)
            if uc.distributor_id not in tariffed:
                _tariffs(conn, uc.distributor_id)
                tariffed.add(uc.distributor_id)


def billing(url: str, aneel: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select uc_code, item, posto, quantity, price, amount"
            " from smf.billing_summary_distributor(%s, %s) order by 1, 2, 3",
            (aneel, OCT),
        ).fetchall()


@pytest.fixture
def second_server(scratch: Path) -> Iterator[Settings]:
    """Shard 2: a PostgreSQL+TimescaleDB server of its own on an ephemeral port, migrated."""
    cs = ClusterSettings(data_dir=scratch / "shard2", port=free_port())
    cluster = Cluster(cs, extra_conf=SMALL, archive=False)
    try:
        cluster.start()
        cluster.ensure_database("smf")
        s = Settings(
            cluster=cs, database="smf", external_url=None, local_timezone="America/Sao_Paulo"
        )
        migrate.upgrade(s)
        yield s
    finally:
        stop_all(cluster)


def tcp_mapping(s: Settings) -> dict[str, str]:
    cs = s.cluster
    return {
        "host": "127.0.0.1",
        "port": str(cs.port),
        "dbname": s.database,
        "user": cs.user,
        "password": cs.password_file.read_text().strip(),
    }


def attach(coord: psycopg.Connection[Any], name: str, target: dict[str, str]) -> None:
    """A shard as a foreign server (async_capable) and its foreign partition of xs.uc_day."""
    coord.execute(
        sql.SQL(
            "create server {} foreign data wrapper postgres_fdw options (host {}, port {},"
            " dbname {}, async_capable 'true', fetch_size '10000')"
        ).format(
            sql.Identifier(name),
            sql.Literal(target["host"]),
            sql.Literal(target["port"]),
            sql.Literal(target["dbname"]),
        )
    )
    coord.execute(
        sql.SQL(
            "create user mapping for current_user server {} options (user {}, password {})"
        ).format(sql.Identifier(name), sql.Literal(target["user"]), sql.Literal(target["password"]))
    )
    coord.execute(
        sql.SQL(
            "create foreign table {} partition of xs.uc_day for values in ({}) server {}"
            " options (schema_name 'xs', table_name 'uc_day_v')"
        ).format(sql.Identifier("xs", f"uc_day_{name}"), sql.Literal(name), sql.Identifier(name))
    )


@pytest.mark.slow
def test_two_shards_behind_a_coordinator(
    test_cluster: Settings, template: str, second_server: Settings
) -> None:
    single = clone(test_cluster, template)
    shard1 = clone(test_cluster, template)
    coordinator = clone(test_cluster, "template1")  # no smf schema: it holds no readings
    shards = {"shard1": shard1, "shard2": second_server}
    try:
        with psycopg.connect(coordinator.url, autocommit=True) as coord:
            coord.execute((SCALEOUT / "coordinator.sql").read_text())
            # the directory: distributor 991 on shard1, 992 on shard2 (serial ranges: all)
            coord.execute(
                "insert into xs.shard_directory values ('shard1', '991', '', '~'),"
                " ('shard2', '992', '', '~')"
            )
            for name, s in shards.items():
                with psycopg.connect(s.url, autocommit=True) as conn:
                    conn.execute(
                        sql.SQL("alter database {} set xs.shard = {}").format(
                            sql.Identifier(s.database), sql.Literal(name)
                        )
                    )
                    conn.execute((SCALEOUT / "shard.sql").read_text())
                attach(coord, name, tcp_mapping(s))
            # each UC goes where the directory says (its meter serial is T<aneel>-<seq>)
            placed: dict[str, list[Any]] = {name: [] for name in shards}
            for row in DATA:
                aneel, seq, _ = row
                where = coord.execute(
                    "select xs.shard_of(%s, %s)", (aneel, f"T{aneel}-{seq}")
                ).fetchone()[0]
                placed[where].append(row)
        assert [len(v) for v in placed.values()] == [2, 2]
        load(single.url, DATA)
        for name, rows in placed.items():
            load(shards[name].url, rows)

        # one query through the coordinator: both shards' rows, a cross-distributor report
        report = (
            "select aneel_code, sum(active_fwd_wh)::bigint from xs.uc_day"
            " where day between '2026-10-01' and '2026-10-31' group by 1 order by 1"
        )
        with psycopg.connect(coordinator.url) as coord:
            assert coord.execute(report).fetchall() == WANT_TOTALS
            rows = coord.execute(
                "select shard, aneel_code, count(*) from xs.uc_day group by 1, 2 order by 1"
            ).fetchall()
            assert rows == [("shard1", "991", 3), ("shard2", "992", 3)]
            plan = "\n".join(r[0] for r in coord.execute("explain (costs off) " + report))
            assert plan.count("Async Foreign Scan") == 2, plan  # the shards are read in parallel
            # naming one distributor's shard reads only that shard
            pruned = "\n".join(
                r[0]
                for r in coord.execute(
                    "explain (costs off) select * from xs.uc_day where shard = 'shard2'"
                )
            )
            assert "uc_day_shard2" in pruned and "uc_day_shard1" not in pruned
        with psycopg.connect(single.url) as conn:
            same = conn.execute(
                "select d.aneel_code::text, sum(r.active_fwd_wh)::bigint from smf.rollup_day r"
                " join smf.consumer_unit cu on cu.main_meter_id = r.meter_id"
                " join smf.distributor d on d.id = cu.distributor_id group by 1 order by 1"
            ).fetchall()
        assert same == WANT_TOTALS  # the single node agrees with the hand totals

        # each shard's own rules: the same billing as the single node, distributor by distributor
        for name, aneel in (("shard1", "991"), ("shard2", "992")):
            on_shard = billing(shards[name].url, aneel)
            assert on_shard and on_shard == billing(single.url, aneel)
        # and one amount checked by hand: UC 1 of 991, energy fora ponta 480 kWh x 0.30 = 144.00
        items = [(r[1], r[2], r[3], r[5]) for r in billing(shard1.url, "991")]
        assert ("energy", "fora_ponta", Decimal("480.000"), Decimal("144.00")) in items
    finally:
        driver.dispose_all()
        for s in (single, shard1, coordinator):
            drop(s)
