"""HTTP Basic authentication from a password file, and the headers every answer carries.

The password file holds one `user:password` line per person (or a single line holding a
password alone, for any user name); blank lines and lines starting with `#` are skipped.
Passwords are compared in constant time. Basic sends the password in clear on each request:
`serve` is meant to sit behind a reverse proxy that speaks TLS (docs/user-guide.md).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Collection, Mapping
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ANY_USER = ""
# No script, no frame of another site, no form sent anywhere but here; the report document,
# the one page with inline styles, gets its own policy (app.py).
POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'self'"
)
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"cache-control", b"no-store"),
]


class PasswordFileError(ValueError):
    """The password file cannot be read or holds no usable line."""


def read_password_file(path: str) -> dict[str, str]:
    """user -> password; a line without ':' is a password for any user name."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise PasswordFileError(
            f"cannot read the password file {path!r}: {getattr(e, 'strerror', None) or e}"
        ) from None
    users: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        user, colon, password = line.partition(":")
        if not colon:
            user, password = ANY_USER, line
        if not password:
            raise PasswordFileError(f"the password file {path!r} has a line with an empty password")
        users[user] = password
    if not users:
        raise PasswordFileError(f"the password file {path!r} holds no password")
    return users


def allowed(users: Mapping[str, str], header: str | None) -> bool:
    """Whether an `Authorization: Basic ...` header names a user of the file with its password."""
    if not header or not header.lower().startswith("basic "):
        return False
    try:
        user, colon, password = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    if not colon:
        return False
    expected = users.get(user, users.get(ANY_USER))
    # Compare even when the user is unknown, so that the time taken does not tell.
    same = hmac.compare_digest(password.encode(), (expected or "\x00" * 16).encode())
    return expected is not None and same


def host_of(scope: Scope) -> str:
    """The Host header's name, without its port, lower case ('[::1]' for IPv6)."""
    host: bytes = dict(scope.get("headers", [])).get(b"host", b"")
    raw = host.decode("latin-1").strip().lower()
    if raw.startswith("["):
        return raw[: raw.find("]") + 1]
    return raw.partition(":")[0]


class Guard:
    """ASGI middleware: the security headers on every answer, the Host checked against the names
    the server answers to (when given), and Basic authentication (when asked)."""

    def __init__(
        self, app: ASGIApp, users: Mapping[str, str] | None = None, hosts: Collection[str] | None = None
    ):
        self.app = app
        self.users = users
        self.hosts = {h.lower() for h in hosts} if hosts is not None else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in HEADERS if n not in names]
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", POLICY.encode()))
                message["headers"] = headers
            await send(message)

        if self.hosts is not None and host_of(scope) not in self.hosts:
            # A name this server was not started for: a web page elsewhere rebinding its name to
            # 127.0.0.1 (DNS rebinding) must not read the register through the visitor's browser.
            await with_headers(
                {
                    "type": "http.response.start",
                    "status": 400,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                }
            )
            await send({"type": "http.response.body", "body": b"unknown host name\n"})
            return
        if self.users is not None:
            header = dict(scope.get("headers", [])).get(b"authorization")
            if not allowed(self.users, header.decode("latin-1") if header else None):
                await with_headers(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"www-authenticate", b'Basic realm="coopledger", charset="UTF-8"'),
                            (b"content-type", b"text/plain; charset=utf-8"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": b"authentication required\n"})
                return
        await self.app(scope, receive, with_headers)
