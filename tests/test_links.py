"""Links built from stored text escape their path segments: a territory named with a slash, a
percent sign, a question mark or a hash leads to its own page."""

from __future__ import annotations

import re

from players import Person

NAMES = ["QPV Nord/Sud", "Quartier 100% ? #2", "Les Érables & co", "../coordination"]


def test_a_territory_link_leads_to_that_territory_whatever_its_name(server):
    host = Person(server)
    for name in NAMES:
        workshop = host.create_workshop(f"Atelier {name}", name)
        page = host.http.get(f"/a/{workshop['id']}/animation").text
        link = re.search(r'<a href="(/territoires/[^"]*)"', page).group(1)
        assert "/" not in link[len("/territoires/"):], link
        listing = host.http.get(link.replace("&amp;", "&"))
        assert listing.status_code == 200, (name, link)
        assert f"Atelier {name}".replace("&", "&amp;") in listing.text, name
        home = host.http.get("/").text
        assert link in home
