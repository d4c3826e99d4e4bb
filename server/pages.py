"""HTTP pages: home, create, join, the three live views, language switch, QR code."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from boards.actions import Text
from boards.errors import Refusal
from boards.model import FACILITATOR, PARTICIPANT, SCREEN

from . import auth, render
from .i18n import LOCALES, negotiate, translate

NAME = Text(40)
ORGANISATION = Text(80, min_len=0)
TITLE = Text(80)
TERRITORY = Text(80)


def locale_of(request: Request) -> str:
    return negotiate(request.cookies.get("lang"), request.headers.get("accept-language"))


def html(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
    context.setdefault("request", request)
    return HTMLResponse(render.page(name, locale_of(request), **context), status_code=status)


def base_url(request: Request) -> str:
    configured = request.app.state.settings.public_url
    return configured.rstrip("/") if configured else str(request.base_url).rstrip("/")


def join_url(request: Request, code: str) -> str:
    return f"{base_url(request)}/j/{code}"


def _workshop_or_404(request: Request):
    ws = request.app.state.workshops.get(request.path_params["workshop_id"])
    if ws is None:
        return None, html(request, "error.html", 404, message_key="not_found")
    return ws, None


def my_workshops(request: Request) -> list:
    """Workshops this browser facilitates, newest first."""
    states = request.app.state.workshops.states
    mine = [states[w] for w in (request.session.get("f") or {}) if w in states]
    return sorted(mine, key=lambda ws: ws.created_at, reverse=True)


async def home(request: Request) -> Response:
    return html(request, "home.html", form={}, error=None, mine=my_workshops(request))


async def create(request: Request) -> Response:
    form = await request.form()
    locale = locale_of(request)
    try:
        title = TITLE.read(translate(locale, "titre"), form.get("title", ""))
        territory = TERRITORY.read(translate(locale, "territoire"), form.get("territory", ""))
    except Refusal as refusal:
        error = translate(locale, refusal.message, refusal.params)
        return html(request, "home.html", 400, form=dict(form), error=error, mine=my_workshops(request))
    row = request.app.state.workshops.create(title, territory, locale=locale)
    return RedirectResponse(f"/a/{row['id']}/animer/{row['facilitator_key']}", status_code=303)


async def facilitate_link(request: Request) -> Response:
    """The secret facilitator link: proves the capability once, then a session cookie carries it."""
    ws, missing = _workshop_or_404(request)
    if missing:
        return missing
    row = request.app.state.store.workshop(ws.id)
    if not auth.same_secret(request.path_params["key"], row["facilitator_key"]):
        return html(request, "error.html", 403, message_key="bad_link")
    if not auth.facilitator_of(request.session, ws.id):
        person = request.app.state.workshops.facilitator(ws, translate(locale_of(request), "Animation"))
        auth.remember(request.session, "f", ws.id, person)
    return RedirectResponse(f"/a/{ws.id}/animation", status_code=303)


def _live_page(request: Request, ws, view: str, **extra) -> Response:
    facilitator_key = None
    if view == FACILITATOR:
        from .agendas import saved

        facilitator_key = request.app.state.store.workshop(ws.id)["facilitator_key"]
        extra["saved_templates"] = saved(request.app.state.store, ws.territory)
        extra["snapshots"] = request.app.state.snapshots.listing(ws.id)
    screen_key = auth.screen_key(request.app.state.secret, ws.id)
    return html(request, f"workshop/{view}.html", ws=ws, view=view,
                join_url=join_url(request, ws.join_code), base_url=base_url(request),
                facilitator_url=f"{base_url(request)}/a/{ws.id}/animer/{facilitator_key}"
                if facilitator_key else None,
                screen_url=f"/a/{ws.id}/ecran?cle={screen_key}", **extra)


async def facilitator_page(request: Request) -> Response:
    ws, missing = _workshop_or_404(request)
    if missing:
        return missing
    if not auth.facilitator_of(request.session, ws.id):
        return html(request, "error.html", 403, message_key="facilitator_only")
    return _live_page(request, ws, FACILITATOR, me=auth.facilitator_of(request.session, ws.id))


async def screen_page(request: Request) -> Response:
    ws, missing = _workshop_or_404(request)
    if missing:
        return missing
    key = request.query_params.get("cle", "")
    if not (auth.facilitator_of(request.session, ws.id)
            or auth.same_secret(key, auth.screen_key(request.app.state.secret, ws.id))):
        return html(request, "error.html", 403, message_key="facilitator_only")
    return _live_page(request, ws, SCREEN, me=None, screen_query=f"&cle={quote(key)}" if key else "")


async def participant_page(request: Request) -> Response:
    ws, missing = _workshop_or_404(request)
    if missing:
        return missing
    me = auth.participant_of(request.session, ws.id)
    person = ws.participants.get(me or "")
    if person is None or person.removed:
        return RedirectResponse(f"/rejoindre?code={ws.join_code}", status_code=303)
    return _live_page(request, ws, PARTICIPANT, me=me, person=person)


async def proxy_page(request: Request) -> Response:
    """The participant page of a person without a phone, for the facilitator or a table captain."""
    ws, missing = _workshop_or_404(request)
    if missing:
        return missing
    person_id = request.path_params["participant_id"]
    if auth.proxy_helper(request.session, ws, person_id) is None:
        return html(request, "error.html", 403, message_key="facilitator_only")
    return _live_page(request, ws, PARTICIPANT, me=person_id, person=ws.participants[person_id],
                      proxy_for=person_id)


async def earlier_board(request: Request) -> Response:
    """A board shown earlier, read-only, when the facilitator lets participants look back."""
    ws, missing = _workshop_or_404(request)
    if missing:
        return missing
    me = auth.participant_of(request.session, ws.id) or auth.facilitator_of(request.session, ws.id)
    board = ws.board(request.path_params["board_id"])
    shown = ws.shown_boards()
    if me is None or me not in ws.participants:
        return RedirectResponse(f"/rejoindre?code={ws.join_code}", status_code=303)
    if board is None or board not in shown or not (ws.allow_browse or auth.facilitator_of(request.session, ws.id)):
        return html(request, "error.html", 403, message_key="not_shown")
    return html(request, "workshop/earlier.html", ws=ws, board=board, view="screen", me=None)


async def territory(request: Request) -> Response:
    """The workshops of one territory, for those who facilitate one of them."""
    name = request.path_params["name"]
    workshops = [ws for ws in request.app.state.workshops.states.values() if same_territory(ws.territory, name)]
    facilitated = [ws for ws in workshops if auth.facilitator_of(request.session, ws.id)]
    from .coordinator import may_review  # the coordinator's module reads this one's helpers
    if not facilitated and not may_review(request, name):
        return html(request, "error.html", 403, message_key="facilitator_only")
    workshops.sort(key=lambda ws: ws.created_at, reverse=True)
    return html(request, "territory.html", territory=workshops[0].territory if workshops else name,
                workshops=workshops, mine={ws.id for ws in facilitated})


def fold(text: str) -> str:
    """Case, accents and spacing folded, so "QPV  Les Tilleuls" and "qpv les tilleuls" match."""
    stripped = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(ch for ch in stripped if not unicodedata.combining(ch)).split())


def same_territory(a: str, b: str) -> bool:
    return fold(a) == fold(b)


async def join_form(request: Request) -> Response:
    code = auth.normalise_code(request.path_params.get("code") or request.query_params.get("code", ""))
    return html(request, "join.html", code=code, form={}, error=None)


async def join(request: Request) -> Response:
    form = await request.form()
    locale = locale_of(request)
    state = request.app.state
    address = request.client.host if request.client else "-"
    browser = request.session.setdefault("b", auth.new_key()[:12])
    code = auth.normalise_code(str(form.get("code", "")))

    def again(message: str, status: int = 400) -> Response:
        return html(request, "join.html", status, code=code, form=dict(form), error=message)

    if state.join_limiter.blocked(address, browser):
        return again(translate(locale, "Trop d'essais de code. Attendez une minute avant de réessayer."), 429)
    ws = state.workshops.by_join_code(code)
    if ws is None:
        state.join_limiter.failed(address, browser)
        return again(translate(locale, "Ce code ne correspond à aucun atelier. Vérifiez-le auprès de l'animation."))
    try:
        name = NAME.read(translate(locale, "pseudonyme"), form.get("name", ""))
        organisation = ORGANISATION.read(translate(locale, "organisation"), form.get("organisation", ""))
        existing = auth.participant_of(request.session, ws.id)
        person = ws.participants.get(existing or "")
        if person is not None and not person.removed:
            return RedirectResponse(f"/a/{ws.id}", status_code=303)
        participant = await state.workshops.enter(ws, name, organisation, previous=existing)
    except Refusal as refusal:
        return again(translate(locale, refusal.message, refusal.params))
    auth.remember(request.session, "p", ws.id, participant)
    return RedirectResponse(f"/a/{ws.id}", status_code=303)


async def switch_language(request: Request) -> Response:
    locale = request.path_params["locale"]
    target = request.query_params.get("next", "/")
    # Only local paths: the switch must not become an open redirect.
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = "/"
    response = RedirectResponse(target, status_code=303)
    if locale in LOCALES:
        response.set_cookie("lang", locale, max_age=365 * 86400, httponly=True, samesite="lax",
                            secure=request.app.state.settings.https)
    return response


async def qr(request: Request) -> Response:
    ws, missing = _workshop_or_404(request)
    if missing:
        return missing
    # The QR code carries the join code: only people of the workshop may print it.
    if not (auth.facilitator_of(request.session, ws.id) or auth.participant_of(request.session, ws.id)):
        return html(request, "error.html", 403, message_key="facilitator_only")
    svg = render.qr_svg(join_url(request, ws.join_code), scale=10)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})
