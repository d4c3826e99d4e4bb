"""A note the facilitator hides: its author's phone says so, kindly; the other phones show nothing of it.

Which phone shows the words is the browser's doing (board.js shows `own-only` parts inside the
reader's own `data-author`), so it is checked in Chromium.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .steps import create_workshop, ideas_board, join, settled

pytestmark = pytest.mark.browser

TEXT = "Le bailleur ne répond jamais aux locataires"
NOTICE = "L'animation a masqué une de vos notes"


def test_the_author_of_a_hidden_note_reads_why_it_left_and_the_others_see_nothing(room):
    fac = room.open("laptop")
    _, code = create_workshop(fac, "Atelier des Tilleuls", "QPV des Tilleuls")
    ideas_board(fac)
    amina, bruno = room.open("phone"), room.open("phone")
    join(amina, code, "Amina")
    join(bruno, code, "Bruno")
    amina.get_by_label("Votre idée").fill(TEXT)
    amina.get_by_role("button", name="Ajouter la note").tap()
    settled(amina)
    for page in (bruno, fac):
        expect(page.locator(".note", has_text=TEXT)).to_be_visible()

    fac.locator(".note", has_text=TEXT).get_by_role("button", name="Masquer").click()
    settled(fac)
    expect(fac.locator(".note.hidden-note", has_text=TEXT)).to_be_visible()
    expect(amina.get_by_text(NOTICE)).to_be_visible()
    expect(amina.locator(".note", has_text=TEXT)).to_have_count(0)
    expect(bruno.locator(".hidden-notice")).to_have_count(1)
    expect(bruno.get_by_text(NOTICE)).to_be_hidden()
    assert TEXT not in bruno.content()
    room.shot(amina, "phone-hidden-note-author", full_page=True)
    room.shot(bruno, "phone-hidden-note-other", full_page=True)

    # Shown again: the note is back for everyone, the words are gone.
    fac.locator(".note", has_text=TEXT).get_by_role("button", name="Afficher").click()
    for page in (amina, bruno):
        expect(page.locator(".note", has_text=TEXT)).to_be_visible()
    expect(amina.get_by_text(NOTICE)).to_have_count(0)
