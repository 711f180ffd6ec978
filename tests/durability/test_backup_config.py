"""What db/backup.py writes for pgBackRest and PostgreSQL, from the SMF_BACKUP_* settings: the
repository (a path or S3), retention, secrets kept out of the main file, archive settings that
survive re-application. Pure file work: no server runs here."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from db import backup
from db.settings import ClusterSettings


def cs(tmp_path: Path) -> ClusterSettings:
    return ClusterSettings(data_dir=tmp_path / "pgdata", port=55999)


def test_default_repository_is_beside_the_data_directory(tmp_path: Path) -> None:
    bs = backup.load_settings(cs(tmp_path), {})
    assert bs.repo == str(tmp_path / "backup") and bs.retention_full == 2 and bs.archive
    text = backup.render_config(cs(tmp_path), bs)
    assert f"repo1-path={tmp_path / 'backup'}\n" in text
    assert "repo1-retention-full=2\n" in text and "repo1-retention-diff" not in text
    assert f"pg1-path={tmp_path / 'pgdata'}\n" in text and "pg1-port=55999\n" in text
    assert f"pg1-socket-path={tmp_path / 'run-55999'}\n" in text


def test_a_path_repository_and_retention_from_settings(tmp_path: Path) -> None:
    env = {
        "SMF_BACKUP_REPO": str(tmp_path / "elsewhere"),
        "SMF_BACKUP_RETENTION_FULL": "4",
        "SMF_BACKUP_RETENTION_DIFF": "7",
    }
    text = backup.render_config(cs(tmp_path), backup.load_settings(cs(tmp_path), env))
    assert f"repo1-path={tmp_path / 'elsewhere'}\n" in text
    assert "repo1-retention-full=4\n" in text and "repo1-retention-diff=7\n" in text


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SMF_BACKUP_RETENTION_FULL": "two"}, "whole numbers"),
        ({"SMF_BACKUP_RETENTION_FULL": "0"}, "at least 1"),
        ({"SMF_BACKUP_ARCHIVE": "maybe"}, "on or off"),
        ({"SMF_BACKUP_S3_URI_STYLE": "virtual"}, "host or path"),
    ],
)
def test_bad_settings_are_refused_by_name(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(backup.BackupError, match=message):
        backup.load_settings(cs(tmp_path), env)


def test_s3_repository_keeps_its_key_out_of_the_main_file(tmp_path: Path) -> None:
    key = tmp_path / "s3.key"
    key.write_text("AKIDEXAMPLE\nsecret-value-123\n")
    env = {
        "SMF_BACKUP_REPO": "s3://smf-backups/prod/site1",
        "SMF_BACKUP_S3_ENDPOINT": "127.0.0.1:9000",
        "SMF_BACKUP_S3_REGION": "sa-east-1",
        "SMF_BACKUP_S3_URI_STYLE": "path",
        "SMF_BACKUP_S3_KEY_FILE": str(key),
    }
    c = cs(tmp_path)
    bs = backup.load_settings(c, env)
    conf = backup.write_config(c, bs)
    text = conf.read_text()
    for line in (
        "repo1-type=s3",
        "repo1-path=/prod/site1",
        "repo1-s3-bucket=smf-backups",
        "repo1-s3-endpoint=127.0.0.1:9000",
        "repo1-s3-region=sa-east-1",
        "repo1-s3-uri-style=path",
    ):
        assert line + "\n" in text
    assert "secret-value-123" not in text and "AKIDEXAMPLE" not in text
    assert "repo1-s3-key-type=auto" not in text
    secrets = backup.include_dir(c) / "secrets.conf"
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert "repo1-s3-key=AKIDEXAMPLE\n" in secrets.read_text()
    assert "repo1-s3-key-secret=secret-value-123\n" in secrets.read_text()
    assert stat.S_IMODE(conf.stat().st_mode) == 0o600
    # the archive command names the files, never a secret
    assert "secret" not in backup.archive_command(c, bs).replace("secrets", "")


def test_s3_without_a_key_file_uses_the_instance_role(tmp_path: Path) -> None:
    bs = backup.load_settings(cs(tmp_path), {"SMF_BACKUP_REPO": "s3://bucket"})
    text = backup.render_config(cs(tmp_path), bs)
    assert "repo1-s3-key-type=auto\n" in text and "repo1-path=/\n" in text
    with pytest.raises(backup.BackupError, match="names no bucket"):
        backup.render_config(
            cs(tmp_path), backup.load_settings(cs(tmp_path), {"SMF_BACKUP_REPO": "s3:///x"})
        )


def test_a_malformed_key_file_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "s3.key"
    key.write_text("only-one-token\n")
    bs = backup.load_settings(
        cs(tmp_path), {"SMF_BACKUP_REPO": "s3://b/p", "SMF_BACKUP_S3_KEY_FILE": str(key)}
    )
    with pytest.raises(backup.BackupError, match="key id and secret"):
        backup.render_secrets(bs)


def test_cipher_passphrase_goes_to_the_secrets_file_only(tmp_path: Path) -> None:
    pw = tmp_path / "cipher"
    pw.write_text("correct horse battery\n")
    c = cs(tmp_path)
    bs = backup.load_settings(c, {"SMF_BACKUP_CIPHER_PASS_FILE": str(pw)})
    conf = backup.write_config(c, bs)
    assert "correct horse" not in conf.read_text()
    secrets = (backup.include_dir(c) / "secrets.conf").read_text()
    assert "repo1-cipher-type=aes-256-cbc\n" in secrets
    assert "repo1-cipher-pass=correct horse battery\n" in secrets
    # dropping the setting removes the secrets file at the next write
    backup.write_config(c, backup.load_settings(c, {}))
    assert not (backup.include_dir(c) / "secrets.conf").exists()


def test_archive_settings_replace_by_name_and_keep_other_lines(tmp_path: Path) -> None:
    auto = tmp_path / "postgresql.auto.conf"
    auto.write_text(
        "# header\nport = 5\narchive_mode = off\nwork_mem = '1MB'\narchive_mode = off\n"
    )
    c = cs(tmp_path)
    want = backup.archive_conf(c, backup.load_settings(c, {}))
    assert backup.upsert_conf(auto, want)
    lines = auto.read_text().splitlines()
    assert lines[:4] == ["# header", "port = 5", "archive_mode = on", "work_mem = '1MB'"]
    assert lines.count("archive_mode = on") == 1 and "archive_mode = off" not in lines
    assert any(line.startswith("archive_command = 'pgbackrest --config=") for line in lines)
    assert "archive_timeout = 60" in lines
    assert not backup.upsert_conf(auto, want)  # applied twice: unchanged
    off = backup.archive_conf(c, backup.load_settings(c, {"SMF_BACKUP_ARCHIVE": "off"}))
    assert off == {"archive_mode": "off"}


def test_archive_command_quotes_are_doubled_for_postgresql_conf(tmp_path: Path) -> None:
    c = ClusterSettings(data_dir=tmp_path / "it's" / "pgdata", port=55999)
    conf = backup.archive_conf(c, backup.load_settings(c, {}))
    assert "it''s" in conf["archive_command"] and conf["archive_command"].endswith(
        "archive-push %p'"
    )


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2026-12-07T06:15:00-03:00", "2026-12-07T09:15:00+00:00"),
        ("2026-12-07T09:15:00Z", "2026-12-07T09:15:00+00:00"),
    ],
)
def test_restore_targets_carry_an_offset(text: str, iso: str) -> None:
    from datetime import UTC

    when = backup.parse_target(text)
    assert when is not None and when.astimezone(UTC).isoformat() == iso
    assert backup.parse_target("latest") is None
