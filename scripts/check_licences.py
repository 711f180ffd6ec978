"""Refuse any installed distribution whose LICENCE FILES are not open source (part of `make lint`).

Why the files and not the metadata: a wheel's metadata can say "MIT" while the LICENSE file it
ships is the Business Source License (dlms-cosem 25.x does exactly that). So for every
distribution of the environment we read the licence files it ships (``License-File`` entries of
its metadata, and any LICENSE/LICENCE/COPYING/NOTICE file in its dist-info) and refuse those
that contain a known non-open-source licence: BSL / Business Source License, SSPL / Server Side
Public License, Elastic License, the Commons Clause, the Confluent Community License, PolyForm
licences, "non-commercial" terms. A distribution that ships no licence file at all is listed as
a warning (its metadata is then all we have), not refused.

Exit status 1 (and the offending files, with the matching phrase) when one is found.
Usage: python scripts/check_licences.py [--verbose]
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

REFUSED = [
    (re.compile(r"business\s+source\s+licen[sc]e", re.I), "Business Source License (BSL)"),
    (re.compile(r"\bBUSL-1\.1\b|\bBSL\s*1\.1\b", re.I), "Business Source License (BSL)"),
    (re.compile(r"server\s+side\s+public\s+licen[sc]e", re.I), "SSPL"),
    (re.compile(r"\bSSPL\b"), "SSPL"),
    (re.compile(r"elastic\s+licen[sc]e", re.I), "Elastic License"),
    (re.compile(r"commons\s+clause", re.I), "Commons Clause"),
    (re.compile(r"confluent\s+community\s+licen[sc]e", re.I), "Confluent Community License"),
    (re.compile(r"polyform", re.I), "PolyForm licence"),
    (re.compile(r"for\s+non-?commercial\s+(use|purposes)\s+only", re.I), "non-commercial only"),
]
NAMES = re.compile(r"^(licen[sc]e|copying|notice|authors)", re.I)


def licence_files(dist: metadata.Distribution) -> list[Path]:
    files: list[Path] = []
    for name in dist.metadata.get_all("License-File") or []:
        for candidate in (f"licenses/{name}", name):
            p = Path(str(dist.locate_file(""))) / f"{dist._path.name}/{candidate}"  # type: ignore[attr-defined]
            if p.is_file():
                files.append(p)
                break
    info = Path(str(getattr(dist, "_path", "")))
    if info.is_dir():
        for p in list(info.iterdir()) + (
            list((info / "licenses").iterdir()) if (info / "licenses").is_dir() else []
        ):
            if p.is_file() and NAMES.match(p.name) and p not in files:
                files.append(p)
    return files


def check(verbose: bool = False) -> int:
    bad: list[str] = []
    missing: list[str] = []
    seen = set()
    for dist in metadata.distributions():
        name = dist.metadata.get("Name") or "?"
        key = (name.lower(), dist.version)
        if key in seen:
            continue
        seen.add(key)
        files = licence_files(dist)
        if not files:
            missing.append(
                f"{name} {dist.version} (metadata: {dist.metadata.get('License') or '-'})"
            )
            continue
        for f in files:
            text = f.read_text(errors="replace")
            for pattern, what in REFUSED:
                m = pattern.search(text)
                if m:
                    bad.append(f"{name} {dist.version}: {f} contains {what} ({m.group(0)!r})")
                    break
        if verbose:
            print(f"ok {name} {dist.version}: {', '.join(p.name for p in files)}")
    for line in missing:
        print(f"warning: no licence file shipped: {line}", file=sys.stderr)
    for line in bad:
        print(f"refused: {line}", file=sys.stderr)
    if bad:
        print(f"{len(bad)} distribution(s) with a non-open-source licence file", file=sys.stderr)
        return 1
    print(
        f"licences: {len(seen)} distributions checked, none refused, "
        f"{len(missing)} without a licence file"
    )
    return 0


if __name__ == "__main__":
    sys.exit(check("--verbose" in sys.argv))
