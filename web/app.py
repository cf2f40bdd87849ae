"""The web application: routes (GET only), reading a page's URL, rendering its template.

Every page reads `as_of` (a date, default today), `known_at` (a date or date-time in UTC, or
`#N`) and `lang` (fr, nl, en) from its URL with the commands' own parsers, builds the same
`View` as a command, and calls `pages`. Only GET (and HEAD) routes exist: any other method
is answered 405 by the router. Templates escape every value (autoescape is on for all of them).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import anyio
import click
from jinja2 import Environment, PackageLoader
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

from coopledger.commands.context import parse_date, parse_moment, parse_text, today
from coopledger.commands.render import csv_cells, neutral
from coopledger.commands.view import View, parse_known, resolve_known
from coopledger.ledger.events import FIRST_DATE, LAST_DATE
from coopledger.reports.options import LANGS
from coopledger.reports.text import Style
from coopledger.web import pages
from coopledger.web.auth import Guard
from coopledger.web.source import ReadOnlyLedger
from coopledger.web.verify import Verifier
from coopledger.web.words import LANG_NAMES, Words

NAV = (
    ("/", "overview"),
    ("/register", "register"),
    ("/board", "board"),
    ("/assemblies", "assemblies"),
    ("/report", "report"),
    ("/ledger", "ledger"),
)
COMMON = ("as_of", "known_at", "lang")
THREADS = 8  # worker threads computing pages at once (the SQLite pool holds 8 connections, plus overflow)
DOCUMENT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"


@dataclass
class Settings:
    """How `serve` was started: whether personal data shows, who may log in."""

    show_personal_data: bool = False
    users: Mapping[str, str] | None = None
    hosts: Collection[str] | None = None  # the Host names answered (None: any)
    warm: bool = False  # compute today's pages in the background, again after each new entry
    title: str = "coopledger"


class BadRequest(Exception):
    """A URL parameter the page cannot use: 400, with the commands' own message."""


def _checked(parse: Callable[[], Any]) -> Any:
    try:
        return parse()
    except click.ClickException as e:
        raise BadRequest(e.format_message()) from None
    except click.BadParameter as e:  # pragma: no cover (a ClickException too)
        raise BadRequest(e.format_message()) from None


def read_view(ledger: ReadOnlyLedger, params: Mapping[str, str]) -> View:
    """The page's view from its URL: as_of, known_at, lang, checked as the commands check them."""
    lang = params.get("lang") or "fr"
    if lang not in LANGS:
        raise BadRequest(f"lang must be one of {', '.join(LANGS)}")
    as_of = _checked(lambda: parse_date(None, None, params.get("as_of") or None)) or today()
    raw = params.get("known_at") or None
    if raw is not None and raw.startswith("#"):
        known = _checked(lambda: parse_known(None, None, raw))
    else:  # never a file name: parse_known would read a checkpoint file from the server's disk
        known = _checked(lambda: parse_moment(None, None, raw))
    moment, seq = _checked(lambda: resolve_known(ledger, known, "known_at"))  # type: ignore[arg-type]
    return View("html", as_of, None, None, None, moment, seq, lang)


def _text(params: Mapping[str, str], name: str, default: str = "") -> str:
    value = params.get(name) or default
    return str(_checked(lambda: parse_text(None, None, value)))


def _choice(params: Mapping[str, str], name: str, choices: tuple[Any, ...], default: Any) -> Any:
    value = params.get(name)
    if value is None or value == "":
        return default
    for choice in choices:
        if value == str(choice):
            return choice
    raise BadRequest(f"{name} must be one of {', '.join(map(str, choices))}")


def _number(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    value = params.get(name)
    if value is None or value == "":
        return default
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise BadRequest(f"{name} must be a whole number from {low} to {high}")
    return int(value)


def register_query(params: Mapping[str, str]) -> pages.RegisterQuery:
    return pages.RegisterQuery(
        status=_choice(params, "status", pages.STATUSES, "member"),
        category=_text(params, "category"),
        prefix=_text(params, "q"),
        sort=_choice(params, "sort", pages.SORTS, "member"),
        descending=_choice(params, "dir", ("asc", "desc"), "asc") == "desc",
        page=_number(params, "page", 1, 1, 10**9),
        per=_choice(params, "per", pages.PER_PAGE, 100),
    )


class Web:
    """The application's state: the ledger, the settings, the templates, the background verify."""

    def __init__(self, ledger: ReadOnlyLedger, settings: Settings):
        self.ledger = ledger
        self.settings = settings
        self.verifier = Verifier(ledger)
        self.templates = Environment(
            loader=PackageLoader("coopledger.web", "templates"),
            autoescape=True,  # every template, whatever its name
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def warm(self, every: float = 5.0) -> None:
        """Keep today's default pages computed: at start, and again whenever an entry is recorded.

        On a large ledger the overview, the board, the assemblies and the flags take seconds to
        compute the first time (then they are cached per ledger head); computing them here
        means a visitor of the default pages never waits for it.
        """
        warmed = None
        while True:
            head = self.ledger.head_seq()
            if head != warmed:
                self.warm_once()
                warmed = head
            time.sleep(every)

    def warm_once(self) -> None:
        """Today's default pages, computed into the cache (each page that fails says so)."""
        view = View("html", today(), lang="fr")
        words, style = Words("fr"), Style("fr")
        steps: list[Callable[[], Any]] = [
            lambda: pages.overview_page(self.ledger, view, 5, words, style),
            lambda: pages.register_page(self.ledger, view, pages.RegisterQuery(), False),
            lambda: pages.board_page(self.ledger, view, "board"),
            lambda: pages.assemblies_page(self.ledger, view, words, style),
            lambda: pages.ledger_page(self.ledger, view),
            lambda: pages.report_page(self.ledger, view, *pages.report_period(self.ledger, view, None)[:2]),
        ]
        for step in steps:
            try:
                step()
            except Exception as e:  # the page itself says what is wrong when visited
                print(f"coopledger: warming a page failed: {type(e).__name__}: {e}", file=sys.stderr)

    def render(
        self, request: Request, view: View, template: str, status: int = 200, **data: Any
    ) -> HTMLResponse:
        params = dict(request.query_params)
        kept = {k: params[k] for k in COMMON if params.get(k)}
        head = self.ledger.head_seq()

        def link(path: str, **changes: Any) -> str:
            query = {**kept, **{k: v for k, v in changes.items()}}
            query = {k: str(v) for k, v in query.items() if v not in (None, "", False)}
            return path + ("?" + urlencode(query) if query else "")

        def here(**changes: Any) -> str:
            query = {**params, **changes}
            query = {k: str(v) for k, v in query.items() if v not in (None, "", False)}
            return request.url.path + ("?" + urlencode(query) if query else "")

        fixed = view.known_seq if view.known_seq is not None else head
        words = Words(view.lang)
        style = Style(view.lang)
        html = self.templates.get_template(template).render(
            w=words,
            view=view,
            style=style,
            v=style.value,
            money=lambda amount: style.money(Decimal(str(amount))),
            day=style.day,
            link=link,
            here=here,
            permalink=here(as_of=view.day.isoformat(), known_at=f"#{fixed}" if fixed else None),
            params=params,
            path=request.url.path,
            nav=NAV,
            langs=LANG_NAMES,
            head=head,
            settings=self.settings,
            first_date=FIRST_DATE,
            last_date=LAST_DATE,
            known=view.known_text,
            **data,
        )
        return HTMLResponse(html, status_code=status)

    def page(self, handler: Callable[[Request, View], Response]) -> Callable[[Request], Response]:
        """A route: the view read from the URL; bad parameters 400, what the ledger lacks 404."""

        def endpoint(request: Request) -> Response:
            params = request.query_params
            try:
                view = read_view(self.ledger, params)
            except BadRequest as e:
                return self.error(request, 400, str(e))
            try:
                return handler(request, view)
            except BadRequest as e:
                return self.error(request, 400, str(e), view)
            except pages.NotInLedger as e:
                return self.error(request, 404, str(e), view)

        return endpoint

    def error(self, request: Request, status: int, message: str, view: View | None = None) -> HTMLResponse:
        lang = request.query_params.get("lang")
        view = view or View("html", today(), lang=lang if lang in LANGS else "fr")
        words = Words(view.lang)
        title = words["bad_request"] if status == 400 else words["not_found"]
        return self.render(request, view, "error.html.j2", status, title=title, message=message)

    # ---------------------------------------------------------------- pages

    def overview(self, request: Request, view: View) -> Response:
        years = _number(request.query_params, "years", 5, 1, 50)
        words, style = Words(view.lang), Style(view.lang)
        data = pages.overview_page(self.ledger, view, years, words, style)
        return self.render(request, view, "overview.html.j2", years=years, **data)

    def register(self, request: Request, view: View) -> Response:
        query = register_query(request.query_params)
        data = pages.register_page(self.ledger, view, query, self.settings.show_personal_data)
        return self.render(request, view, "register.html.j2", query=query, **data)

    def register_csv(self, request: Request, view: View) -> Response:
        query = register_query(request.query_params)
        chunks = pages.register_csv(self.ledger, view, query, self.settings.show_personal_data)

        def lines() -> Iterator[bytes]:
            # As `register --format csv` writes them: yes/no, and no cell a spreadsheet would run.
            # Closed whatever happens: a chunk that fails to write must not leave the query's
            # connection open (its transaction would hold its locks until a garbage collection).
            with contextlib.closing(chunks):
                for number, chunk in enumerate(chunks):
                    buffer = io.StringIO()
                    writer = csv.writer(buffer, lineterminator="\n")
                    writer.writerows([[neutral(c) for c in chunk[0]]] if number == 0 else csv_cells(chunk))
                    yield buffer.getvalue().encode()

        name = f"register-{view.day.isoformat()}.csv"
        return StreamingResponse(
            lines(),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )

    def register_xlsx(self, request: Request, view: View) -> Response:
        """The same rows as the CSV in one sheet (openpyxl's write-only mode: rows are not kept)."""
        from openpyxl import Workbook

        query = register_query(request.query_params)
        book = Workbook(write_only=True)
        sheet = book.create_sheet(f"{view.day.isoformat()}")
        with contextlib.closing(
            pages.register_csv(self.ledger, view, query, self.settings.show_personal_data)
        ) as chunks:
            for chunk in chunks:
                for row in chunk:
                    sheet.append([neutral(c) for c in row])  # openpyxl would store "=..." as a formula
        buffer = io.BytesIO()
        book.save(buffer)
        name = f"register-{view.day.isoformat()}.xlsx"
        return Response(
            buffer.getvalue(),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )

    def member(self, request: Request, view: View) -> Response:
        member_id = str(_checked(lambda: parse_text(None, None, request.path_params["member"])))
        data = pages.member_page(self.ledger, view, member_id, self.settings.show_personal_data)
        return self.render(request, view, "member.html.j2", **data)

    def board(self, request: Request, view: View) -> Response:
        body = _text(request.query_params, "body", "board")
        return self.render(
            request, view, "board.html.j2", body=body, **pages.board_page(self.ledger, view, body)
        )

    def assemblies(self, request: Request, view: View) -> Response:
        data = pages.assemblies_page(self.ledger, view, Words(view.lang), Style(view.lang))
        return self.render(request, view, "assemblies.html.j2", **data)

    def assembly(self, request: Request, view: View) -> Response:
        assembly_id = str(_checked(lambda: parse_text(None, None, request.path_params["assembly"])))
        return self.render(
            request, view, "assembly.html.j2", **pages.assembly_page(self.ledger, view, assembly_id)
        )

    def _period(self, request: Request, view: View) -> tuple[dt.date, dt.date, int]:
        params = request.query_params
        year = (
            _number(params, "year", 0, FIRST_DATE.year + 1, LAST_DATE.year - 1)
            if params.get("year")
            else None
        )
        return pages.report_period(self.ledger, view, year)

    def report(self, request: Request, view: View) -> Response:
        start, end, year = self._period(request, view)
        data = pages.report_page(self.ledger, view, start, end)
        return self.render(request, view, "report.html.j2", start=start, end=end, year=year, **data)

    def report_document(self, request: Request, view: View) -> Response:
        start, end, year = self._period(request, view)
        text = pages.report_document(self.ledger, view, start, end, year)
        return HTMLResponse(text, headers={"content-security-policy": DOCUMENT_POLICY})

    def ledger_state(self, request: Request, view: View) -> Response:
        verification, running = self.verifier.status()
        data = pages.ledger_page(self.ledger, view)
        return self.render(
            request, view, "ledger.html.j2", verification=verification, running=running, **data
        )

    def stylesheet(self, request: Request) -> Response:
        css = self.templates.loader.get_source(self.templates, "style.css")[0]  # type: ignore[union-attr]
        return Response(css, media_type="text/css; charset=utf-8", headers={"cache-control": "max-age=3600"})

    def routes(self) -> list[Route]:
        page = self.page
        return [
            Route("/", page(self.overview), methods=["GET"], name="overview"),
            Route("/register", page(self.register), methods=["GET"], name="register"),
            Route("/register.csv", page(self.register_csv), methods=["GET"], name="register_csv"),
            Route("/register.xlsx", page(self.register_xlsx), methods=["GET"], name="register_xlsx"),
            Route("/members/{member:path}", page(self.member), methods=["GET"], name="member"),
            Route("/board", page(self.board), methods=["GET"], name="board"),
            Route("/assemblies", page(self.assemblies), methods=["GET"], name="assemblies"),
            Route("/assemblies/{assembly:path}", page(self.assembly), methods=["GET"], name="assembly"),
            Route("/report", page(self.report), methods=["GET"], name="report"),
            Route("/report/document", page(self.report_document), methods=["GET"], name="report_document"),
            Route("/ledger", page(self.ledger_state), methods=["GET"], name="ledger"),
            Route("/style.css", self.stylesheet, methods=["GET"], name="style"),
        ]


def create_app(ledger: ReadOnlyLedger, settings: Settings | None = None) -> Any:
    """The ASGI application over a read-only ledger: routes behind the guard (headers, Basic auth)."""
    settings = settings or Settings()
    web = Web(ledger, settings)

    async def not_found(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            return web.error(request, 404, request.url.path)
        return Response(exc.detail, status_code=exc.status_code, headers=exc.headers)

    if settings.warm:
        threading.Thread(target=web.warm, daemon=True, name="warm").start()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Pages are computed on worker threads; a few suffice on a small machine, and they keep
        # the database connections in use below the pools' sizes.
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        yield

    app = Starlette(routes=web.routes(), exception_handlers={HTTPException: not_found}, lifespan=lifespan)
    app.state.web = web
    return Guard(app, settings.users, settings.hosts)
