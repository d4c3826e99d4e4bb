"""The loops and the leverage candidates in plain French, for the room and for the reports.

The readers are the people of the workshop, not system dynamicists: a loop is told as the chain
of changes it carries ("plus de A, donc moins de B, donc ..."), and a leverage candidate by
what it is on, not by a score. Each sentence is built from catalogue messages through a
`gettext(message, **params)` the caller passes (the page's `_`, or French as written).
"""

from __future__ import annotations

from ..i18n import N_
from .loops import BALANCING, MINUS, REINFORCING, chain

KIND_LABELS = {REINFORCING: N_("Boucle de renforcement"), BALANCING: N_("Boucle d'équilibre")}
POLARITY_LABELS = {"+": N_("plus de A, plus de B"), MINUS: N_("plus de A, moins de B")}

EXPLANATIONS = {
    REINFORCING: N_("Une boucle de renforcement (R) amplifie ce qui s'y passe : un changement fait le tour "
                    "et revient plus fort, en cercle vertueux ou vicieux."),
    BALANCING: N_("Une boucle d'équilibre (B) freine ce qui s'y passe : un changement fait le tour et revient "
                  "en sens inverse, comme un thermostat qui ramène la température."),
    "delay": N_("Un lien avec délai agit après un temps : une boucle qui en contient réagit lentement, et une "
                "action peut sembler sans effet avant de porter."),
    "leverage_loops": N_("Facteurs présents sur le plus de boucles : agir sur l'un d'eux se répercute dans "
                         "plusieurs cercles à la fois."),
    "leverage_betweenness": N_("Facteurs par où passent le plus de chaînes de causes entre les autres : un "
                               "changement à cet endroit se propage loin sur la carte."),
    "no_crossing": N_("Aucun facteur ne se trouve sur plusieurs boucles à la fois."),
    "none": N_("Aucune boucle pour l'instant : une boucle se forme quand une chaîne de liens revient à son "
               "point de départ."),
    "truncated": N_("La carte contient plus de boucles que la liste n'en montre : seules les plus courtes sont "
                    "listées."),
}


def french(message: str, **params) -> str:
    return message % params if params else message


# Each sentence is a (message, parameters) pair: a page passes it to its own `_`, an export to
# `french`. A loop's sentence is made of several: its steps, their joint, and its ending.

def loop_phrases(loop: dict, names: dict) -> dict:
    steps = [(N_("plus de « %(name)s »") if up else N_("moins de « %(name)s »"), {"name": names.get(factor, "?")})
             for factor, up in chain(loop)]
    ending = (N_("la boucle se renforce, le changement revient plus fort.") if loop["kind"] == REINFORCING
              else N_("la boucle s'équilibre, le changement revient en sens inverse."))
    return {"steps": steps, "joint": N_(", donc "), "ending": ending, "frame": N_("%(path)s : %(ending)s")}


def sentence(loop: dict, names: dict, gettext=french) -> str:
    """"plus de « A », donc moins de « B », donc moins de « A » : la boucle s'équilibre, …"."""
    parts = loop_phrases(loop, names)
    path = gettext(parts["joint"]).join(gettext(message, **params) for message, params in parts["steps"])
    return gettext(parts["frame"], path=path, ending=gettext(parts["ending"]))


def on_loops(candidate: dict, total: int, name: str) -> tuple[str, dict]:
    if candidate["count"] == total:
        return N_("« %(name)s » se trouve sur toutes les boucles de la carte."), {"name": name}
    if candidate["count"] == 1:
        return N_("« %(name)s » se trouve sur une boucle."), {"name": name}
    return N_("« %(name)s » se trouve sur %(count)s boucles sur %(total)s."), {
        "name": name, "count": candidate["count"], "total": total}


def between(candidate: dict, name: str) -> tuple[str, dict]:
    percent = round(candidate["score"] * 100)
    if percent < 1:
        return N_("« %(name)s » se trouve sur quelques chaînes de causes entre les autres facteurs."), {"name": name}
    return N_("« %(name)s » se trouve sur %(percent)s %% des chaînes de causes les plus courtes entre "
              "les autres facteurs."), {"name": name, "percent": percent}
