"""Marks user-facing text in the core without translating it.

The core stays free of Babel: it returns French source strings (the catalogue's
message ids) and their parameters, and the shell translates them for each
reader's language at render time.
"""


def N_(message: str) -> str:
    return message


# French names of the fields a message may carry, for error messages; kinds add theirs.
FIELD_LABELS = {
    "text": N_("texte"),
    "title": N_("titre"),
    "name": N_("nom"),
    "organisation": N_("organisation"),
    "board": N_("tableau"),
    "note": N_("note"),
    "kind": N_("type de tableau"),
    "phase": N_("phase"),
    "participant": N_("participant"),
    "hidden": N_("masquée"),
    "locked": N_("verrouillé"),
}


def label_fields(labels: dict[str, str]) -> None:
    """A kind's labels for the fields of its actions. Field names are shared by every kind: a name
    another kind labelled first keeps its label."""
    for name, label in labels.items():
        FIELD_LABELS.setdefault(name, label)
