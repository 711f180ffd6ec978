"""`smf export parquet` / `smf import parquet`: the Parquet archive (db/archive.py).

  smf export parquet --distributor ANEEL --month YYYY-MM [--to DIR]
      one file per distributor-month: DIR/distributor=ANEEL/month=YYYY-MM/*.parquet
      (DIR: SMF_ARCHIVE_DIR, else .smf/archive)
  smf import parquet FILE [--check]
      restore it through the ingest path (one transaction); --check reads and verifies the
      file without a database

`smf export SERIAL --month M FILE` (ABNT public format) and `smf import FILE` (CSV, ABNT) keep
their forms: smf/cli.py routes `export parquet` and `import parquet` here (`export-parquet` and
`import-parquet` are the same verbs). `smf import FILE.parquet` is recognised by its magic bytes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

PARQUET_MAGIC = b"PAR1"


def is_parquet(path: Path) -> bool:
    """A Parquet file starts with the 4 octets PAR1 (and ends with them)."""
    with path.open("rb") as fh:
        return fh.read(4) == PARQUET_MAGIC


def cmd_export(args: argparse.Namespace) -> int:
    from db import archive
    from db.local import ensure_database

    archive.check_aneel(args.distributor)
    archive.month_start(args.month)
    ensure_database()
    result = archive.export_month(args.distributor, args.month, Path(args.to) if args.to else None)
    print(result.summary())
    return 0


def import_parquet(path: Path, *, quiet: bool = False, check_only: bool = False) -> int:
    from db import archive
    from db.local import ensure_database
    from smf.files import check_input_file

    check_input_file(path)
    if check_only:
        meta = archive.verify(path)
        print(
            f"{path.name}: valid SMF interval archive: distributor {meta['distributor']}, "
            f"{meta['month']}, {meta['rows']} intervals of {meta['meters']} meters, "
            f"digest {meta['digest']['value'][:16]}…"
        )
        return 0
    from smf import console

    pf, meta = archive.open_archive(path)  # a wrong file is refused before the database is touched
    pf.close()
    ensure_database()
    with console.progress(path.name, int(meta["rows"]), enabled=not quiet) as update:
        result = archive.import_file(path, progress=update)
    print(result.summary())
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    return import_parquet(Path(args.file), quiet=args.quiet, check_only=args.check)


def cmd_info(args: argparse.Namespace) -> int:
    from db import archive

    _pf, meta = archive.open_archive(Path(args.file))
    print(json.dumps({k: v for k, v in meta.items() if not k.startswith("_")}, indent=2))
    return 0


def route(argv: list[str]) -> list[str]:
    """`export parquet ...` -> `export-parquet ...`, `import parquet ...` -> `import-parquet ...`
    (a meter serial is 8 digits and a CSV file named `parquet` would need a path: `./parquet`)."""
    if len(argv) >= 2 and argv[0] in ("export", "import") and argv[1] == "parquet":
        return [f"{argv[0]}-parquet", *argv[2:]]
    return argv


def register(sub: Any) -> None:
    p = sub.add_parser(
        "export-parquet",
        help="`smf export parquet`: a distributor-month as a Parquet archive file",
        description="Write one Parquet file per distributor-month (zstd, delta-encoded "
        "integers, UTC interval starts, units in the schema metadata).",
    )
    p.add_argument("--distributor", required=True, help="ANEEL code, 3 digits (e.g. 059)")
    p.add_argument("--month", required=True, help="local month, YYYY-MM")
    p.add_argument("--to", help="archive folder (default: SMF_ARCHIVE_DIR, else .smf/archive)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "import-parquet",
        help="`smf import parquet FILE`: restore a Parquet archive file through the ingest path",
    )
    p.add_argument("file", help="an SMF Parquet archive file (smf export parquet)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--check", action="store_true", help="verify the file only (no database needed)")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("parquet-info", help="the metadata of a Parquet archive file (JSON)")
    p.add_argument("file", help="an SMF Parquet archive file")
    p.set_defaults(func=cmd_info)
