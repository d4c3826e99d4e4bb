"""The Jinja2 environment and "state -> HTML" for each view.

Live updates are htmx out-of-band fragments. A change is rendered once per
(view, language) and the same bytes go to every client of that kind; nothing
per person is rendered on the broadcast path.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from datetime import datetime, timezone

from urllib.parse import quote
import jinja2
import segno

from boards.console import TEMPLATES as AGENDA_TEMPLATES, seconds_left
from boards.errors import Refusal
from boards.i18n import FIELD_LABELS
from boards.kinds import KINDS
from boards.model import Workshop

from . import i18n, pictos

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
VIEWS = ("participant", "facilitator", "screen")
# Events that change the workshop frame around the boards rather than one board.
FRAME_EVENTS = {"board.added", "board.renamed", "board.shown", "board.phase", "workshop.locked",
                "workshop.created", "board.moved", "board.removed", "workshop.browse"}
# A change of name is not one of them: the board on screen swaps the elements that show the name in
# each view (its kind's `delta`, when its PEOPLE_EVENTS say so), the renamed person's own pages
# their header (`personal`), the facilitator's people panel its item (presence).
RENAMED = "participant.renamed"


def reframes(ws: Workshop, event: dict) -> bool:
    """Whether this event changes the whole frame: the boards, or whether contributions are open.

    Closing contributions at zero, or opening them again (a stop, a restart, added time), changes
    the board's badge, its instructions and every form of the page, not only the clock.
    """
    if event["type"] in FRAME_EVENTS:
        return True
    if event["type"] == "timer.expired":
        return ws.time_up
    return bool(event.get("reopens"))


def qr_svg(data: str, scale: int = 6) -> str:
    """An inline SVG QR code; the data is a URL we built, never participant text."""
    return segno.make(data, error="m").svg_inline(scale=scale, dark="#111", light="#fff",
                                                   border=2, omitsize=True)


@lru_cache(maxsize=None)
def env(locale: str) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        # Templates do not change while the server runs; checking each file's mtime on every
        # get_template was a third of the server's time in a plenary (one lookup per phone per vote).
        auto_reload=False,
    )
    environment.install_gettext_translations(i18n.translations(locale), newstyle=True)
    environment.globals.update(
        locale=locale,
        html_lang=i18n.language(locale),
        language_of=i18n.language,
        switch_labels=i18n.SWITCH_LABELS,
        locales=i18n.LOCALES,
        kinds=KINDS,
        qr_svg=qr_svg,
        phase_label=lambda board: i18n.translate(locale, KINDS[board.kind].PHASE_LABELS[board.phase]),
        kind_title=lambda kind: i18n.translate(locale, KINDS[kind].TITLE),
        phase_hint=lambda board: i18n.translate(
            locale, getattr(KINDS[board.kind], "PHASE_HINTS", {}).get(board.phase, "")),
        agenda_templates=AGENDA_TEMPLATES,
        contributed=contributed,
        timer_left=lambda ws: round(seconds_left(ws.timer, datetime.now(timezone.utc))),
        **pictos.GLOBALS,
    )
    environment.filters["default_label"] = lambda value: i18n.shipped_label(locale, value)
    # One path segment from stored text ("QPV Nord/Sud"): every reserved character escaped, "/"
    # included, which Jinja's urlencode keeps.
    environment.filters["segment"] = lambda value: quote(str(value), safe="")
    return environment


def page(name: str, locale: str, **context) -> str:
    return env(locale).get_template(name).render(**context)


def _macros(locale: str, kind: str):
    return env(locale).get_template(f"boards/{kind}.html").module


def frame(ws: Workshop, view: str, locale: str, me: str | None = None) -> str:
    """Every live region of a page, for a client that (re)connects behind."""
    return env(locale).get_template("workshop/_frame.html").render(ws=ws, view=view, me=me)


def changes(ws: Workshop, events: list[dict], view: str, locale: str) -> str:
    """Out-of-band fragments that bring a view from before `events` to the current state."""
    if any(reframes(ws, e) for e in events):
        # Pages rendered per reader get their frame from `personal` only, not twice.
        return "" if stage_per_reader(ws, view) else frame(ws, view, locale)
    parts = []
    if any(e["type"].startswith("timer.") for e in events):
        parts.append(env(locale).get_template("workshop/_timer.html").render(ws=ws, view=view, oob=True))
        if view == "facilitator":
            parts.append(env(locale).get_template("workshop/_controls.html").render(ws=ws, oob=True))
    if any(e["type"] == "screen.paged" for e in events) and view != "participant":
        parts.append(env(locale).get_template("workshop/_remote.html").render(ws=ws, view=view, oob=True))
    for event in events:
        if event["type"].startswith("participant."):
            # A join or a removal changes counts and tallies on some boards: those kinds say so
            # and answer with small fragments (a join storm comes through here).
            board = _showing_people(ws, event)
            if board is not None:
                parts.append(str(_macros(locale, board.kind).delta(ws, board, event, view)))
            continue
        if event["type"].startswith("timer."):
            continue
        watching = _watching(ws, event)
        if watching is not None:
            parts.append(str(_macros(locale, watching.kind).delta(ws, watching, event, view)))
            continue
        board = ws.board(event.get("board", ""))
        # Every view shows the current board only; the others are rendered when shown.
        if board is None or board.id != ws.current_board:
            continue
        parts.append(str(_macros(locale, board.kind).delta(ws, board, event, view)))
    return "".join(parts)


def _showing_people(ws: Workshop, event: dict):
    """The board on screen when its kind shows this participant event (its PEOPLE_EVENTS)."""
    board = ws.board(ws.current_board or "")
    if board is not None and event["type"] in getattr(KINDS[board.kind], "PEOPLE_EVENTS", ()):
        return board
    return None


def frame_unchanged(ws: Workshop, event: dict) -> bool:
    """Whether every shared frame is the same after this event (just applied) as before it: a
    participant event the board on screen does not show, for which `changes` sends nothing."""
    return event["type"].startswith("participant.") and _showing_people(ws, event) is None


def _watching(ws: Workshop, event: dict):
    """The board on screen when it shows this event of another board (its kind's WATCHES)."""
    board = ws.board(ws.current_board or "")
    if board is None or board.id == event.get("board"):
        return None
    return board if event["type"] in getattr(KINDS[board.kind], "WATCHES", ()) else None


def is_personal(ws: Workshop, event: dict) -> bool:
    """Whether part of this event's change must be rendered for each reader (private content)."""
    if _watching(ws, event) is not None:
        # The board on screen may show it inside private content (a phone's own cards).
        return True
    board = ws.board(event.get("board", ""))
    return board is not None and event["type"] in getattr(KINDS[board.kind], "PERSONAL_EVENTS", ())


def _reader_of(ws: Workshop, event: dict) -> str | None:
    """The one participant whose private part this event changes, when its kind names one."""
    board = ws.board(event.get("board", ""))
    field = getattr(KINDS[board.kind], "PERSONAL_TO", {}).get(event["type"]) if board is not None else None
    return event.get(field) if field else None


def personal_readers(ws: Workshop, events: list[dict]) -> set[str] | None:
    """The participants whose page `personal` may change for these events, or None for anyone.

    A vote changes its voter's dots left only: in a plenary the macro would otherwise run for
    every phone, once per vote, to render nothing for all but one of them.
    """
    readers: set[str] = set()
    for event in events:
        if reframes(ws, event):
            return None
        if event["type"] == RENAMED:
            readers.add(event["participant"])
            continue
        if is_personal(ws, event):
            reader = _reader_of(ws, event)
            if reader is None:
                return None
            readers.add(reader)
    return readers


def stage_per_reader(ws: Workshop, view: str) -> bool:
    """Whether the board on screen shows each participant something of their own (cards, dots)."""
    board = ws.board(ws.current_board or "")
    return view == "participant" and bool(board and getattr(KINDS[board.kind], "READER_SPECIFIC", False))


def reader_specific(ws: Workshop, view: str, me: str | None) -> bool:
    """Whether this reader's page differs from others of the same view (own cards, captain tools)."""
    if view != "participant" or me is None:
        return False
    person = ws.participants.get(me)
    return stage_per_reader(ws, view) or bool(person and person.captain)


def personal(ws: Workshop, events: list[dict], view: str, locale: str, me: str | None,
             proxied: bool = False) -> str:
    """The per-reader part of a change, sent after the shared part so it takes precedence.

    A kind's `personal` macro for the events it declares personal, and the whole
    frame again for readers whose page differs from their neighbours'.
    """
    if any(reframes(ws, e) for e in events):
        return frame(ws, view, locale, me) if reader_specific(ws, view, me) else ""
    parts = []
    for event in events:
        if event["type"] == RENAMED:
            if me == event["participant"]:
                parts.append(_renamed_own(ws, event, view, locale, me, proxied))
            continue
        watching = _watching(ws, event)
        if watching is not None:
            parts.append(str(_macros(locale, watching.kind).personal(ws, watching, event, view, me)))
            continue
        board = ws.board(event.get("board", ""))
        if board is None or board.id != ws.current_board or not is_personal(ws, event):
            continue
        reader = _reader_of(ws, event)
        if reader is None or reader == me:
            parts.append(str(_macros(locale, board.kind).personal(ws, board, event, view, me)))
    return "".join(parts)


def _renamed_own(ws: Workshop, event: dict, view: str, locale: str, me: str, proxied: bool) -> str:
    """What shows a person's new name on their own pages only: their header, and their own
    contributions that no one else sees yet (a kind that has such puts the event in its
    PERSONAL_EVENTS)."""
    parts = [header(ws, view, locale, me, proxied, oob=True)] if view == "participant" else []
    board = ws.board(ws.current_board or "")
    if board is not None and RENAMED in getattr(KINDS[board.kind], "PERSONAL_EVENTS", ()):
        parts.append(str(_macros(locale, board.kind).personal(ws, board, event, view, me)))
    return "".join(parts)


def header(ws: Workshop, view: str, locale: str, me: str | None, proxied: bool = False, oob: bool = False) -> str:
    """The line of a participant's page that says who they are (or for whom a captain types)."""
    person = ws.participants.get(me or "")
    if view != "participant" or person is None:
        return ""
    return env(locale).get_template("workshop/_me.html").render(person=person, proxy_for=proxied, oob=oob)


def captain(ws: Workshop, view: str, locale: str, me: str | None) -> str:
    return env(locale).get_template("workshop/_captain.html").render(ws=ws, view=view, me=me, oob=True)


def presence(ws: Workshop, online, view: str, locale: str, changed=None, counted=(), added=()) -> str:
    """The online count, and on the facilitator's page the people panel: whole, or given
    `changed` (a list of people) only their items, only the counts of those in `counted`, and
    the items of those `added` at the end of the list."""
    template = env(locale).get_template("workshop/_presence.html")
    return template.render(ws=ws, online=online, view=view, changed=changed, counted=counted, added=added)


def contributed(people, counts) -> tuple[int, int]:
    """How many of `people` contributed to the board, and how many of those without a phone."""
    done = [person for person in people if person.id in counts]
    return len(done), sum(1 for person in done if person.offline)


def notice(locale: str, refusal: Refusal) -> str:
    params = dict(refusal.params)
    if "field" in params:
        params["field"] = i18n.translate(locale, FIELD_LABELS.get(params["field"], params["field"]))
    text = i18n.translate(locale, refusal.message, params)
    return env(locale).get_template("workshop/_notice.html").render(text=text, kind="error")


