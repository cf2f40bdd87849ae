"""The documentation keeps up with the code.

Every command has a help text with an example and is named in docs/; every
rule and statutes parameter is documented; the README starts with the two
set-up commands; the auditor's scripts in docs/auditor-guide.md work on a
real export.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from coopledger.commands.main import cli
from coopledger.ledger.rules import RULES
from coopledger.ledger.statutes import PARAMETERS
from tests.conftest import ROOT, run_cli

DOCS = ROOT / "docs"


def walk(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command and sub-command of a click group, with its path of names."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from walk(command, (*path, name))


COMMANDS = list(walk(cli))


def invocation(path: tuple[str, ...]) -> re.Pattern[str]:
    """A line running the command: `coopledger`, maybe global options, then the command's names."""
    names = r"\s+".join(re.escape(name) for name in path)
    return re.compile(rf"^.*\bcoopledger\b.*?\s{names}(\s|$|`)", re.MULTILINE)


def has_example(command: click.Command, path: tuple[str, ...]) -> bool:
    help_text = command.help or ""
    return "Example" in help_text and invocation(path).search(help_text) is not None


def docs_text() -> str:
    return "\n".join(page.read_text(encoding="utf-8") for page in sorted(DOCS.glob("*.md")))


def code_blocks(text: str, language: str = "") -> list[str]:
    return re.findall(rf"^```{language}[^\n]*\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_help_with_an_example(path: tuple[str, ...], command: click.Command) -> None:
    name = "coopledger " + " ".join(path)
    assert (command.help or "").strip(), f"`{name}` has no help text"
    if isinstance(command, click.Group) and not has_example(command, path):
        # A group without an example of its own is shown by its sub-commands' examples.
        subcommands = [(p, c) for p, c in COMMANDS if p[: len(path)] == path and len(p) == len(path) + 1]
        assert subcommands, f"`{name}` has neither an example nor sub-commands"
        assert all(has_example(c, p) for p, c in subcommands), f"`{name}`: give it an example"
    else:
        assert has_example(command, path), f"`{name} --help` shows no example (`Example:` and a command line)"


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_appears_in_the_docs(path: tuple[str, ...]) -> None:
    assert invocation(path).search(docs_text()), f"`coopledger {' '.join(path)}` is not shown in docs/*.md"


def test_every_rule_is_in_the_user_guide() -> None:
    guide = (DOCS / "user-guide.md").read_text(encoding="utf-8")
    names = sorted({rule.name for rules in RULES.values() for rule in rules})
    missing = [name for name in names if f"`{name}`" not in guide]
    assert not missing, f"rules missing from docs/user-guide.md: {missing}"


def test_every_statutes_parameter_is_in_the_docs() -> None:
    text = docs_text()
    missing = [name for name in PARAMETERS if f"`{name}`" not in text]
    assert not missing, f"statutes parameters missing from docs/: {missing}"


def test_the_readme_starts_with_make_demo_and_make_test() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = code_blocks(readme)[0]
    commands = [line.split("#")[0].strip() for line in first.splitlines()]
    commands = [command for command in commands if command]
    assert commands[:2] == ["make demo", "make test"]


def auditor_script(opening: str) -> str:
    guide = (DOCS / "auditor-guide.md").read_text(encoding="utf-8")
    return next(block for block in code_blocks(guide, "python") if block.startswith(f'"""{opening}'))


@pytest.fixture(scope="module")
def demo_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """A ledger holding examples/demo.jsonl, and its export."""
    folder = tmp_path_factory.mktemp("export")
    url = f"sqlite:///{folder / 'demo.db'}"
    assert run_cli("import", str(ROOT / "examples" / "demo.jsonl"), db=url).returncode == 0
    export = folder / "demo-export.jsonl"
    assert run_cli("export", str(export), db=url).returncode == 0
    return url, export


def run_script(script: str, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    path = folder / "script.py"
    path.write_text(script, encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(path), *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def test_the_chain_script_checks_a_real_export(demo_export: tuple[str, Path], tmp_path: Path) -> None:
    _, export = demo_export
    script = auditor_script("Recompute the hash chain")
    good = run_script(script, tmp_path, str(export))
    assert good.returncode == 0, good.stdout + good.stderr
    assert "53 entries" in good.stdout and "chain ok" in good.stdout
    lines = export.read_bytes().splitlines(keepends=True)
    lines[20] = lines[20].replace(b'"count":1', b'"count":2')
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_bytes(b"".join(lines))
    bad = run_script(script, tmp_path, str(tampered))
    assert bad.returncode == 1
    assert bad.stdout.startswith("line 21: hash ")


def test_the_replay_script_gives_the_register(demo_export: tuple[str, Path], tmp_path: Path) -> None:
    url, export = demo_export
    script = auditor_script("The register on a date, replayed")
    replayed = run_script(script, tmp_path, str(export), "2025-12-31")
    assert replayed.returncode == 0, replayed.stderr
    register = run_cli("register", "--as-of", "2025-12-31", "--format", "csv", db=url)
    assert replayed.stdout == register.stdout.decode()
