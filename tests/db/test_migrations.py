"""Migrations: one head, a migrated database equals the declared schema, down and up again."""

from __future__ import annotations

import difflib
import hashlib
from pathlib import Path

import psycopg
import pytest

from db import functions as sql_functions
from db import migrate, schema
from db.settings import REPO_ROOT, Settings


def test_single_head() -> None:
    assert len(migrate.heads()) == 1, migrate.heads()


@pytest.mark.slow
def test_migrated_schema_equals_declared(db_settings: Settings) -> None:
    got = schema.dump(db_settings)
    want = schema.SCHEMA_FILE.read_text()
    diff = "\n".join(
        difflib.unified_diff(
            want.splitlines(), got.splitlines(), "declared", "migrated", lineterm="", n=1
        )
    )
    assert got == want, f"run `smf db schema --write` after a migration:\n{diff[:4000]}"


@pytest.mark.slow
def test_downgrade_then_upgrade_equals_fresh_install(db_settings: Settings) -> None:
    fresh = schema.dump(db_settings)
    migrate.downgrade(db_settings, "base")
    with psycopg.connect(db_settings.url) as conn:
        gone = conn.execute("select count(*) from pg_namespace where nspname = 'smf'").fetchone()
    assert gone == (0,)
    migrate.upgrade(db_settings)
    assert schema.dump(db_settings) == fresh


# Released revisions are frozen: a change to one of these files (or to the SQL it applies) must
# be a new revision instead. Hashes are sha256 of the file bytes.
RELEASED = {
    "db/migrations/versions/0001_storage_core.py": "d0f92ef3098f3c6bb00991e2be0a9f949433c1f4a46178a980711e5848cfc355",  # noqa: E501
    "db/migrations/versions/0002_billing_rules.py": "580fcf8f5feb11ad9ad7397233aa536b258fa3a846e8bdac0d28f9cea092c857",  # noqa: E501
    "db/migrations/versions/0003_metering_logs.py": "a841afeca3283d830507ca68500b65cc6124c19484b78b435e19eb9155e07840",  # noqa: E501
    "db/migrations/frozen/0001/001_uc_code.sql": "006fb1a4c3847fae11ab24bb8316bf3462010570187e85c81ad9f70be9b0f11c",  # noqa: E501
    "db/migrations/frozen/0001/010_reading_history.sql": "f1baf270909015dc724e2bb9516504a010495516be35b64565dcc3d57c5a2c8a",  # noqa: E501
    "db/migrations/frozen/0002/100_parameters.sql": "335dfd0edd30f2d7842228476901cd4a012792cda5f0e2a8560eec85fdc39d21",  # noqa: E501
    "db/migrations/frozen/0002/105_calendar.sql": "a578191519cb1feb1cfaf7bdc6cf7fcb64fe0902b3df901f10ec46dd03c8231b",  # noqa: E501
    "db/migrations/frozen/0002/110_postos.sql": "ceac4fae250a94c82d229c41550671526ecc7e56815f60bc6d9eebb6da9cd62b",  # noqa: E501
    "db/migrations/versions/0004_source_precedence.py": "455fa83cd2927749176928ef0aaec5ae3bab32ccc73a0b22b9b7710dfb06c273",  # noqa: E501
    "db/migrations/versions/0005_meter_profile.py": "a7a9abfe959e57f349fc187efc1ddf0bfcc0ceec31a5e5156b83cb2a7f54fa81",  # noqa: E501
    "db/migrations/versions/0006_ccee_submission.py": "50dd8331f2e8cd9c70de39b14f75caf1e00907008c0d8b44685389593ae5463f",  # noqa: E501
    "db/migrations/versions/0007_accounts_scopes.py": "ad03b2bc88c76242b460b8dce34c74b664fea7895d94ddff76d02606a1df21d4",  # noqa: E501
    "db/migrations/versions/0008_vee.py": "5594812e1e3126c518a4f73c89a83e06b28c2a2cc36a1c05956c252a809fbb03",  # noqa: E501
    "db/migrations/versions/0009_alarms.py": "2c7b58c09bfb5081b0d2144bd3b21f675f5fdd4fad17ec47e541e86378277bda",  # noqa: E501
    "db/migrations/versions/0010_vee_auto_estimate_limit.py": "9e5a8b9729c0b8a95a882c6bcd28983dfb0c0d5ebe9850cd33f4ca339e554a83",  # noqa: E501
    "db/migrations/frozen/0006/001_uc_code.sql": "dabfbcb5d6d9fc3cb39ffd8e46f9347c9066d78b52c37be2ec6b256f78cece91",  # noqa: E501
    "db/migrations/versions/0011_vee_finding_subject.py": "6169be4a50c05663fe5fa9d8f9730aaf405e1f48216412feba03168f338b5058",  # noqa: E501
    "db/migrations/versions/0012_service_roles.py": "95f435f51a5ed081e1b8e6496b49206d4b507fe420a485aed53283500c5d63a4",  # noqa: E501
    "db/migrations/versions/0014_sealed_periods.py": "d6af97db108b34ad308154723c1e3308a0c121a9712587185b0040c763e78f6a",  # noqa: E501
    "db/migrations/versions/0016_uc_month_figures.py": "dd5038d329d479aa9c60569a7515844810895799b3f367b077f964fac575e826",  # noqa: E501
    "db/migrations/versions/0017_dlms_clock.py": "eafe7a8d364fcaa26336ddc76ed6fe033aa22bb225e565383f968613b4326ef3",  # noqa: E501
    "db/migrations/versions/0019_web_sessions.py": "73c09866678d08b9e472e2750a8db8b244be1cdbd649fada0079cef208f56323",  # noqa: E501
    "db/migrations/versions/0020_dmcr_billable_demand.py": "785cf676e55aba8a926e04f5f0c31b260fef8b89e39cd23fa668d527d40ce440",  # noqa: E501
    "db/migrations/versions/0021_ingest_batch_decisions.py": "bba367b070e944e897faced08cd89a92fd469bb4445247ea5affd43f9457e02d",  # noqa: E501
    "db/migrations/versions/0022_rollup_hour_quarter_minimums.py": "f369b9fb72a9c8207b600933bc142aaa2aae648ea395970a21d18a45cdf6b9ff",  # noqa: E501
}


@pytest.mark.parametrize("path", sorted(RELEASED))
def test_released_revision_is_frozen(path: str) -> None:
    got = hashlib.sha256((REPO_ROOT / path).read_bytes()).hexdigest()
    assert got == RELEASED[path], (
        f"{path} belongs to a released revision and changed: add a new revision instead"
    )


def test_frozen_sql_is_all_listed() -> None:
    on_disk = {
        str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / "db/migrations/frozen").rglob("*.sql")
    }
    assert on_disk <= set(RELEASED), sorted(on_disk - set(RELEASED))


@pytest.mark.slow
def test_intermediate_revisions_do_not_read_live_functions(
    db_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broken edit to db/functions/ cannot break installing revisions 0001..0002: the live
    files are applied only when the database reaches head."""
    (tmp_path / "100_parameters.sql").write_text("this is not sql;")
    monkeypatch.setattr(sql_functions, "FUNCTIONS_DIR", tmp_path)
    migrate.downgrade(db_settings, "base")
    migrate.upgrade(db_settings, "0001")
    migrate.upgrade(db_settings, "0002")
    assert migrate.current(db_settings) == ["0002"]
    with pytest.raises(Exception, match="syntax error"):
        migrate.upgrade(db_settings)  # at head the live (here broken) files are applied
    assert migrate.current(db_settings) == ["0002"]  # and the failed upgrade left nothing
