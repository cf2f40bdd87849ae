"""`serve`: the read-only web view (coopledger.web), imported only when the command runs."""

from __future__ import annotations

import ipaddress

import click

from coopledger.commands.context import App, BadOption, ledger_errors, pass_app

LOOPBACK = ("localhost",)


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: only this machine can connect."""
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=5000, show_default=True, help="port to listen on"
)
@click.option(
    "--password-file",
    help="file of user:password lines: HTTP Basic authentication (needed to listen beyond this machine)",
)
@click.option(
    "--show-personal-data", is_flag=True, help="show members' addresses and e-mails (hidden by default)"
)
@pass_app
def serve(app: App, host: str, port: int, password_file: str | None, show_personal_data: bool) -> None:
    """Serve a read-only web view: register, members, board, assemblies, report, ledger state.

    Every page takes as_of and known_at in its URL (a link shows the same thing
    for good with its permanent link) and lang (fr, nl, en). Nothing is written:
    the database is opened read-only (SQLite mode=ro, PostgreSQL read-only
    sessions) and there is no route but GET. Listens on 127.0.0.1 unless
    --host says otherwise, which needs --password-file; put it behind a reverse
    proxy with TLS then (docs/user-guide.md, "Web view").

    \b
    Examples:
      coopledger serve
      coopledger serve --port 8080 --show-personal-data
      coopledger serve --host 0.0.0.0 --password-file board.passwords
    """
    from coopledger.web.auth import PasswordFileError, read_password_file

    users = None
    if password_file is not None:
        try:
            users = read_password_file(password_file)
        except PasswordFileError as e:
            raise BadOption(str(e), param_hint="--password-file") from None
    elif not is_loopback(host):
        raise BadOption(
            f"listening on {host} lets other machines in: give --password-file (HTTP Basic, behind a "
            "reverse proxy with TLS), or keep the default 127.0.0.1",
            param_hint="--host",
        )
    with ledger_errors():
        app.read_models()  # the one catch-up, by the ordinary connection, before serving read-only
        app.store.close()
    import uvicorn

    from coopledger.web.app import Settings, create_app
    from coopledger.web.source import ReadOnlyLedger

    with ledger_errors():
        ledger = ReadOnlyLedger(app.url)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"coopledger: serving a read-only view on http://{shown}:{port}/ (Ctrl-C to stop)", err=True)
    if users is not None:
        click.echo(
            f"coopledger: HTTP Basic authentication for {len(users)} user(s) from {password_file}; "
            "Basic sends passwords in clear: reach it through a reverse proxy with TLS",
            err=True,
        )
    if show_personal_data:
        click.echo("coopledger: addresses and e-mails are shown (--show-personal-data)", err=True)
    # Without a password, only the names of this machine: a page elsewhere cannot point its own
    # name at 127.0.0.1 and read the ledger through the visitor's browser (DNS rebinding).
    hosts = None if users is not None else {"127.0.0.1", "localhost", "[::1]", shown.lower()}
    settings = Settings(show_personal_data=show_personal_data, users=users, hosts=hosts, warm=True)
    try:
        uvicorn.run(create_app(ledger, settings), host=host.strip("[]"), port=port, log_level="warning")
    finally:
        ledger.close()
