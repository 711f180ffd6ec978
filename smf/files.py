"""Input files of the command line: checks before anything is read, and the ABNT public format
(`smf import` and `smf import-abnt`)."""

from __future__ import annotations

import sys
from pathlib import Path

from db import errors
from formats.upload import binary_size_problem

__all__ = ["binary_size_problem", "check_input_file", "import_public_format", "is_public_format"]


def check_input_file(path: Path) -> None:
    """Raise errors.InvalidParameter unless `path` is a readable regular file."""
    if path.is_dir():
        raise errors.InvalidParameter(f"{path} is a directory, not a file")
    if not path.exists():
        raise errors.InvalidParameter(f"{path}: no such file")
    if not path.is_file():
        raise errors.InvalidParameter(f"{path} is not a regular file")
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise errors.InvalidParameter(f"{path}: cannot be read ({exc.strerror or exc})") from exc


def is_public_format(path: Path) -> bool:
    """ABNT public-format files are whole 256-octet blocks of binary data, not text. Reads only
    the first block."""
    size = path.stat().st_size
    if not size or size % 256:
        return False
    with path.open("rb") as fh:
        head = fh.read(256)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return not any(c in head for c in (b",", b";"))


def import_public_format(path: Path) -> int:
    """Ingest an ABNT public-format file (the meter must be registered)."""
    import asyncio

    from poller import public_io
    from poller.protocol.errors import NBR14522Error

    check_input_file(path)
    try:
        serial, result = asyncio.run(public_io.import_file(None, path.read_bytes(), path.name))
    except NBR14522Error as exc:
        print(f"error: {path.name} is not a valid ABNT public-format file: {exc}", file=sys.stderr)
        return 1
    print(f"meter {serial} (ABNT public format): {result.summary()}")
    return 0
