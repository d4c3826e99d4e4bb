"""axe-core on every view of a workshop, for each board kind in each of its phases, then on the
coordinator's review pages and the printable report: no violation of impact serious or critical.

One server, one page per view: the facilitator's console changes the board and the phase, and the
phone and the projector follow over their live connection. The language is a parameter of the walk.
"""

from __future__ import annotations

import time

import pytest

from . import axe, tour
from .conftest import TOKEN

pytestmark = pytest.mark.browser


def walk(room, lang: str = "fr") -> dict[str, list]:
    """Every view in every state; returns what axe found, by view and state."""
    found: dict[str, list] = {}

    def check(page, where: str) -> None:
        bad = axe.violations(page)
        if bad:
            found[where] = bad

    fac, wall, phone, workshop_id = tour.start(room, lang)
    code = fac.locator(".joinbox .code").inner_text().strip()
    visitor = tour.open_in(room, "phone", "/", lang)
    check(visitor, "home")
    visitor.goto(f"{room.url}/j/{code}")
    check(visitor, "join")
    visitor.context.close()

    def each(kind: str, phase: str) -> None:
        for page, view in ((fac, "facilitator"), (phone, "participant"), (wall, "screen")):
            check(page, f"{view} {kind}/{phase}")

    tour.boards_through_phases(fac, wall, phone, each)

    # A wave, then the coordinator's pages and the printable report. -------------------------------
    box = fac.locator("#instantanes")
    box.locator("input[name=label]").fill("T0")
    box.locator("button").first.click()
    fac.wait_for_url("**/animation?instantane=*")
    check(fac, "facilitator after a wave")
    phone.goto(f"{room.url}/a/{workshop_id}/mes-contributions")
    check(phone, "my contributions")
    coord = tour.open_in(room, "laptop", "/coordination", lang)
    check(coord, "coordinator sign-in")
    coord.locator("input[name=token]").fill(TOKEN)
    coord.locator("form button").first.click()
    check(coord, "review index")
    coord.locator("a[href^='/coordination/instantanes/']").first.click()
    deadline = time.monotonic() + 90
    while coord.locator("a[href$='/export/rapport.html']").count() == 0 or coord.locator(
            "p.banner[role=status]").count():
        assert time.monotonic() < deadline, "the analysis never finished"
        coord.wait_for_timeout(500)
        coord.reload()
    check(coord, "review snapshot")
    report = coord.locator("a[href$='/export/rapport.html']").get_attribute("href")
    for path in (report, "/coordination/indicateurs", "/coordination/bibliotheque",
                 "/coordination/bibliotheque/indicateur", "/territoires/QPV des Lilas"):
        coord.goto(room.url + path)
        check(coord, path)
    return found


@pytest.mark.parametrize("lang", ["fr", "falc"])
def test_axe_finds_nothing_serious_on_any_view_of_any_board_in_any_phase(room, lang):
    found = walk(room, lang)
    assert not found, "\n".join(f"{where}:\n{axe.describe(v)}" for where, v in found.items())
    room.watch.assert_clean()
