"""The `coopledger` command group: store selection, then one sub-command per noun."""

from __future__ import annotations

import errno
import gc
import importlib
import os
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

import click

# Every command: its module in commands/, the click object there, and its one-line help. The
# group imports a module only when its command runs, so `coopledger --help` starts in a few
# hundredths of a second instead of importing SQLAlchemy and every report library (issue 12).
# tests/test_lazy_commands.py checks that each line matches the command it names.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("journal", "init", "Create the store and the read models (idempotent)."),
    "import": (
        "journal",
        "import_",
        "Load a journal file (JSON Lines; - for stdin) or a spreadsheet (.csv, .xlsx, .ods), all or nothing.",
    ),
    "export": (
        "journal",
        "export",
        "Write the whole journal as JSON Lines, with sequence, recorded time, id and hash.",
    ),
    "record": (
        "journal",
        "record",
        "Record one entry of the journal vocabulary, given as --field value pairs.",
    ),
    "retract": (
        "journal",
        "retract",
        "Withdraw an earlier entry (by id or sequence number); nothing is deleted.",
    ),
    "log": ("journal", "log", "Every entry in recording order, with who entered it and when."),
    "show": (
        "journal",
        "show",
        "One entry, whole: every field, who recorded it and when, its hash, and its retraction if any.",
    ),
    "member": (
        "member",
        "member",
        "Friendly entry of the common membership events (the same events as `record`).",
    ),
    "register": ("member", "register", "The register of members on a date, ordered by member id."),
    "movements": (
        "member",
        "movements",
        "Member movements in a period: admissions, exits, share movements, with totals.",
    ),
    "history": (
        "member",
        "history",
        "Every entry about one member, in effective-date order (retracted ones marked).",
    ),
    "assembly": (
        "assembly",
        "assembly",
        "General assemblies: convene, record participation and decisions, show one assembly.",
    ),
    "assemblies": (
        "assembly",
        "assemblies",
        "The assemblies held in a period, with participation and how many resolutions passed.",
    ),
    "mandate": (
        "mandate",
        "mandate",
        "Friendly entry of mandates (the same events as `coopledger record mandate.elected ...`).",
    ),
    "board": (
        "board",
        "board",
        "A body's composition on a date: seats, holders and how they got the seat, vacancies.",
    ),
    "verify": (
        "audit",
        "verify",
        "Check the hash chain, the Merkle tree, the checkpoints, the rules and the read models.",
    ),
    "check": (
        "audit",
        "check_problems",
        "Report every problem in one run: journal assertions that fail, and what needs the secretary.",
    ),
    "rebuild": ("audit", "rebuild", "Throw the read models away and rebuild them from the entries."),
    "report": ("report", "report", "The year's figures and the special report of an accredited cooperative."),
    "chart": (
        "report",
        "chart",
        "Draw a chart alone: members over time by category, with admissions and exits by month.",
    ),
    "keygen": (
        "transparency",
        "keygen",
        "Make an Ed25519 key pair to sign checkpoints: NAME.key (private, 0600) and NAME.pub.",
    ),
    "checkpoint": (
        "transparency",
        "checkpoint",
        "Print the checkpoint of the ledger as it stands, and record that it was taken.",
    ),
    "serve": (
        "serve",
        "serve",
        "Serve a read-only web view: register, members, board, assemblies, report, ledger state.",
    ),
    "prove": (
        "transparency",
        "prove",
        "Write a member's entries (or one entry) with their inclusion proofs in a checkpoint.",
    ),
}


class LazyGroup(click.Group):
    """click's documented lazy group: a sub-command's module is imported when it is looked up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(f"coopledger.commands.{module}"), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list of commands from the registry's lines, without importing one of them."""
        limit = formatter.width - 6 - max(map(len, COMMANDS))
        rows = [
            (name, click.Command(name, help=COMMANDS[name][2]).get_short_help_str(limit))
            for name in sorted(COMMANDS)
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _parse_text(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from coopledger.commands.context import parse_text

    return parse_text(ctx, param, value)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db", envvar="COOPLEDGER_DB", help="store URL or SQLite path (default sqlite:///coopledger.db)"
)
@click.option(
    "--by",
    "user",
    envvar="COOPLEDGER_BY",
    callback=_parse_text,
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
    from coopledger.commands.context import App, db_url

    gc.freeze()
    gc.set_threshold(100_000, 20, 20)
    ctx.obj = App(db_url(db), user)
    ctx.call_on_close(ctx.obj.close)


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
    # Collect young objects rarely from the start, as `cli` then keeps doing: the command's
    # imports (SQLAlchemy above all) build many lasting objects that the default threshold
    # would scan again and again (about 0.06 s of every command that reads or writes a ledger).
    gc.set_threshold(100_000, 20, 20)
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
    except (click.Abort, KeyboardInterrupt):  # a prompt's Ctrl-C is an Abort; any other, this
        click.echo("coopledger: interrupted: nothing more was done", err=True)
        _leave(130)  # as below: what was open goes with the process; a write's transaction rolls back
    except BrokenPipeError:
        _silence_stdout()
        _leave(0)  # not sys.exit: a register's half-read cursor would be finalised after its store closed
    except OSError as e:
        if e.errno != errno.EPIPE:
            _internal(e)
        _silence_stdout()
        _leave(0)
    except Exception as e:  # the last guard: one line, not a traceback
        if _unreadable(e):
            _damaged(e, "bytes", "the entries")
        if _mistyped(e):
            _damaged(e, "a value", "the rows")
        _internal(e)
    _leave(code if isinstance(code, int) else 0)


def _unreadable(error: Exception) -> bool:
    """Whether the error is msgspec's on bytes that are not what they should be. Input is decoded
    line by line and refused with its line number long before it gets here, so these are the
    store's own bytes (msgspec is looked up, not imported: `--help` imports nothing it need not)."""
    msgspec = sys.modules.get("msgspec")
    return msgspec is not None and isinstance(error, msgspec.DecodeError | msgspec.ValidationError)


def _mistyped(error: Exception) -> bool:
    """Whether the error is raised by one of SQLAlchemy's result processors, which type what the
    database gives (on SQLite, text to dates and numbers to decimals): a stored value that is
    not of its column's type, written outside coopledger. The streamed reads say which
    (`ledger.scan.unreadable`); this is every other read through SQLAlchemy."""
    if not isinstance(error, TypeError | ValueError | ArithmeticError) or error.__traceback__ is None:
        return False
    last = error.__traceback__
    while last.tb_next is not None:
        last = last.tb_next
    where = last.tb_frame.f_code.co_filename.replace("\\", "/")
    return "sqlalchemy/engine/" in where and "processors" in where


def _damaged(error: Exception, what: str, named: str) -> NoReturn:
    """A store changed outside coopledger: say so, not that coopledger has a bug (exit 3)."""
    click.echo(
        f"coopledger: failed: the store holds {what} coopledger did not write ({_said(error)}): it was "
        f"changed outside coopledger, or is damaged; nothing was written; `coopledger verify` "
        f"names {named} concerned",
        err=True,
    )
    _leave(3)


def _leave(code: int) -> NoReturn:
    """Exit without tearing the interpreter down: after a large import or register it would
    free, one by one, hundreds of thousands of objects that the system frees at once (0.15 s
    of the 45k bench journal's import). By now the command has closed what it opened (the
    context's close gives the connections back) and registered nothing to run at exit."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _internal(error: BaseException) -> None:
    if os.environ.get("COOPLEDGER_DEBUG"):
        traceback.print_exception(error)
    else:
        click.echo(
            f"coopledger: internal error: {type(error).__name__}: {_said(error)} "
            "(a bug of coopledger; COOPLEDGER_DEBUG=1 shows where)",
            err=True,
        )
    sys.exit(INTERNAL_ERROR)


def _said(error: BaseException) -> str:
    """The first line of an error's message: one line on standard error, whatever it holds."""
    return (str(error).strip().splitlines() or [""])[0]
