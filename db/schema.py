"""The declared schema: db/schema.sql is the normalised pg_dump of a freshly migrated database.

`smf db schema --write` regenerates it from a scratch database after a migration; tests check
that migrating a new database gives exactly this text. Function bodies are not repeated (they
live in db/functions/): each function keeps its signature, language, volatility and settings,
and its body is one line with the body's size and SHA-256, so a changed body still shows as a
changed line in the diff.
"""

from __future__ import annotations

import hashlib
import re
import subprocess

from db.settings import REPO_ROOT, Settings, load

SCHEMA_FILE = REPO_ROOT / "db" / "schema.sql"
_SKIP = re.compile(r"^(--|SET |SELECT pg_catalog\.set_config|\\restrict|\\unrestrict)")
_BODY = re.compile(r"^    AS (\$[A-Za-z_]*\$)(.*?)\1;$", re.DOTALL | re.MULTILINE)


def hash_bodies(text: str) -> str:
    """Replace each function body of a pg_dump with `AS -- body: N lines, sha256 HEX` (the first
    16 hex digits of the SHA-256 of the body as the server keeps it)."""

    def one(m: re.Match[str]) -> str:
        body = m.group(2)
        digest = hashlib.sha256(body.encode()).hexdigest()[:16]
        return f"    AS -- body: {body.count(chr(10)) + 1} lines, sha256 {digest}"

    return _BODY.sub(one, text)


def dump(settings: Settings | None = None) -> str:
    """Normalised schema-only dump of the smf schema (no owners, privileges or comments lines)."""
    s = settings or load()
    pg_dump = s.cluster.bin_dir / "pg_dump"
    proc = subprocess.run(
        [
            str(pg_dump),
            "--schema-only",
            "--schema=smf",
            "--no-owner",
            "--no-privileges",
            "--dbname",
            s.url,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"pg_dump failed: {proc.stderr.strip()}")
    lines = [ln.rstrip() for ln in proc.stdout.splitlines() if not _SKIP.match(ln)]
    text = hash_bodies("\n".join(lines))
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def dump_fresh(settings: Settings | None = None) -> str:
    """Dump of a scratch database migrated from nothing (so the dev database's state is moot)."""
    from db import driver, migrate

    s = settings or load()
    admin = s.with_database("postgres").url
    driver.create_database(admin, "smf_schema_scratch", replace=True)
    try:
        migrate.upgrade(s.with_database("smf_schema_scratch"))
        return dump(s.with_database("smf_schema_scratch"))
    finally:
        driver.dispose_all()
        driver.drop_database(admin, "smf_schema_scratch")


def write(settings: Settings | None = None) -> None:
    SCHEMA_FILE.write_text(dump_fresh(settings))
