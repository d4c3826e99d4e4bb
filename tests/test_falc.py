""""Facile à lire" (FALC): every message a participant, the facilitator or the screen shows has an
easy-to-read French version, and the catalogue's readability is measured, not asserted."""

import re
from pathlib import Path

import textstat
from babel.messages.pofile import read_po
from test_i18n import placeholders, source_messages

from server.i18n import translate

ROOT = Path(__file__).resolve().parent.parent
FALC = ROOT / "server/locale/falc/LC_MESSAGES/messages.po"
SOURCE = ROOT / "server/locale/en/LC_MESSAGES/messages.po"  # lists every msgid, in French
EXEMPT = "exempt:"
# Only these views may keep standard French: coordinators' review pages, reports and exports, the
# common indicator library and the workshop transfer. Participants, facilitators and the screen
# never see them.
COORDINATOR_ONLY = re.compile(
    r"^(templates/(review|exports)/|templates/library/(index|edit)\.html|exports/|server/(review|library|coordinator|transfer)\.py"
    r"|boards/indicators/library\.py)")
MAX_WORDS = 15
MIN_EASE = 70
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}|%%")
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
HOW_TO_ADD = ("add it at the end of server/locale/falc/LC_MESSAGES/messages.po with its easy-to-read "
              "msgstr (README, \"Facile à lire\")")


def falc():
    with FALC.open("rb") as handle:
        return read_po(handle, locale="fr@falc")


def forms(value) -> list[str]:
    return list(value) if isinstance(value, (tuple, list)) else [value]


def exemption(entry) -> str | None:
    """The reason an entry keeps standard French, if it does (a comment may run over several lines)."""
    text = " ".join(entry.user_comments).strip()
    return text[len(EXEMPT):].strip() if text.startswith(EXEMPT) else None


def translated(catalogue):
    """(French forms, FALC forms) of every message with an easy-to-read version."""
    return [(forms(m.id), forms(m.string)) for m in catalogue if m.id and all(forms(m.string))]


def sentences(text: str) -> list[str]:
    """One idea a line: each line, and each sentence in it, is a sentence."""
    return [s for line in text.splitlines() for s in SENTENCE_END.split(line.strip()) if s.strip()]


def words(sentence: str) -> int:
    return sum(1 for token in sentence.split() if re.search(r"\w", token))


def prose(texts) -> str:
    """Messages as running text for the readability formula: placeholders dropped, every line a
    sentence that ends with a full stop, so that labels do not run into one endless sentence."""
    lines = []
    for text in texts:
        for line in PLACEHOLDER.sub("", text).splitlines():
            line = line.strip().rstrip(",;:").strip()
            if re.search(r"\w", line):
                lines.append(line if re.search(r"[.!?…]$", line) else line + ".")
    return " ".join(lines)


def reading_ease(texts) -> float:
    """Flesch reading ease for French (Kandel and Moles' coefficients, as textstat applies them)."""
    textstat.set_lang("fr")
    return textstat.flesch_reading_ease(prose(texts))


def test_every_message_is_easy_to_read_or_exempt_with_a_reason():
    catalogue = falc()
    missing, broken, unexplained, exempt_but_seen = [], [], [], []
    for key, source in sorted(source_messages().items()):
        entry = catalogue.get(key)
        if entry is None or entry.fuzzy:
            missing.append(key)
            continue
        why = exemption(entry)
        texts = forms(entry.string)
        if why is not None:
            if any(texts) or not why:
                unexplained.append(key)
            if not all(COORDINATOR_ONLY.match(path) for path, _ in entry.locations):
                exempt_but_seen.append(key)
        elif not all(texts) or len(texts) != len(source):
            missing.append(key)
        elif any(placeholders(text) != placeholders(*source) for text in texts):
            broken.append(key)
    assert not missing, f"{len(missing)} messages without FALC; {HOW_TO_ADD}: {missing[:10]}"
    assert not broken, f"placeholders differ from the French: {broken[:10]}"
    assert not unexplained, f"an exempt entry has an empty msgstr and a reason: {unexplained[:10]}"
    assert not exempt_but_seen, f"shown outside coordinators' pages, so it cannot be exempt: {exempt_but_seen[:10]}"


# The same word for the same thing: the standard interface's word -> the word FALC uses instead
# (README, "Facile à lire"). "valeur", never "utilité", is a tie's second rating.
PLAIN_WORDS = {
    r"animation": "la personne qui anime", r"phases?": "étape", r"projection": "grand écran",
    r"instantanés?": "vague", r"pseudonymes?": "surnom", r"catégories?": "famille",
    r"regroupements?": "groupe de cartes", r"référentiels?": "liste des indicateurs",
    r"dimensions?": "domaine", r"facteurs?": "chose importante", r"capitaines?": "chef de table",
    r"consentement": "se mettre d'accord", r"réserves?": "doute", r"objections?": "contre",
    r"utilité": "valeur", r"supprim\w*": "effacer", r"modifi\w*": "changer", r"masqu\w*": "cacher",
    r"dévoil\w*": "montrer", r"verrouill\w*": "fermer", r"contributions?": "idée",
    r"priorisation": "choisir", r"cartographie": "carte des acteurs", r"saisi\w*": "écrire",
}
# The facilitator's name in the people panel, as a workshop created in FALC stores it.
NAMES = {"Animation"}


def test_the_same_word_for_the_same_thing():
    found = []
    for entry in falc():
        if not entry.id or entry.id in NAMES:
            continue
        for text in forms(entry.string):
            for word, plain in PLAIN_WORDS.items():
                if text and re.search(rf"\b{word}\b", text, re.IGNORECASE):
                    found.append((text, f"write « {plain} »"))
    assert not found, found[:10]


def test_catalogue_lists_no_message_the_code_no_longer_has():
    stale = sorted({m.id if isinstance(m.id, str) else m.id[0] for m in falc() if m.id}
                   - set(source_messages()))
    assert not stale, f"FALC entries for messages gone from the code: {stale[:10]}"


def test_falc_reads_easier_than_french_with_short_sentences():
    french = read_po(SOURCE.open("rb"), locale="en")
    catalogue = falc()
    pairs = translated(catalogue)
    too_long = [(words(s), s) for _, texts in pairs for text in texts for s in sentences(text)
                if words(s) > MAX_WORDS]
    ease_falc = reading_ease(text for _, texts in pairs for text in texts)
    ease_french = reading_ease(text for m in french if m.id for text in forms(m.id))
    print(f"\nFlesch reading ease (Kandel-Moles): FALC {ease_falc:.1f}, French catalogue {ease_french:.1f}")
    assert not too_long, f"FALC sentences over {MAX_WORDS} words: {sorted(too_long, reverse=True)[:10]}"
    assert ease_falc >= MIN_EASE, f"FALC reading ease {ease_falc:.1f} < {MIN_EASE}"
    assert ease_falc > ease_french, (ease_falc, ease_french)


def test_the_measures_catch_hard_text():
    """The bounds bite: a long sentence is counted as such, and administrative French scores low."""
    hard = ("Les contributions individuelles préalablement dévoilées seront consolidées par "
            "l'animation conformément aux modalités de priorisation collectivement déterminées.")
    assert words(hard) > MAX_WORDS // 2 and len(sentences("Une idée.\nUne autre idée. Et une autre !")) == 3
    assert reading_ease([hard]) < MIN_EASE < reading_ease(["Écrivez 1 idée par carte.", "Votez."])


def test_a_coordinator_may_read_the_report_in_easy_to_read_french():
    """Numbers are written as in French; the figures' explanations are plain; the report's own
    headings, for coordinators only, stay in standard French."""
    import exports
    from boards.network import analyse
    from exports.templating import number, percent
    from test_exports import make_wave

    assert (number(1234.5, 1, "falc"), percent(0.222, 1, "falc")) == (number(1234.5, 1, "fr"),
                                                                      percent(0.222, 1, "fr"))
    snapshot = make_wave()
    page = exports.report_html(snapshot, analyse(snapshot), locale="falc")
    assert '<html lang="fr">' in page
    assert "La part des liens possibles qui existent vraiment." in page
    assert "Part des coopérations possibles" not in page
    assert "Le réseau en chiffres" in page  # exempt


def test_pages_switch_to_easy_to_read(server):
    import httpx

    with httpx.Client(base_url=server.url, headers={"Accept-Language": "fr-FR"}) as browser:
        home = browser.get("/").text
        assert "/langue/falc?next=" in home and "Facile à lire" in home
        switched = browser.get("/langue/falc?next=/rejoindre")
        assert switched.status_code == 303 and switched.cookies.get("lang") == "falc"
        page = browser.get("/rejoindre").text
        # French for screen readers and speech synthesis, in the easy-to-read words.
        assert '<html lang="fr" class="falc">' in page
        assert "Entrer dans un atelier" in page and "Rejoindre un atelier" not in page
