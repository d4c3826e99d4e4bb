"""decide and apply for the shared diagnosis (the carrying of a wave is in carry.py).

Everyone writes while the board collects; the room then places dots on needs. Items carried from
an earlier wave belong to the room, not to whoever carried them: only the facilitator updates,
keeps or closes them, and none is deleted, so its history stays whole.
"""

from __future__ import annotations

from ..errors import Rejected
from ..i18n import N_
from ..levers import view as levers_view
from ..model import Actor, Board, Workshop, new_id
from . import actions as a
from . import carry
from .view import revealed_cards
from .model import Item, Theme

ITEMS_PER_PERSON = 60
THEMES_MAX = 20


def item_of(board: Board, item_id: str) -> Item:
    item = board.data.items.get(item_id)
    if item is None:
        raise Rejected(N_("Cet élément n'existe plus."))
    return item


def theme_of(board: Board, theme_id: str) -> Theme:
    theme = board.data.themes.get(theme_id)
    if theme is None:
        raise Rejected(N_("Ce thème n'existe plus."))
    return theme


def _links(ws: Workshop, act) -> tuple[list[str], list[str]]:
    if act.actors:
        known = levers_view.known_actors(ws)
        if any(actor_id not in known for actor_id in act.actors):
            raise Rejected(N_("Cet acteur ne figure pas dans la cartographie."))
    if act.cards:
        cards = revealed_cards(ws)
        if any(card_id not in cards for card_id in act.cards):
            raise Rejected(N_("Cette carte ne figure pas parmi les freins et leviers dévoilés."))
    return list(act.actors), list(act.cards)


def _writable(board: Board, actor: Actor) -> None:
    if board.phase != "collect" and not actor.is_facilitator:
        raise Rejected(N_("Les contributions au diagnostic sont fermées."))


def _mine(board: Board, actor: Actor, item: Item) -> None:
    if item.carried and not actor.is_facilitator:
        raise Rejected(N_("Seule l'animation met à jour un élément repris d'une vague précédente."))
    if item.author != actor.participant and not actor.is_facilitator:
        raise Rejected(N_("Vous ne pouvez modifier que vos propres contributions."))


def _add(ws, board, actor, act: a.AddItem):
    _writable(board, actor)
    theme_of(board, act.theme)
    actors, cards = _links(ws, act)
    if len(board.data.by_author(actor.participant)) >= ITEMS_PER_PERSON:
        raise Rejected(N_("Vous avez écrit le nombre maximal de contributions (%(max)s)."), max=ITEMS_PER_PERSON)
    item_id = new_id(ws, "d")
    return [{"type": "diagnosis.added", "board": board.id, "item": item_id, "ref": f"{ws.id}-{item_id}",
             "author": actor.participant, "theme": act.theme, "nature": act.nature, "source": act.source,
             "text": act.text, "actors": actors, "cards": cards, "signed": not board.data.anonymous}]


def _edit(ws, board, actor, act: a.EditItem):
    _writable(board, actor)
    item = item_of(board, act.item)
    _mine(board, actor, item)
    theme_of(board, act.theme)
    actors, cards = _links(ws, act)
    if (item.theme, item.nature, item.source, item.text, item.actors, item.cards) == \
            (act.theme, act.nature, act.source, act.text, actors, cards):
        return []
    return [{"type": "diagnosis.edited", "board": board.id, "item": item.id, "theme": act.theme,
             "nature": act.nature, "source": act.source, "text": act.text, "actors": actors, "cards": cards}]


def _delete(ws, board, actor, act: a.DeleteItem):
    _writable(board, actor)
    item = item_of(board, act.item)
    if item.carried:
        raise Rejected(N_("Un élément repris d'une vague précédente ne se supprime pas : fermez-le, "
                          "son histoire reste."))
    _mine(board, actor, item)
    return [{"type": "diagnosis.deleted", "board": board.id, "item": item.id}]


def _review(ws, board, actor, act: a.ReviewItem):
    item = item_of(board, act.item)
    if not item.carried:
        raise Rejected(N_("Seuls les éléments repris d'une vague précédente se maintiennent ou se ferment."))
    if item.status == act.status:
        return []
    return [{"type": "diagnosis.reviewed", "board": board.id, "item": item.id, "status": act.status}]


def _hide(ws, board, actor, act: a.HideItem):
    item = item_of(board, act.item)
    if item.hidden == act.hidden:
        return []
    return [{"type": "diagnosis.hidden", "board": board.id, "item": item.id, "hidden": act.hidden}]


def _dot(ws, board, actor, act: a.Dot):
    data = board.data
    if board.phase != "prioritise":
        raise Rejected(N_("La priorisation des besoins n'est pas ouverte."))
    if actor.is_facilitator:
        raise Rejected(N_("L'animation ne vote pas ; pour une personne sans téléphone, saisissez depuis sa page."))
    item = item_of(board, act.item)
    if item.hidden:
        raise Rejected(N_("Cet élément n'existe plus."))
    mine = data.mine(actor.participant)
    if not act.on:
        if item.id not in mine:
            return []
        return [{"type": "diagnosis.undotted", "board": board.id, "item": item.id, "voter": actor.participant}]
    if item.nature != "need":
        raise Rejected(N_("Seuls les besoins se priorisent."))
    if item.status == "closed":
        raise Rejected(N_("Ce besoin est fermé : il ne se priorise plus."))
    if item.id in mine:
        return []
    if len(mine) >= data.budget:
        raise Rejected(N_("Vous avez déjà placé tous vos points (%(budget)s)."), budget=data.budget)
    return [{"type": "diagnosis.dotted", "board": board.id, "item": item.id, "voter": actor.participant}]


def _add_theme(ws, board, actor, act: a.AddTheme):
    themes = board.data.themes
    if len(themes) >= THEMES_MAX:
        raise Rejected(N_("Trop de thèmes sur ce tableau (%(max)s au plus)."), max=THEMES_MAX)
    if any(t.label.casefold() == act.label.casefold() for t in themes.values()):
        raise Rejected(N_("Ce thème existe déjà."))
    return [{"type": "diagnosis.theme.added", "board": board.id, "theme": new_id(ws, "t"), "label": act.label}]


def _rename_theme(ws, board, actor, act: a.RenameTheme):
    theme = theme_of(board, act.theme)
    if theme.custom and theme.label == act.label:
        return []
    return [{"type": "diagnosis.theme.renamed", "board": board.id, "theme": theme.id, "label": act.label}]


def _remove_theme(ws, board, actor, act: a.RemoveTheme):
    theme = theme_of(board, act.theme)
    if any(i.theme == theme.id for i in board.data.items.values()):
        raise Rejected(N_("Des contributions portent ce thème : rangez-les ailleurs avant de le retirer."))
    if len(board.data.themes) == 1:
        raise Rejected(N_("Il faut garder au moins un thème."))
    return [{"type": "diagnosis.theme.removed", "board": board.id, "theme": theme.id}]


def _settings(ws, board, actor, act: a.Settings):
    data = board.data
    spent = max((len(mine) for mine in data.votes.values()), default=0)
    if act.budget < spent:
        raise Rejected(N_("Une personne a déjà placé %(spent)s points : le budget ne peut pas descendre "
                          "en dessous."), spent=spent)
    if (data.budget, data.anonymous) == (act.budget, act.anonymous):
        return []
    return [{"type": "diagnosis.settings", "board": board.id, "budget": act.budget, "anonymous": act.anonymous}]


_DECIDE = {a.AddItem: _add, a.EditItem: _edit, a.DeleteItem: _delete, a.ReviewItem: _review,
           a.HideItem: _hide, a.Dot: _dot, a.AddTheme: _add_theme, a.RenameTheme: _rename_theme,
           a.RemoveTheme: _remove_theme, a.Settings: _settings}


def decide(ws: Workshop, board: Board, actor: Actor, act) -> list[dict]:
    if board.phase == "locked":
        raise Rejected(N_("Ce tableau est verrouillé."))
    return _DECIDE[type(act)](ws, board, actor, act)


# Apply --------------------------------------------------------------------------------------------

def _added(board, e):
    board.data.items[e["item"]] = Item(e["item"], e["ref"], e["author"], e["theme"], e["nature"], e["source"],
                                       e["text"], list(e["actors"]), list(e["cards"]), e["signed"], order=e["seq"] * 1000)


def _edited(board, e):
    item = board.data.items[e["item"]]
    item.theme, item.nature, item.source, item.text = e["theme"], e["nature"], e["source"], e["text"]
    item.actors, item.cards = list(e["actors"]), list(e["cards"])
    if item.carried:
        item.status = "updated"
    if item.nature != "need":
        board.data.unvote(item.id)


def _deleted(board, e):
    del board.data.items[e["item"]]
    board.data.unvote(e["item"])


def _reviewed(board, e):
    board.data.items[e["item"]].status = e["status"]
    if e["status"] == "closed":
        board.data.unvote(e["item"])


def _hidden(board, e):
    board.data.items[e["item"]].hidden = e["hidden"]
    if e["hidden"]:
        board.data.unvote(e["item"])


def _dotted(board, e):
    data = board.data
    data.votes.setdefault(e["voter"], []).append(e["item"])
    data.totals[e["item"]] = data.totals.get(e["item"], 0) + 1


def _undotted(board, e):
    data = board.data
    data.votes[e["voter"]].remove(e["item"])
    if not data.votes[e["voter"]]:
        del data.votes[e["voter"]]
    data.totals[e["item"]] -= 1
    if not data.totals[e["item"]]:
        del data.totals[e["item"]]


def _theme_added(board, e):
    board.data.themes[e["theme"]] = Theme(e["theme"], e["label"], custom=True)


def _theme_renamed(board, e):
    theme = board.data.themes[e["theme"]]
    theme.label, theme.custom = e["label"], True


def _theme_removed(board, e):
    del board.data.themes[e["theme"]]


def _settings_set(board, e):
    board.data.budget, board.data.anonymous = e["budget"], e["anonymous"]


APPLY = {"diagnosis.added": _added, "diagnosis.edited": _edited, "diagnosis.deleted": _deleted,
         "diagnosis.reviewed": _reviewed, "diagnosis.hidden": _hidden, "diagnosis.dotted": _dotted,
         "diagnosis.undotted": _undotted, "diagnosis.theme.added": _theme_added,
         "diagnosis.theme.renamed": _theme_renamed, "diagnosis.theme.removed": _theme_removed,
         "diagnosis.settings": _settings_set, "diagnosis.carried": carry.carried}
