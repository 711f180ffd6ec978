"""The command tree: every verb is registered explicitly, and every option and positional
argument says what it is in `--help`."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator

import pytest

from smf import cli


def _walk(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _walk(child, (*path, name))


def _undocumented(parser: argparse.ArgumentParser) -> list[str]:
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._VersionAction):
            continue
        if isinstance(action, argparse._SubParsersAction):
            # each sub-command needs its one-line help in the parent's listing
            listed = {a.dest for a in action._choices_actions if (a.help or "").strip()}
            missing += [f"command {n!r}" for n in action.choices if n not in listed]
            continue
        if not (action.help or "").strip() or action.help == argparse.SUPPRESS:
            missing.append("/".join(action.option_strings) or action.dest)
    return missing


def test_every_option_and_argument_of_every_verb_has_help_text() -> None:
    problems = [
        f"smf {' '.join(path)}: {', '.join(m)}"
        for path, parser in _walk(cli.build_parser())
        if (m := _undocumented(parser))
    ]
    assert not problems, "no help text:\n" + "\n".join(problems)


def test_the_verb_list_is_explicit_and_each_module_registers_something() -> None:
    parser = cli.build_parser()
    top = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    before = set(top.choices)
    assert {"db", "import", "demo"} <= before
    for module in cli.VERB_MODULES:
        sub = argparse.ArgumentParser().add_subparsers()
        module.register(sub)
        assert sub.choices, f"{module.__name__}.register added no verb"
        assert set(sub.choices) <= before, f"{module.__name__} verbs missing from smf"


def test_a_verb_module_that_cannot_be_imported_stops_smf_instead_of_vanishing() -> None:
    # `smf` imports its verb modules by name at start: hide one and the command fails loudly
    # (the former name list skipped a missing module and its verbs silently disappeared).
    code = "import sys; sys.modules['smf.vee'] = None\nfrom smf import cli\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode != 0
    assert "smf.vee" in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("argv", [["--version"]])
def test_version_prints_the_installed_package_version(argv: list[str]) -> None:
    from importlib import metadata

    done = subprocess.run(
        [sys.executable, "-m", "smf.cli", *argv], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == f"smf {metadata.version('smf')}"
