"""Generate docs/sql-api.md from the SQL catalogue (smf.catalogue) of a freshly migrated database.

.venv/bin/python scripts/sql_catalogue.py            print it
.venv/bin/python scripts/sql_catalogue.py --write    write docs/sql-api.md
.venv/bin/python scripts/sql_catalogue.py --check    exit 1 when docs/sql-api.md is out of date

The database is the one in use (SMF_DATABASE_URL, or the local cluster; `smf db migrate` first).
The document follows the schema of this checkout, not the data, so any migrated database gives
the same text.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from db import catalogue, driver  # noqa: E402
from db.local import ensure_database  # noqa: E402

DOC = REPO / "docs" / "sql-api.md"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help=f"write {DOC.relative_to(REPO)}")
    mode.add_argument("--check", action="store_true", help="exit 1 when the file is out of date")
    args = parser.parse_args()
    ensure_database()
    with driver.connect() as conn:
        text = catalogue.render(conn)
        gaps = catalogue.missing(conn)
    if gaps:
        names = ", ".join(f"{s}.{n}({i})" for _, s, n, i in gaps)
        print(f"without a banner (no COMMENT ON): {names}", file=sys.stderr)
    if args.write:
        DOC.write_text(text)
        print(f"wrote {DOC.relative_to(REPO)}", file=sys.stderr)
    elif args.check:
        if not DOC.exists() or DOC.read_text() != text:
            print(f"{DOC.relative_to(REPO)} is out of date: run with --write", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(text)
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main())
