"""Pictograms beside the words that matter to someone who reads with difficulty: board kinds,
phases, actor and tie types, brake/lever families, the main actions.

The drawings are files in static/pictos/ (one symbol `#p` each, stroked in currentColor so they
take the colour of the text beside them). A pictogram is always decorative here: the words stay
beside it, so it is hidden from screen readers and never carries a meaning of its own.

Pages draw them from one sprite made of every file (`/pictos.svg`, one symbol per file name): a
page asks for it once, so a phone whose network drops later still draws the pictograms of what
it is shown next (a file per pictogram was asked for when first shown, and failed offline), and
a phone on weak wifi makes one request instead of one per pictogram.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

FOLDER = Path(__file__).resolve().parent.parent / "static" / "pictos"

KIND = {"ideas": "idea", "stakeholders": "network", "levers": "balance", "indicators": "chart",
        "systems": "loop", "diagnosis": "search", "ambition": "flag"}

# By phase name; a few names mean different things on different boards.
PHASE = {"open": "write", "write": "write", "propose": "write", "collect": "write", "draft": "write",
         "factors": "write", "map": "pin", "rate": "star", "reveal": "eye", "group": "group",
         "vote": "ballot", "prioritise": "dot", "results": "podium", "choose": "check", "links": "link",
         "loops": "loop", "consent": "hand", "locked": "lock"}
PHASE_BY_KIND = {("indicators", "reveal"): "podium", ("indicators", "rate"): "gauge"}

# The default type lists (boards/stakeholders/model.py), kept in French in the data. A type the
# facilitator typed gets the generic pictogram.
ACTOR_TYPE = {"institution publique": "institution", "collectivité": "townhall",
              "service public de l'emploi": "briefcase", "association": "heart", "entreprise": "factory",
              "bailleur social": "house", "organisme de formation": "school", "santé et social": "cross",
              "collectif d'habitants": "people", "autre": "other"}
TIE_TYPE = {"échange d'information": "talk", "orientation de publics": "signpost", "projet commun": "puzzle",
            "mutualisation de moyens": "share", "financement": "coins", "partenariat formel": "contract"}
SIDE = {"frein": "brake", "levier": "lever"}
CATEGORY = {"social": "pair", "economique": "euro", "territorial": "map", "psychologique": "thought",
            "gouvernance": "hierarchy", "moyens": "tool", "interconnaissance": "people",
            "confiance": "shield", "information": "info"}


def picto(name: str | None, cls: str = "") -> Markup:
    """An inline <svg> that draws static/pictos/<name>.svg; empty for no name."""
    if not name:
        return Markup("")
    extra = f" {cls}" if cls else ""
    return Markup('<svg class="picto{}" aria-hidden="true" focusable="false">'
                  '<use href="/pictos.svg?v={}#{}"></use></svg>').format(Markup(extra), sprite()[1], name)


@lru_cache(maxsize=None)
def sprite() -> tuple[bytes, str]:
    """Every pictogram as one SVG of symbols named after their files, and its version."""
    parts = ['<svg xmlns="http://www.w3.org/2000/svg">']
    for path in sorted(FOLDER.glob("*.svg")):
        text = path.read_text(encoding="utf-8")
        symbol = text[text.index("<symbol"):text.index("</symbol>") + len("</symbol>")]
        parts.append(symbol.replace('id="p"', f'id="{path.stem}"', 1))
    parts.append("</svg>")
    body = "".join(parts).encode("utf-8")
    return body, hashlib.sha256(body).hexdigest()[:12]


async def serve(request: Request) -> Response:
    """The sprite; kept a year under its version (pages name the version they were made with)."""
    body, version = sprite()
    kept = request.query_params.get("v") == version
    return Response(body, media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=31536000, immutable" if kept else "no-cache",
                             "ETag": f'"{version}"'})


def for_kind(kind: str) -> Markup:
    return picto(KIND.get(kind))


def for_phase(kind: str, phase: str) -> Markup:
    return picto(PHASE_BY_KIND.get((kind, phase)) or PHASE.get(phase))


def for_actor_type(name: str) -> Markup:
    return picto(ACTOR_TYPE.get(name, "other"))


def for_tie_type(name: str) -> Markup:
    return picto(TIE_TYPE.get(name, "link"))


def for_side(side: str) -> Markup:
    return picto(SIDE.get(side))


def for_category(key: str) -> Markup:
    return picto(CATEGORY.get(key, "other"))


GLOBALS = {"picto": picto, "kind_picto": for_kind, "phase_picto": for_phase, "actor_picto": for_actor_type,
           "tie_picto": for_tie_type, "side_picto": for_side, "category_picto": for_category}
