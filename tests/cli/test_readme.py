"""README and demo agree: every `sh`/`bash` block of README.md runs, as written, against a
database loaded by `smf demo`, and fails naming the block and the command's output.

Blocks are found by parsing README.md, so a section another engineer adds is run too. Each block
runs as one bash script (`set -e`), from the repository root, with SMF_DATABASE_URL pointing at
the demo database. Lines that need hardware, run forever or leave the machine are replaced by a
no-op, and only those: SKIP below says why for each. A block may start background processes with
`&`; they are stopped when the block ends.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest

from db.settings import REPO_ROOT, Settings

README = REPO_ROOT / "README.md"

# (regular expression matched against a command line, why it is not run here)
SKIP: list[tuple[str, str]] = [
    (r"^make (run|test)\b", "the whole set-up and test suite: CI runs them itself"),
    (r"smf poll$", "polls real meters on their schedules, forever"),
    (r"smf jobs run$", "the scheduler runs until Ctrl-C"),
    (r"smf meter probe ", "talks to a meter on the network"),
    (r"smf read ", "talks to a meter on the network"),
    (r"smf emulate ", "emulated meters run until Ctrl-C"),
    (r"smf db (start|stop|reset)", "acts on the local cluster, not on the test database"),
    (r"smf db psql$", "an interactive psql"),
    (r"smf alarms notify", "posts to an external webhook URL"),
    (r"smf serve$", "serves until Ctrl-C (a block that starts it with `&` runs)"),
    (r"--keys-file ", "reads a meter's secret keys from the operator's key file"),
    (r"smf meter clock ", "talks to a meter on the network"),
    (
        r"smf db (backup|backups|restore|ha|doctor)\b",
        "acts on the local cluster's backup repository and formation (tests/durability runs them)",
    ),
    (r"^pytest ", "runs part of the test suite itself"),
]


@dataclass(frozen=True)
class Block:
    line: int  # first line of the block in README.md
    lang: str
    commands: list[str]  # logical lines (continuations joined)


def blocks(text: str) -> Iterator[Block]:
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"^\s*```(sh|bash)\s*$", lines[i])
        if not m:
            i += 1
            continue
        start, body = i + 1, []
        i += 1
        while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
            body.append(lines[i])
            i += 1
        joined: list[str] = []
        for ln in body:
            if joined and joined[-1].endswith("\\"):
                joined[-1] = joined[-1][:-1] + " " + ln.strip()
            else:
                joined.append(ln.strip())
        yield Block(start + 1, m.group(1), [c for c in joined if c and not c.startswith("#")])
        i += 1


def _bare(command: str) -> str:
    return re.sub(r"^\.venv/bin/", "", command.split(" #", 1)[0].strip())


def skipped(command: str) -> str | None:
    bare = _bare(command)
    for pattern, why in SKIP:
        if re.search(pattern, bare):
            return why
    return None


def script(block: Block) -> str:
    out = ["set -e -o pipefail", "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT"]
    for c in block.commands:
        why = skipped(c)
        out.append(f": skipped {shlex.quote(why)}" if why else c)
    return "\n".join(out) + "\n"


def test_blocks_are_found_and_the_skip_list_names_real_commands() -> None:
    found = list(blocks(README.read_text()))
    assert len(found) >= 8
    commands = [c for b in found for c in b.commands]
    assert any(c.startswith(".venv/bin/smf uc add") for c in commands)
    # what is skipped today, and why (a new entry here needs a reason in SKIP)
    skips = [c for c in commands if skipped(c)]
    assert any("smf meter probe" in c for c in skips) and any("alarms notify" in c for c in skips)
    assert not any(skipped(c) for c in commands if "smf uc " in c or "smf ccee " in c)


@pytest.fixture(scope="module")
def demo_db(test_cluster: Settings, template: str) -> Iterator[Settings]:
    from tests.conftest import clone, drop

    settings = clone(test_cluster, template)
    env = {**os.environ, "SMF_DATABASE_URL": settings.url}
    env.pop("SMF_DEBUG", None)
    done = subprocess.run(
        [str(REPO_ROOT / ".venv/bin/smf"), "demo", "--fleet", "0"],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    yield settings
    drop(settings)
    roles = set(re.findall(r"--db-role (\w+)", README.read_text()))
    with psycopg.connect(test_cluster.with_database("postgres").url, autocommit=True) as c:
        for role in roles:  # roles are cluster-wide: leave none behind
            c.execute(f'drop role if exists "{role}"')


@pytest.mark.slow
def test_every_readme_block_runs_against_the_demo(demo_db: Settings, tmp_path_factory) -> None:
    failures = []
    env = {
        **os.environ,
        "SMF_DATABASE_URL": demo_db.url,
        "SMF_API_PORT": "0",  # replaced below by a free port
    }
    env.pop("SMF_DEBUG", None)
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        env["SMF_API_PORT"] = str(s.getsockname()[1])
    for block in blocks(README.read_text()):
        if not any(not skipped(c) for c in block.commands):
            continue
        work = tmp_path_factory.mktemp(f"block{block.line}")
        proc = subprocess.Popen(
            ["bash", "-c", script(block)],
            env={**env, "SMF_README_TMP": str(work)},
            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )  # fmt: skip
        try:
            out, _ = proc.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            failures.append(f"README.md:{block.line}: timed out\n{out[-2000:]}")
            continue
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)  # whatever the block left behind
        if proc.returncode != 0 or "Traceback" in out:
            failures.append(f"README.md:{block.line}: exit {proc.returncode}\n{out[-2500:]}")
    assert not failures, "\n\n".join(failures)
