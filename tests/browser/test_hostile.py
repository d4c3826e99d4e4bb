"""Hostile text typed into every field, as a person would type it, then looked at everywhere it is
shown: phone, facilitator, projector, coordinator pages, downloads. It must always come back as
the very text typed: no dialog, no script run, no markup or htmx attribute brought to life, no
spreadsheet formula, and a long unbroken word must not push a phone's page sideways."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from . import audit
from .conftest import TOKEN
from .exports import analysed, download_all, open_offline_html
from .steps import add_board, contribute, create_workshop, join, screen_link, set_phase, settled, show_board

pytestmark = pytest.mark.browser

MARK = "pwn"
# Every payload carries MARK: an attribute that came alive with it in its value is an injection.
SCRIPT = "<script>alert('pwn')</script>"
IMG = "<img src=x onerror=alert('pwn')>"
SVG = "<svg/onload=alert('pwn')>"
LINK = "<a href=\"javascript:alert('pwn')\">pwn</a>"
JS = "javascript:alert('pwn')"
HTMX = "<div hx-get=\"/\" hx-trigger=\"load\" hx-on::load=\"window.__pwned=1\">pwn</div>"
OOB = "<b id=\"stage\" hx-swap-oob=\"true\">pwn</b>"
FORMULA = "=HYPERLINK(\"http://pwn.example/\",\"clic\")"
CMD = "@SUM(1+1)*cmd|' /C calc'!A0 pwn"
RTL = "\u202epwn-ne\u202c שלום مرحبا"
BRACES = "{{ 7*7 }} ${7*7} %(name)s {% raw %} pwn"
# A refused form answers with its page and a 4xx status, which Chromium notes in the console.
REFUSED_PAGE = r"Failed to load resource: the server responded with a status of 40[03]"


def long(n: int) -> str:
    """One unbroken word of n characters: the longest a field takes."""
    return ("pwn" + "W" * n)[:n]


def shows(page, text: str, where: str = "body", exact: bool = True) -> None:
    """The text is on the page, as text: the whole of an element's text, or within it."""
    expect(page.locator(where).get_by_text(text, exact=exact).first).to_be_attached()


def inert(page) -> None:
    """Nothing typed came alive on this page, and a phone's page does not scroll sideways."""
    found = audit.injected(page, MARK)
    assert found == {"found": [], "ran": None}, f"{page.url}: {found}"
    if page.viewport_size["width"] < 500:
        wide = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert wide <= 0, f"{page.url}: the page is {wide}px wider than the phone"


def test_hostile_text_in_every_field_stays_text(room):
    watch = room.watch
    # The coordinator adds a hostile indicator to the common library, after a wrong token. ---------
    coord = room.open("laptop", "/coordination")
    with watch.tolerating(REFUSED_PAGE):
        coord.get_by_label("Jeton de coordination").fill(SCRIPT)
        coord.get_by_role("button", name="Entrer").click()
        expect(coord.locator(".notice.error")).to_have_text("Jeton de coordination incorrect.")
    coord.get_by_label("Jeton de coordination").fill(TOKEN)
    coord.get_by_role("button", name="Entrer").click()
    coord.goto(room.url + "/coordination/bibliotheque/indicateur")
    coord.get_by_label("Identifiant stable").fill("pwn1")
    coord.get_by_label("ou nouvelle dimension").fill(SVG)
    coord.get_by_label("Nom", exact=True).fill(SCRIPT)
    coord.get_by_label("Définition").fill(IMG + " " + RTL)
    coord.get_by_label("Comment on le mesure").fill(FORMULA)
    coord.get_by_label("D'où viennent les données").fill(LINK)
    coord.get_by_role("button", name="Enregistrer").click()
    expect(coord.locator(".notice.ok")).to_contain_text("Indicateur ajouté")
    shows(coord, SVG, "h2", exact=False)
    shows(coord, SCRIPT + " · pwn1", "h3")
    inert(coord)
    audit.basics(coord)

    # The facilitator: title, territory, boards, people without a phone, a saved agenda. ------------
    fac = room.open("laptop")
    title = SCRIPT + " Atelier"
    workshop_id, code = create_workshop(fac, title, FORMULA)
    assert fac.title().startswith(title)
    agenda = fac.locator("#agenda")
    first = agenda.locator("li", has_text="Diagnostic partagé")
    first.locator("summary", has_text="Renommer").click()
    first.get_by_label("Nouveau titre").fill(BRACES)
    first.get_by_role("button", name="Renommer").click()
    settled(fac)
    add_board(fac, LINK, "Cartographie des acteurs")
    add_board(fac, HTMX, "Freins et leviers")
    add_board(fac, long(80), "Référentiel d'indicateurs")
    fac.locator("#people").get_by_text("Personnes sans téléphone").click()
    fac.locator("#people").get_by_label("Ajouter une personne sans téléphone (pseudonyme)").fill(SVG)
    fac.locator("#people").get_by_role("button", name="Ajouter").click()
    settled(fac)
    expect(fac.locator("#people .people li", has_text=SVG)).to_contain_text("sans téléphone")
    fac.get_by_text("Appliquer un modèle de déroulé").click()
    fac.get_by_label("Enregistrer ce déroulé comme modèle").fill(CMD)
    fac.locator("form[action$='/modeles']").get_by_role("button", name="Enregistrer", exact=True).click()
    fac.wait_for_url("**/animation")
    expect(fac.get_by_label("Modèle").locator("option", has_text=CMD)).to_have_count(1)
    for text in (BRACES, LINK, HTMX, long(80)):
        shows(fac, text, "#agenda .title")
    shows(fac, SVG, "#people .who", exact=False)
    inert(fac)

    wall = room.open("projector", screen_link(fac))
    shows(wall, title, "#ws-title")
    shows(wall, BRACES, "#stage-title")

    # A phone joins: a hostile code first, then a hostile pseudonym and organisation. --------------
    phone = room.open("phone")
    phone.get_by_label("Code de l'atelier").fill("<b>pwn</b>")
    phone.get_by_role("button", name="Continuer").tap()
    phone.get_by_label("Votre pseudonyme").fill(IMG)
    with watch.tolerating(REFUSED_PAGE):
        phone.get_by_role("button", name="Entrer dans l'atelier").tap()
        expect(phone.locator(".notice.error")).to_contain_text("Ce code ne correspond à aucun atelier")
    # Sent back as typed, for a second try: as a value, not as markup.
    expect(phone.get_by_label("Code de l'atelier")).to_have_value("BPWNB")
    expect(phone.get_by_label("Votre pseudonyme")).to_have_value(IMG)
    inert(phone)
    phone.goto(room.url + "/")
    join(phone, code, IMG, RTL)
    shows(phone, IMG, ".me strong")
    shows(phone, title, "#ws-title")
    expect(fac.locator("#people .people li", has_text=IMG)).to_contain_text(RTL)

    # The shared diagnosis: a long contribution, a script, then an edit. ----------------------------
    for text in (long(280), SCRIPT):
        contribute(phone, "Emploi", "Besoin", "Expérience vécue", text)
    item = phone.locator(".dg-item", has=phone.locator(".dg-text", has_text=SCRIPT))
    item.locator("summary", has_text="Modifier").tap()
    item.get_by_label("Texte", exact=True).fill(OOB)
    item.get_by_role("button", name="Enregistrer").tap()
    settled(phone)
    for page in (phone, fac, wall):
        shows(page, long(280), ".dg-item .dg-text")
        shows(page, OOB, ".dg-item .dg-text")
        inert(page)

    # The map: hostile type lists, actors, a tie. ---------------------------------------------------
    show_board(fac, LINK)
    types = fac.locator(".sh-types-edit")
    types.get_by_text("Modifier les listes de types").click()
    actor_types = types.locator("textarea").first
    actor_types.fill(actor_types.input_value() + "\n<i onmouseover=alert('pwn')>type</i>")
    types.get_by_role("button", name="Enregistrer la liste").first.click()
    settled(fac)
    # Saving a list re-renders the map's tools, closed again.
    fac.locator(".sh-types-edit").get_by_text("Modifier les listes de types").click()
    tie_types = fac.locator(".sh-types-edit textarea").nth(1)
    tie_types.fill(tie_types.input_value() + "\n" + CMD)
    fac.locator(".sh-types-edit").get_by_role("button", name="Enregistrer la liste").nth(1).click()
    settled(fac)
    actors = (SCRIPT, IMG, LINK, FORMULA, RTL, long(80))
    add = phone.locator("form.sh-add")
    for name in actors:
        add.get_by_label("Ajouter une organisation ou un collectif").fill(name)
        add.get_by_label("Type", exact=True).select_option("<i onmouseover=alert('pwn')>type</i>")
        add.get_by_role("button", name="Ajouter l'acteur").tap()
        settled(phone)
    alternatives = phone.locator("details.sh-alt")
    alternatives.locator("summary").tap()
    link = alternatives.locator("form", has=phone.get_by_label("Premier acteur"))
    link.get_by_label("Premier acteur").select_option(label=SCRIPT)
    link.get_by_label("Second acteur").select_option(label=RTL)
    link.get_by_label("Type de coopération").select_option(CMD)
    link.get_by_role("button", name="Tracer le lien").tap()
    settled(phone)
    # Renamed from its panel, by the phone that added it.
    add.get_by_label("Ajouter une organisation ou un collectif").fill("À renommer")
    add.get_by_role("button", name="Ajouter l'acteur").tap()
    settled(phone)
    phone.locator(".sh-a", has_text="À renommer").tap()
    edit = phone.locator(".sh-panel details.sh-edit")
    edit.locator("summary").tap()
    edit.get_by_label("Nom").fill(BRACES)
    edit.get_by_role("button", name="Enregistrer").tap()
    settled(phone)
    phone.locator(".sh-panel").get_by_role("button", name="Fermer").tap()
    # A list of actors imported by the facilitator; a name already on the map is reported back.
    importer = fac.locator("form.sh-import")
    importer.get_by_label("Liste d'acteurs (CSV : nom ; type)").set_input_files(files=[{
        "name": "acteurs.csv", "mimeType": "text/csv",
        "buffer": f"nom;type\n{HTMX};association\n{CMD};association\n{SCRIPT};association\n".encode()}])
    importer.get_by_role("button", name="Importer").click()
    expect(fac.locator(".sh-io [role=status] .notice")).to_contain_text("2 acteurs importés")
    shows(fac, SCRIPT, ".sh-io [role=status] .notice .muted")
    actors = (*actors, BRACES, HTMX, CMD)
    for page in (phone, fac, wall):
        for name in actors:
            shows(page, name, ".sh-a")
        expect(page.locator(".sh-counts")).to_contain_text("1 lien")
        inert(page)
    room.shot(phone, "phone-hostile-map", full_page=True)

    # Brakes and levers: cards, a category, a cluster. -----------------------------------------------
    show_board(fac, HTMX)
    admin = fac.locator(".lv-admin")
    admin.get_by_text("Catégories", exact=True).click()
    admin.get_by_label("Nouvelle catégorie").fill(IMG)
    admin.get_by_role("button", name="Ajouter", exact=True).click()
    settled(fac)
    cards = (HTMX + " " + LINK, long(280))
    compose = phone.locator("form.lv-compose")
    for text in cards:
        compose.get_by_text("un frein", exact=True).tap()
        compose.get_by_label("Catégorie").select_option(label=IMG)
        compose.get_by_label("Votre carte").fill(text)
        compose.get_by_role("button", name="Ajouter la carte").tap()
        settled(phone)
    social = fac.locator(".lv-catlist li").filter(has=fac.locator('input[value="Social"]'))
    social.get_by_label("Nom de la catégorie").fill(BRACES[:40])
    social.get_by_role("button", name="Renommer").click()
    settled(fac)
    shows(phone, BRACES[:40], "form.lv-compose option")
    set_phase(fac, "Regroupement")
    groups = fac.locator(".lv-groups")
    for name in (OOB, "À renommer"):
        groups.get_by_label("Nouveau regroupement").fill(name)
        groups.get_by_role("button", name="Créer").click()
        settled(fac)
    second = groups.locator(".lv-clusters li").filter(has=fac.locator('input[value="À renommer"]'))
    second.get_by_label("Nom du regroupement").fill(SVG)
    second.get_by_role("button", name="Renommer").click()
    settled(fac)
    shows(fac, SVG, ".lv-groups .lv-cluster")
    for text in cards:
        card = fac.locator(".lv-field .lv-card").filter(has=fac.get_by_text(text, exact=True))
        card.get_by_label("Regroupement").select_option(label=OOB)
        card.get_by_role("button", name="Ranger").click()
        settled(fac)
    for page in (phone, fac, wall):
        for text in cards:
            shows(page, text, ".lv-text")
        # Cards sit under their cluster in this phase, each naming its category.
        shows(page, " · " + IMG, ".lv-catname")
        shows(page, OOB, ".lv-cluster")
        inert(page)

    # Indicators: the hostile library entry, and a hostile proposal. ---------------------------------
    show_board(fac, long(80))
    fac.get_by_role("button", name="Partir de la bibliothèque commune").click()
    fac.wait_for_url("**/animation")
    proposal = phone.locator(".ind-compose form")
    proposal.get_by_label("Nom de l'indicateur").fill(LINK + " " + JS)
    proposal.get_by_label("Définition").fill(SCRIPT + " " + BRACES + " " + RTL)
    proposal.get_by_text("Mesure et source des données").tap()
    proposal.get_by_label("Comment on le mesure").fill(FORMULA)
    proposal.get_by_label("D'où viennent les données").fill(IMG)
    proposal.get_by_role("button", name="Proposer").tap()
    settled(phone)
    mine = phone.locator(".ind-card", has_text=LINK)
    mine.locator(".tools summary", has_text="Modifier").tap()
    mine.get_by_label("Comment on le mesure").fill(CMD)
    mine.get_by_role("button", name="Enregistrer").tap()
    settled(phone)
    for page in (phone, fac, wall):
        shows(page, SCRIPT, ".ind-card h4")
        shows(page, LINK + " " + JS, ".ind-card h4")
        inert(page)
    for page in (phone, fac):
        card = page.locator(".ind-card", has_text=LINK)
        card.locator("details", has_text="Définition et mesure").locator("summary").first.click()
        shows(page, CMD, ".ind-about dd")
        shows(page, SCRIPT + " " + BRACES + " " + RTL, ".ind-about dd")

    # A wave, reviewed and exported. ----------------------------------------------------------------
    show_board(fac, LINK)
    fac.locator("#instantanes").get_by_label("Libellé de la vague").fill(OOB + " T0")
    fac.locator("#instantanes").get_by_role("button", name="Prendre l'instantané").click()
    fac.wait_for_url("**/animation?instantane=*")
    shows(fac, OOB + " T0", "#instantanes")
    inert(fac)
    coord.goto(room.url + "/coordination")
    shows(coord, FORMULA, "h2")
    shows(coord, title, "h3", exact=False)
    coord.get_by_role("link", name=OOB + " T0").click()
    analysed(coord)
    shows(coord, title + " — " + OOB + " T0", "h1")
    for text in (HTMX + " " + LINK, long(280)):
        shows(coord, text, "main li", exact=False)
    inert(coord)
    audit.basics(coord)
    files = download_all(coord, coord.locator("section.card .exports a"), room.artifacts / "t0")
    for name, ready in (("reseau.html", "#network canvas"), ("rapport.html", "h1")):
        context, page, file_watch = open_offline_html(room.browser, files[name], ready)
        try:
            shows(page, title if name == "rapport.html" else title + " — " + OOB + " T0", "h1")
            found = audit.injected(page, MARK)
            assert found == {"found": [], "ran": None}, found
            page.wait_for_timeout(300)
            file_watch.assert_clean()
        finally:
            context.close()

    actors_csv = files["acteurs.csv"].read_text(encoding="utf-8-sig")
    cells = {cell for row in csv.reader(io.StringIO(actors_csv)) for cell in row}
    assert "'" + FORMULA in cells and FORMULA not in cells
    assert SCRIPT in cells and RTL in cells and long(80) in cells
    workbook = load_workbook(files["classeur.xlsx"])
    formulas = [c.coordinate for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row
                if c.data_type == "f"]
    assert formulas == []
    watch.assert_clean()
