"""A card half written on a phone survives the board being re-rendered under the writer's thumbs."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .steps import add_board, create_workshop, join, settled, show_board

pytestmark = pytest.mark.browser

TEXT = "Les horaires des permanences ne se recoupent jamais"


def rename(fac, old: str, new: str) -> None:
    item = fac.locator("#agenda li", has_text=old)
    item.locator("summary", has_text="Renommer").click()
    item.get_by_label("Nouveau titre").fill(new)
    item.get_by_role("button", name="Renommer").click()
    expect(fac.locator("#stage-title")).to_have_text(new)
    settled(fac)


def test_what_a_participant_is_typing_survives_a_re_render_of_the_board(room):
    fac = room.open("laptop")
    _, code = create_workshop(fac, "Atelier brouillons", "QPV des Sablons")
    add_board(fac, "Freins et leviers", "Freins et leviers")
    show_board(fac, "Freins et leviers")
    phone = room.open("phone")
    join(phone, code, "Amina")
    expect(phone.locator("#stage-title")).to_have_text("Freins et leviers")

    form = phone.locator("form.lv-compose")
    form.get_by_role("radio", name="un levier").check()
    form.get_by_label("Catégorie").select_option(label="Moyens")
    box = form.get_by_label("Votre carte")
    box.fill(TEXT)
    box.evaluate("el => el.setSelectionRange(4, 4)")    # the cursor moved back into the text
    form.evaluate("f => { f.dataset.before = 'yes'; }")

    # The facilitator renames the board: every screen gets the whole board again.
    rename(fac, "Freins et leviers", "Ce qui freine, ce qui aide")
    expect(phone.locator("#stage-title")).to_have_text("Ce qui freine, ce qui aide")
    expect(phone.locator("form.lv-compose[data-before]")).to_have_count(0)  # a new form indeed

    expect(form.get_by_role("radio", name="un levier")).to_be_checked()
    expect(form.get_by_label("Catégorie")).to_have_value("moyens")
    expect(box).to_have_value(TEXT)
    expect(box).to_be_focused()
    assert box.evaluate("el => [el.selectionStart, el.selectionEnd]") == [4, 4]

    form.get_by_role("button", name="Ajouter la carte").tap()
    settled(phone)
    expect(phone.locator(".lv-mine .lv-card", has_text=TEXT)).to_be_visible()
    expect(box).to_have_value("")

    # A card once sent is not brought back into the form by the next re-render.
    rename(fac, "Ce qui freine, ce qui aide", "Freins et leviers")
    expect(phone.locator("#stage-title")).to_have_text("Freins et leviers")
    expect(box).to_have_value("")
    expect(phone.locator(".lv-mine .lv-card", has_text=TEXT)).to_have_count(1)


# Another page of the facilitator adds an actor to the map while the levers board is on screen.
ADD_ACTOR = """async ([board, name]) => {
  const path = document.querySelector("[ws-connect]").getAttribute("ws-connect");
  const socket = new WebSocket(location.origin.replace(/^http/, "ws") + path);
  await new Promise((resolve) => { socket.onopen = resolve; });
  const answered = new Promise((resolve) => {
    socket.onmessage = (e) => { if (e.data.includes("actor-added-op")) { resolve(); } };
  });
  socket.send(JSON.stringify({ type: "actor.add", board, name, category: "association", op: "actor-added-op" }));
  await answered;
  socket.close();
}"""


def test_actors_ticked_on_a_card_survive_the_map_changing_meanwhile(room):
    fac = room.open("laptop")
    _, code = create_workshop(fac, "Atelier acteurs", "QPV du Port")
    add_board(fac, "Qui coopère ?", "Cartographie des acteurs")
    show_board(fac, "Qui coopère ?")
    map_board = fac.locator("#stage").get_attribute("data-board")
    phone = room.open("phone")
    join(phone, code, "Amina")
    form = phone.locator("form.sh-add")
    form.get_by_label("Ajouter une organisation ou un collectif").fill("Centre social")
    form.get_by_label("Type", exact=True).select_option("association")
    form.get_by_role("button", name="Ajouter l'acteur").tap()
    settled(phone)
    add_board(fac, "Freins et leviers", "Freins et leviers")
    show_board(fac, "Freins et leviers")
    expect(phone.locator("#stage-title")).to_have_text("Freins et leviers")

    compose = phone.locator("form.lv-compose")
    compose.get_by_role("radio", name="un frein").check()
    compose.get_by_label("Catégorie").select_option(label="Confiance")
    compose.locator("summary", has_text="Acteurs concernés").click()
    compose.get_by_label("Centre social").check()
    compose.get_by_label("Votre carte").fill(TEXT)

    fac.evaluate(ADD_ACTOR, [map_board, "Mission locale"])
    expect(compose.get_by_label("Mission locale")).to_be_visible()   # the list of actors was redrawn
    expect(compose.get_by_label("Centre social")).to_be_checked()
    expect(compose.get_by_label("Mission locale")).not_to_be_checked()
    expect(compose.get_by_label("Votre carte")).to_have_value(TEXT)

    compose.get_by_role("button", name="Ajouter la carte").tap()
    settled(phone)
    card = phone.locator(".lv-mine .lv-card", has_text=TEXT)
    expect(card.locator(".lv-actor")).to_have_text(["Centre social"])
