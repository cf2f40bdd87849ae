"""The `coopledger` command group: store selection, then one sub-command per noun."""

from __future__ import annotations

import errno
import gc
import os
import sys
import traceback
from collections.abc import Sequence

import click

from coopledger.commands import assembly, audit, board, journal, mandate, member, report, transparency
from coopledger.commands.context import App, db_url, parse_text


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db", envvar="COOPLEDGER_DB", help="store URL or SQLite path (default sqlite:///coopledger.db)"
)
@click.option(
    "--by",
    "user",
    envvar="COOPLEDGER_BY",
    callback=parse_text,
    help="who enters the entries (default: COOPLEDGER_BY, else the OS user)",
)
@click.version_option(package_name="coopledger")
@click.pass_context
def cli(ctx: click.Context, db: str | None, user: str | None) -> None:
    """coopledger: an event-sourced governance ledger for cooperatives.

    Every membership change, share movement, vote and mandate is an immutable
    entry; the register, the board and the year's figures are rebuilt from
    them as of any date, and as the ledger knew them at any moment.
    """
    # A command is a short process that allocates many small objects (rows, entries) and
    # makes no reference cycles of its own: freezing what the imports built and collecting
    # young objects less often saves about a fifth of a large import or register.
    gc.freeze()
    gc.set_threshold(100_000, 20, 20)
    ctx.obj = App(db_url(db), user)


# Every command, one line per module: a command's name gives its file.
COMMANDS = (
    *(
        journal.init,
        journal.import_,
        journal.export,
        journal.record,
        journal.retract,
        journal.log,
        journal.show,
    ),
    *(member.member, member.register, member.movements, member.history),
    *(assembly.assembly, assembly.assemblies),
    mandate.mandate,
    board.board,
    *(audit.verify, audit.check_flags, audit.rebuild),
    *(report.report, report.chart),
    *(transparency.keygen, transparency.checkpoint, transparency.prove),
)
for command in COMMANDS:
    cli.add_command(command)


# Exit code of an unexpected internal error: sysexits.h's EX_SOFTWARE (docs/contract.md).
INTERNAL_ERROR = 70
GLOBAL_OPTIONS = ("--db", "--by", "--version")


def usage_message(error: click.UsageError) -> str:
    """A usage error on one line, in the clerk's words: where a global option goes, how to get help."""
    ctx = error.ctx
    message = error.format_message()
    if isinstance(error, click.NoSuchOption) and ctx is not None and ctx.parent is not None:
        name = error.option_name.partition("=")[0]
        if name in GLOBAL_OPTIONS:
            return (
                f"{name} is a global option: it goes before the command, "
                f"e.g. coopledger {name} VALUE {ctx.command_path.partition(' ')[2]}"
            )
    if ctx is not None:
        message += f" (see `{ctx.command_path} --help`)"
    return message


def _silence_stdout() -> None:
    """The reader of standard output went away (`| head`): write nothing more, say nothing."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main(args: Sequence[str] | None = None) -> None:
    """The console script: every error on one line, a closed pipe is no error, no traceback.

    An error that is a bug of coopledger prints `coopledger: internal error: ...` and exits
    70, unless COOPLEDGER_DEBUG is set (then the traceback is shown).
    """
    argv = sys.argv[1:] if args is None else list(args)
    cli._main_shell_completion({}, "coopledger")  # exits when _COOPLEDGER_COMPLETE is set
    try:
        try:
            with cli.make_context("coopledger", argv) as ctx:
                code = cli.invoke(ctx)
        except click.exceptions.Exit as e:
            code = e.exit_code
        sys.stdout.flush()
    except click.UsageError as e:
        if type(e).show is not click.UsageError.show:  # our one-line errors (BadOption, ...)
            e.show()
        else:
            click.echo(f"coopledger: error: {usage_message(e)}", err=True)
        sys.exit(e.exit_code)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.Abort:
        click.echo("coopledger: interrupted: nothing more was done", err=True)
        sys.exit(130)
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(0)
    except OSError as e:
        if e.errno != errno.EPIPE:
            _internal(e)
        _silence_stdout()
        sys.exit(0)
    except Exception as e:  # the last guard: one line, not a traceback
        _internal(e)
    sys.exit(code if isinstance(code, int) else 0)


def _internal(error: BaseException) -> None:
    if os.environ.get("COOPLEDGER_DEBUG"):
        traceback.print_exception(error)
    else:
        text = (str(error).strip().splitlines() or [""])[0]
        click.echo(
            f"coopledger: internal error: {type(error).__name__}: {text} "
            "(a bug of coopledger; COOPLEDGER_DEBUG=1 shows where)",
            err=True,
        )
    sys.exit(INTERNAL_ERROR)
