"""Coordinator sign-in and scope: who may review which territories.

The token given to the server (`--coordinator-token`) is the national coordination's: every
territory. Tokens made with `python -m server.coordinator add --territory NAME` open one
territory's workshops, waves, comparisons and transfers, and nothing else; only the database keeps
their SHA-256, so a copy of it does not give the tokens away. A revoked token stops working at
once, even in a browser that signed in with it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from . import auth
from .i18n import translate
from .pages import fold, html, locale_of
from .store import now

SESSION_KEY = "coordinator"
NATIONAL = True


@dataclass(frozen=True)
class Scope:
    territory: str | None  # None: every territory

    @property
    def national(self) -> bool:
        return self.territory is None

    def allows(self, territory: str) -> bool:
        return self.territory is None or fold(territory) == fold(self.territory)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def scope(request: Request) -> Scope | None:
    value = request.session.get(SESSION_KEY)
    if value is NATIONAL:
        return Scope(None)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    row = request.app.state.store.execute("SELECT territory FROM coordinator_tokens WHERE id = ? AND revoked_at IS NULL",
                     [value]).fetchone()
    return Scope(row[0]) if row else None


def is_coordinator(request: Request) -> bool:
    return scope(request) is not None


def may_review(request: Request, territory: str) -> bool:
    found = scope(request)
    return found is not None and found.allows(territory)


def is_national(request: Request) -> bool:
    found = scope(request)
    return found is not None and found.national


def refuse(request: Request) -> Response:
    """Where a coordinator page sends someone who has not signed in."""
    return RedirectResponse(f"/coordination/connexion?suite={request.url.path}", status_code=303)


def _territorial(db, token: str) -> int | None:
    row = db.execute("SELECT id FROM coordinator_tokens WHERE digest = ? AND revoked_at IS NULL",
                     [_digest(token)]).fetchone()
    return row[0] if row else None


async def sign_in_form(request: Request) -> Response:
    return html(request, "review/sign_in.html", error=None, next=request.query_params.get("suite", "/coordination"))


async def sign_in(request: Request) -> Response:
    form = await request.form()
    expected = request.app.state.coordinator_token
    target = str(form.get("suite", "/coordination"))
    if not target.startswith("/coordination"):
        target = "/coordination"
    limiter = request.app.state.join_limiter
    address = request.client.host if request.client else "-"
    browser = request.session.setdefault("b", auth.new_key()[:12])
    token = str(form.get("token", ""))
    message, granted = None, None
    if limiter.blocked(address, browser):
        message = translate(locale_of(request), "Trop d'essais. Attendez une minute avant de réessayer.")
    elif expected and auth.same_secret(token, expected):
        granted = NATIONAL
    else:
        granted = _territorial(request.app.state.store, token) if token else None
        if granted is None:
            limiter.failed(address, browser)
            message = translate(locale_of(request), "Jeton de coordination incorrect.")
    if message:
        return html(request, "review/sign_in.html", 403, error=message, next=target)
    request.session[SESSION_KEY] = granted
    return RedirectResponse(target, status_code=303)


async def sign_out(request: Request) -> Response:
    request.session.pop(SESSION_KEY, None)
    return RedirectResponse("/", status_code=303)


# Tokens, from the command line --------------------------------------------------------------

def add_token(db, label: str, territory: str) -> str:
    """A new territorial token; returned once, only its digest is kept."""
    token = auth.new_key()
    with db.atomic():
        db.execute("INSERT INTO coordinator_tokens (label, territory, digest, created_at) VALUES (?, ?, ?, ?)",
                   [label, territory, _digest(token), now()])
    return token


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys

    from .store import Store
    parser = argparse.ArgumentParser(prog="python -m server.coordinator",
                                     description="Coordinator tokens scoped to one territory.")
    parser.add_argument("--db", default="maillage.db", help="SQLite file or postgresql:// URL")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="make a token for one territory's coordination")
    add.add_argument("--territory", required=True)
    add.add_argument("--label", default="")
    commands.add_parser("list", help="the tokens made, without their secret")
    revoke = commands.add_parser("revoke", help="stop a token at once")
    revoke.add_argument("id", type=int)
    args = parser.parse_args(argv)
    store = db = Store(args.db)
    try:
        if args.command == "add":
            territory = " ".join(args.territory.split())
            if not territory:
                print("--territory must name a territory", file=sys.stderr)
                return 2
            print(add_token(db, args.label or territory, territory))
        elif args.command == "list":
            for row in db.query("SELECT id, label, territory, created_at, revoked_at FROM coordinator_tokens ORDER BY id"):
                state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
                print(f"{row['id']}\t{row['territory']}\t{row['label']}\t{row['created_at']}\t{state}")
        else:
            with db.atomic():
                changed = db.execute("UPDATE coordinator_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                                     [now(), args.id]).rowcount
            if not changed:
                print(f"no active token {args.id}", file=sys.stderr)
                return 2
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
