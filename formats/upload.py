"""What an uploaded or imported file is, from its first block and size: a pure check shared by
`smf import` (smf/files.py) and `POST /api/v1/imports` (api/controllers/imports.py)."""

from __future__ import annotations


def binary_size_problem(head: bytes, size: int) -> str | None:
    """Why a file that is neither CSV text nor whole ABNT blocks is refused: binary data (not
    UTF-8 in its first block) whose size is not a multiple of 256 octets; None otherwise."""
    if not size or size % 256 == 0:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a UTF-8 character cut by the end of the block
            return None
        return (
            f"binary data of {size} octets: not CSV text, and not an ABNT public-format file "
            f"either (those are whole 256-octet blocks; {size} = 256 x {size // 256} + "
            f"{size % 256}): a truncated or damaged file?"
        )
    return None
