"""`smf reports`: operator reports (seed 003 §5.8). Filled in below."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    return None
