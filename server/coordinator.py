"""Coordinator sign-in: a token given to the server proves the right to review every territory."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from . import auth
from .i18n import translate
from .pages import html, locale_of

SESSION_KEY = "coordinator"


def is_coordinator(request: Request) -> bool:
    return request.session.get(SESSION_KEY) is True


def refuse(request: Request) -> Response:
    """Where a coordinator page sends someone who has not signed in."""
    return RedirectResponse(f"/coordination/connexion?suite={request.url.path}", status_code=303)


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
    message = None
    if limiter.blocked(address, browser):
        message = translate(locale_of(request), "Trop d'essais. Attendez une minute avant de réessayer.")
    elif not expected or not auth.same_secret(str(form.get("token", "")), expected):
        limiter.failed(address, browser)
        message = translate(locale_of(request), "Jeton de coordination incorrect.")
    if message:
        return html(request, "review/sign_in.html", 403, error=message, next=target)
    request.session[SESSION_KEY] = True
    return RedirectResponse(target, status_code=303)


async def sign_out(request: Request) -> Response:
    request.session.pop(SESSION_KEY, None)
    return RedirectResponse("/", status_code=303)
