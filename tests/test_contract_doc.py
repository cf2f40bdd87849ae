"""docs/contract.md names what users may rely on: every command, every entry type with its
required fields, and every exit code the commands use (issue 9.15)."""

from __future__ import annotations

import re

import click
import msgspec

from coopledger.ledger import events as ev
from tests.conftest import ROOT

CONTRACT = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
COMMON = {"type", "date", "id", "ref", "note", "by", "seq", "recorded", "hash"}


def test_every_command_is_in_the_contract() -> None:
    from coopledger.commands.main import cli

    assert isinstance(cli, click.Group)
    for name in cli.list_commands(click.Context(cli)):
        assert f"`coopledger {name}" in CONTRACT, name


def test_every_entry_type_is_in_the_contract_with_its_required_fields() -> None:
    rows = {
        m.group(1): m.group(2)
        for m in re.finditer(r"^\| `([a-z_]+\.[a-z_]+)` \| ([^|]*) \|", CONTRACT, re.MULTILINE)
    }
    assert set(rows) == set(ev.EVENT_TYPES)
    for name, cls in ev.EVENT_TYPES.items():
        info = msgspec.inspect.type_info(cls)
        assert isinstance(info, msgspec.inspect.StructType)
        required = {f.encode_name for f in info.fields if f.required} - COMMON
        assert set(re.findall(r"`([a-z_]+)`", rows[name])) >= required, name


def test_the_exit_codes_are_in_the_contract() -> None:
    for code in range(4):
        assert re.search(rf"^\| {code} \|", CONTRACT, re.MULTILINE), code
    for prefix in ("coopledger: refused:", "coopledger: error:", "coopledger: failed:"):
        assert prefix in CONTRACT
