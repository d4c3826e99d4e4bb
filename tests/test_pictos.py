"""Every pictogram a page may ask for is a file in static/pictos/: one symbol drawn in the text's
colour, with a title; and every default type, phase and family has its own."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx

from boards.kinds import KINDS
from boards.levers.model import DEFAULT_CATEGORIES, SIDES
from boards.stakeholders.model import DEFAULT_ACTOR_TYPES, DEFAULT_TIE_TYPES
from server import pictos
from live_server import LiveServer
from server.render import env

FOLDER = Path(__file__).resolve().parent.parent / "static" / "pictos"
SVG = "{http://www.w3.org/2000/svg}"


def test_every_default_has_a_pictogram_and_every_pictogram_a_file():
    for kind, module in KINDS.items():
        assert kind in pictos.KIND
        for phase in module.PHASES:
            assert pictos.PHASE_BY_KIND.get((kind, phase)) or pictos.PHASE.get(phase), (kind, phase)
    assert set(DEFAULT_ACTOR_TYPES) <= set(pictos.ACTOR_TYPE)
    assert set(DEFAULT_TIE_TYPES) <= set(pictos.TIE_TYPE)
    assert set(SIDES) <= set(pictos.SIDE)
    assert {key for key, _ in DEFAULT_CATEGORIES} <= set(pictos.CATEGORY)
    # Distinct within each family: a pictogram that stood for two types would say neither.
    for family in (pictos.ACTOR_TYPE, pictos.TIE_TYPE, pictos.SIDE, pictos.CATEGORY, pictos.KIND):
        assert len(set(family.values())) == len(family)
    names = set(pictos.KIND.values()) | set(pictos.PHASE.values()) | set(pictos.PHASE_BY_KIND.values()) \
        | set(pictos.ACTOR_TYPE.values()) | set(pictos.TIE_TYPE.values()) | set(pictos.SIDE.values()) \
        | set(pictos.CATEGORY.values()) | {"other", "link", "speaker", "textsize"}
    for name in names:
        assert (FOLDER / f"{name}.svg").is_file(), name


def test_each_file_is_one_titled_symbol_in_the_text_colour():
    files = sorted(FOLDER.glob("*.svg"))
    assert len(files) > 40
    for path in files:
        root = ET.parse(path).getroot()
        assert root.tag == f"{SVG}svg", path
        assert (root.findtext(f"{SVG}title") or "").strip(), path
        symbol = root.find(f"{SVG}symbol")
        assert symbol is not None and symbol.get("id") == "p", path
        text = path.read_text()
        assert "currentColor" in text and "#000" not in text and "href=\"http" not in text, path


def test_a_pictogram_is_hidden_from_screen_readers_and_unknown_types_get_the_generic_one():
    html = str(pictos.for_actor_type("un type écrit par l'animation"))
    assert 'aria-hidden="true"' in html and f"/pictos.svg?v={pictos.sprite()[1]}#other" in html
    assert pictos.picto(None) == ""
    # Names come from our tables, never from what people typed.
    rendered = env("fr").from_string("{{ actor_picto(name) }}").render(name='"><script>')
    assert "<script>" not in rendered


def test_pages_draw_every_pictogram_from_one_sprite_asked_for_once(tmp_path):
    """One request for all of them, kept under its version: a phone that loses the network after
    loading a page still draws the pictograms of what it is shown next."""
    body, version = pictos.sprite()
    sprite = ET.fromstring(body)
    symbols = {s.get("id"): s for s in sprite.findall(f"{SVG}symbol")}
    files = sorted(FOLDER.glob("*.svg"))
    assert set(symbols) == {path.stem for path in files}
    for path in files:
        drawn = ET.parse(path).getroot().find(f"{SVG}symbol")
        assert ET.tostring(drawn).replace(b'id="p"', f'id="{path.stem}"'.encode()) == ET.tostring(symbols[path.stem])
    with LiveServer(tmp_path / "atelier.db") as srv, httpx.Client(base_url=srv.url) as client:
        page = client.get("/").text
        assert set(re.findall(r'<use href="([^"#]+)#', page)) == {f"/pictos.svg?v={version}"}
        kept = client.get(f"/pictos.svg?v={version}")
        assert kept.status_code == 200 and kept.content == body
        assert kept.headers["content-type"].startswith("image/svg+xml")
        assert "immutable" in kept.headers["cache-control"]
        # Without the page's version (an old page, a bookmark) it is checked again each time.
        assert client.get("/pictos.svg").headers["cache-control"] == "no-cache"
