"""The SQL catalogue: `COMMENT ON` every function and view of schemas smf and smf_read, derived
when db/functions is applied, so that a function added in any file is covered by construction.

Sources of a comment, in order:
1. the banner: the `--` lines directly above `create or replace function|view` in a
   db/functions file (no blank line between). A function is matched to its pg_proc row by schema,
   name and body text (overloads with different bodies get their own banners);
2. generated objects: a `smf_read` view (a scoped copy of the smf table or view of the same name)
   gets that object's comment, prefixed with its scope; a `smf_read` function that wraps an `smf`
   function of the same name and arguments gets that function's comment;
3. the month overloads made here: for every smf function with a `date` parameter named
   `p_month`, an overload taking that month as text (`'2026-11'` or `'2026-11-01'`) that calls
   the date version (smf.month_of). Calls with a typed date reach the date version as before;
   a quoted literal reaches the text one, which accepts both forms.

Objects left without a comment are listed by `missing(conn)`; tests/db/test_catalogue.py fails
naming them. docs/sql-api.md is generated from the catalogue (scripts/sql_catalogue.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMAS = ("smf", "smf_read")
MONTH_OVERLOAD = "(month as text)"  # comment prefix marking the generated overloads

_CREATE = re.compile(
    r"^create\s+or\s+replace\s+(function|view)\s+(smf|smf_read)\.([a-z_][a-z0-9_]*)",
    re.IGNORECASE | re.MULTILINE,
)
_BODY = re.compile(r"\bas\s+(\$[A-Za-z_]*\$)", re.IGNORECASE)
# The banner of an object a file makes dynamically (execute format ...): one paragraph, continued
# on `--` lines indented by at least two more spaces.
_NAMED = re.compile(
    r"^--\s*catalogue:\s*(function|view)\s+(smf|smf_read)\.([a-z_][a-z0-9_]*)\s*:\s*(.*)$"
)


@dataclass(frozen=True)
class Banner:
    kind: str  # function | view
    schema: str
    name: str
    text: str  # the banner, one paragraph ('' when there is none)
    body: str | None  # a function's body between its dollar quotes
    path: str
    line: int


def banner_above(lines: list[str], index: int) -> str:
    """The `--` lines directly above line `index` as one paragraph ('' when none)."""
    got: list[str] = []
    i = index - 1
    while i >= 0 and lines[i].lstrip().startswith("--"):
        got.append(lines[i].lstrip()[2:].strip())
        i -= 1
    return " ".join(x for x in reversed(got) if x)


def parse(path: Path) -> Iterator[Banner]:
    """Every `create or replace function|view` of schema smf/smf_read in one file, with its
    banner and (functions) body; and every `-- catalogue: view smf.NAME: text` banner of an
    object the file makes dynamically."""
    text = path.read_text()
    lines = text.splitlines()
    for i, line in enumerate(lines):
        named = _NAMED.match(line)
        if not named:
            continue
        words = [named.group(4).strip()]
        for more in lines[i + 1 :]:
            if not re.match(r"^--\s{2,}\S", more):
                break
            words.append(more[2:].strip())
        kind, schema, name = named.group(1), named.group(2), named.group(3)
        # a dynamic function is matched by name only (body None)
        yield Banner(kind, schema, name, " ".join(words), None, path.name, i + 1)
    for m in _CREATE.finditer(text):
        at = text.count("\n", 0, m.start())
        kind, schema, name = m.group(1).lower(), m.group(2), m.group(3)
        body = None
        if kind == "function":
            q = _BODY.search(text, m.end())
            if q:
                tag = q.group(1)
                end = text.find(tag, q.end())
                body = text[q.end() : end] if end >= 0 else None
        above = banner_above(lines, at)
        # "name: what it does" -> "what it does" (the name is the object's own)
        what = re.sub(rf"^(smf_read\.|smf\.)?{re.escape(name)}(\(\))?\s*:\s*", "", above)
        yield Banner(kind, schema, name, what, body, path.name, at + 1)


def _sentence(text: str) -> str:
    """Capitalise the first word unless it is an identifier (smf names keep their case)."""
    first = text.split(" ", 1)[0]
    if not text or "_" in first or "." in first or "(" in first:
        return text
    return text[:1].upper() + text[1:]


def items(files: list[Path]) -> list[dict[str, Any]]:
    """The banners of `files` as smf.catalogue_apply's jsonb items."""
    return [
        {
            "kind": b.kind,
            "schema": b.schema,
            "name": b.name,
            "body": b.body,
            "text": _sentence(b.text),
        }
        for f in files
        for b in parse(f)
        if b.text
    ]


def apply(conn: Any, files: list[Path]) -> None:
    """Make the month overloads, then write every comment (db/functions/998_catalogue.sql), in
    the caller's transaction. `conn`: a psycopg connection (the migration's)."""
    import json

    from db import driver

    driver.run(conn, "catalogue_month_overloads")
    driver.run(conn, "catalogue_apply", items=json.dumps(items(files)))


def missing(conn: Any) -> list[tuple[str, str, str, str]]:
    """(kind, schema, name, identity) of every function or view without a comment."""
    from db import driver

    return [
        (r["kind"], r["schema"], r["name"], r["identity"])
        for r in driver.run(conn, "catalogue_missing")
    ]


HEADER = """# SQL API: every function and view of `smf` and `smf_read`

Generated from the database's own catalogue (`select * from smf.catalogue`, the `COMMENT ON`
of each object, written from the banner above its definition in `db/functions/`) by
`.venv/bin/python scripts/sql_catalogue.py --write`; `tests/db/test_catalogue.py` fails when this
file is out of date. Do not edit it by hand: edit the banner and regenerate.

Conventions: energies are integer Wh/varh in tables and kWh/kvarh in views and reports; instants
are `timestamptz` (UTC interval starts in storage); days and months are local
(`smf.local_timezone()`, America/Sao_Paulo by default) unless a comment says otherwise. Every
month parameter takes a date or text: `'2026-11'` or `'2026-11-01'` (`smf.month_of`).
Analysts and Grafana read `smf_read` (scoped copies: only the rows of their scope).
"""


def _cell(text: str | None) -> str:
    return " ".join((text or "").split()).replace("|", "\\|")


def render(conn: Any) -> str:
    """docs/sql-api.md from the catalogue of the database behind `conn`."""
    from db import driver

    rows = [tuple(r.values()) for r in driver.run(conn, "catalogue_rows")]
    out = [HEADER]
    for schema in SCHEMAS:
        for kind, title in (("function", "Functions"), ("view", "Views")):
            mine = [r for r in rows if r[1] == schema and r[0] == kind]
            if not mine:
                continue
            out.append(f"\n## {title} of `{schema}` ({len(mine)})\n")
            if kind == "function":
                out.append("| function | returns | description |")
                out.append("| --- | --- | --- |")
                for r in mine:
                    sig = f"`{schema}.{r[2]}({_cell(r[4])})`"
                    attrs = f" ({r[6]}, {r[7]})"
                    out.append(f"| {sig} | `{_cell(r[5])}` | {_cell(r[8])}{attrs} |")
            else:
                out.append("| view | description |")
                out.append("| --- | --- |")
                for r in mine:
                    out.append(f"| `{schema}.{r[2]}` | {_cell(r[8])} |")
    return "\n".join(out) + "\n"
