"""Grouping on the brakes and levers board: the category list, named clusters, merged duplicates.

All of it is the facilitator's. Cards can only be grouped or merged once they are revealed: before
that, nobody but their author has read them.
"""

from __future__ import annotations

from ..actions import Ident, Text, action, spec
from ..errors import Rejected
from ..i18n import N_
from .model import Card, Category, Cluster, LeversData
from .votes import move_votes
from ..model import Actor, Board, Workshop, new_id

CATEGORIES_MAX = 20
CLUSTERS_MAX = 40
LABEL_MAX = 40
CLUSTER_NAME_MAX = 60


@action("levers.category.add", facilitator_only=True)
class AddCategory:
    board: str = spec(Ident())
    label: str = spec(Text(LABEL_MAX))


@action("levers.category.rename", facilitator_only=True)
class RenameCategory:
    board: str = spec(Ident())
    category: str = spec(Ident())
    label: str = spec(Text(LABEL_MAX))


@action("levers.category.remove", facilitator_only=True)
class RemoveCategory:
    board: str = spec(Ident())
    category: str = spec(Ident())


@action("cluster.add", facilitator_only=True)
class AddCluster:
    board: str = spec(Ident())
    name: str = spec(Text(CLUSTER_NAME_MAX))


@action("cluster.rename", facilitator_only=True)
class RenameCluster:
    board: str = spec(Ident())
    cluster: str = spec(Ident())
    name: str = spec(Text(CLUSTER_NAME_MAX))


@action("cluster.remove", facilitator_only=True)
class RemoveCluster:
    board: str = spec(Ident())
    cluster: str = spec(Ident())


@action("card.group", facilitator_only=True)
class GroupCard:
    board: str = spec(Ident())
    card: str = spec(Ident())
    # Empty: take the card out of its cluster.
    cluster: str = spec(Ident(), default="")


@action("card.merge", facilitator_only=True)
class MergeCard:
    board: str = spec(Ident())
    card: str = spec(Ident())
    keep: str = spec(Ident())


ACTIONS = {AddCategory, RenameCategory, RemoveCategory, AddCluster, RenameCluster, RemoveCluster,
           GroupCard, MergeCard}


def category_of(data: LeversData, category_id: str) -> Category:
    category = data.categories.get(category_id)
    if category is None:
        raise Rejected(N_("Cette catégorie n'existe pas."))
    return category


def _cluster(data: LeversData, cluster_id: str) -> Cluster:
    cluster = data.clusters.get(cluster_id)
    if cluster is None:
        raise Rejected(N_("Ce regroupement n'existe plus."))
    return cluster


def _card(data: LeversData, card_id: str) -> Card:
    card = data.cards.get(card_id)
    if card is None:
        raise Rejected(N_("Cette carte n'existe plus."))
    return card


def _label_free(data: LeversData, label: str, keep: str | None = None) -> None:
    if any(c.label.casefold() == label.casefold() for c in data.categories.values() if c.id != keep):
        raise Rejected(N_("Cette catégorie existe déjà."))


def _revealed(board: Board) -> None:
    if board.phase == "write":
        raise Rejected(N_("Les cartes sont encore privées : dévoilez-les avant de les regrouper."))


def _add_category(ws: Workshop, board: Board, act: AddCategory) -> list[dict]:
    if len(board.data.categories) >= CATEGORIES_MAX:
        raise Rejected(N_("Pas plus de %(max)s catégories."), max=CATEGORIES_MAX)
    _label_free(board.data, act.label)
    return [{"type": "levers.category.added", "board": board.id, "category": new_id(ws, "k"), "label": act.label}]


def _rename_category(ws: Workshop, board: Board, act: RenameCategory) -> list[dict]:
    category = category_of(board.data, act.category)
    if category.custom and category.label == act.label:
        return []
    _label_free(board.data, act.label, keep=category.id)
    return [{"type": "levers.category.renamed", "board": board.id, "category": category.id, "label": act.label}]


def _remove_category(ws: Workshop, board: Board, act: RemoveCategory) -> list[dict]:
    data = board.data
    category = category_of(data, act.category)
    if any(c.category == category.id for c in data.cards.values()):
        raise Rejected(N_("Des cartes sont rangées dans cette catégorie : déplacez-les d'abord."))
    if len(data.categories) == 1:
        raise Rejected(N_("Il faut garder au moins une catégorie."))
    return [{"type": "levers.category.removed", "board": board.id, "category": category.id}]


def _add_cluster(ws: Workshop, board: Board, act: AddCluster) -> list[dict]:
    if len(board.data.clusters) >= CLUSTERS_MAX:
        raise Rejected(N_("Pas plus de %(max)s regroupements."), max=CLUSTERS_MAX)
    return [{"type": "cluster.added", "board": board.id, "cluster": new_id(ws, "g"), "name": act.name}]


def _rename_cluster(ws: Workshop, board: Board, act: RenameCluster) -> list[dict]:
    cluster = _cluster(board.data, act.cluster)
    return [] if cluster.name == act.name else [
        {"type": "cluster.renamed", "board": board.id, "cluster": cluster.id, "name": act.name}]


def _remove_cluster(ws: Workshop, board: Board, act: RemoveCluster) -> list[dict]:
    cluster = _cluster(board.data, act.cluster)
    return [{"type": "cluster.removed", "board": board.id, "cluster": cluster.id}]


def _group(ws: Workshop, board: Board, act: GroupCard) -> list[dict]:
    _revealed(board)
    card = _card(board.data, act.card)
    target = _cluster(board.data, act.cluster).id if act.cluster else None
    return [] if card.cluster == target else [
        {"type": "card.grouped", "board": board.id, "card": card.id, "cluster": target}]


def _merge(ws: Workshop, board: Board, act: MergeCard) -> list[dict]:
    _revealed(board)
    card, into = _card(board.data, act.card), _card(board.data, act.keep)
    if card.id == into.id:
        raise Rejected(N_("Choisissez deux cartes différentes."))
    if card.side != into.side:
        raise Rejected(N_("Un frein ne se fusionne qu'avec un frein, un levier qu'avec un levier."))
    return [{"type": "card.merged", "board": board.id, "card": card.id, "into": into.id}]


_DECIDE = {AddCategory: _add_category, RenameCategory: _rename_category, RemoveCategory: _remove_category,
           AddCluster: _add_cluster, RenameCluster: _rename_cluster, RemoveCluster: _remove_cluster,
           GroupCard: _group, MergeCard: _merge}


def decide(ws: Workshop, board: Board, actor: Actor, act) -> list[dict]:
    return _DECIDE[type(act)](ws, board, act)


def _category_added(board: Board, e: dict) -> None:
    board.data.categories[e["category"]] = Category(e["category"], e["label"], custom=True)


def _category_renamed(board: Board, e: dict) -> None:
    category = board.data.categories[e["category"]]
    category.label, category.custom = e["label"], True


def _category_removed(board: Board, e: dict) -> None:
    del board.data.categories[e["category"]]


def _cluster_added(board: Board, e: dict) -> None:
    board.data.clusters[e["cluster"]] = Cluster(e["cluster"], e["name"], e["seq"])


def _cluster_renamed(board: Board, e: dict) -> None:
    board.data.clusters[e["cluster"]].name = e["name"]


def _cluster_removed(board: Board, e: dict) -> None:
    del board.data.clusters[e["cluster"]]
    for card in board.data.cards.values():
        if card.cluster == e["cluster"]:
            card.cluster = None


def _grouped(board: Board, e: dict) -> None:
    board.data.cards[e["card"]].cluster = e["cluster"]


def _merged(board: Board, e: dict) -> None:
    """The duplicate disappears into the card kept: its dots (see move_votes), its actors, its
    wording (kept as "also said"), and its cluster if the card kept had none."""
    data = board.data
    source, target = data.cards.pop(e["card"]), data.cards[e["into"]]
    target.actors += [a for a in source.actors if a not in target.actors]
    target.merged += [source.text, *source.merged]
    target.cluster = target.cluster or source.cluster
    move_votes(data, source.id, target.id)


APPLY = {"levers.category.added": _category_added, "levers.category.renamed": _category_renamed,
         "levers.category.removed": _category_removed, "cluster.added": _cluster_added,
         "cluster.renamed": _cluster_renamed, "cluster.removed": _cluster_removed,
         "card.grouped": _grouped, "card.merged": _merged}
