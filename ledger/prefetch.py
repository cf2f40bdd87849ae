"""A long PostgreSQL scan's next page, fetched while the current one is worked on.

A page at a time, the client and the server take turns: the server produces a page
while the client waits, then the client works through it while the server waits
for the next request. Here one thread asks for page k+1 while the caller works on
page k, so both sides work at once (`register --format csv` of 450,000 members:
3.24 s -> 2.40 s). psycopg gives up the GIL while it waits for the server, and
serialises the connection's use between threads, so two scans on one connection
each still see their own rows.

The thread runs in a copy of the caller's context, so a read made inside a
snapshot (`TRANSACTION`) stays inside it. A scan of one short page starts no
thread: `verify` forks its worker after a few such reads, and a process must
not fork while another of its threads may hold a lock.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def prefetched(pages: Iterator[Sequence[T]], full: int) -> Iterator[T]:
    """The rows of `pages` (an empty page ends them), each page after the first fetched
    ahead; a first page of fewer than `full` rows is the last one read without a thread."""
    try:
        page = next(pages, None)
        if not page:
            return
        if len(page) < full:
            while page:
                yield from page
                page = next(pages, None)
            return
        context = contextvars.copy_context()

        def fetch() -> Sequence[T] | None:
            return next(pages, None)

        with ThreadPoolExecutor(1, thread_name_prefix="coopledger-prefetch") as pool:
            while page:
                following = pool.submit(context.run, fetch)
                yield from page  # the caller stopping here waits for `following` on leaving `with`
                page = following.result()
    finally:
        close = getattr(pages, "close", None)
        if close is not None:
            close()  # no page is being fetched any more: the pool has been shut down
