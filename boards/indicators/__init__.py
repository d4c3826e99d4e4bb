"""The "référentiel d'indicateurs" board: choose the indicators of cooperation, then rate them.

The board starts from the common library (and, in a later workshop of the same
territory, from the framework the previous wave adopted): the shell puts that
content in one `indicators.seeded` event, so the board replays without the
library at hand. The group adds its own indicators, spends a budget of dots or
100 points on the candidates, the facilitator adopts a framework (numbered
versions), and everyone rates each adopted indicator on 1–5 or "je ne sais pas".
"""

from __future__ import annotations

from . import library
from . import stats
from ..errors import Rejected
from ..i18n import N_
from .actions import (CANDIDATES_MAX, Allocate, Choose, Dot, Edit, Hide, Propose, Publish, Rate,
                      Seed, SetMode, Spotlight, Withdraw)
# KIND and the carry-over helpers are part of this kind's public face, used by the shell.
from .data import (KIND, POINTS_BUDGET, TEXT_FIELDS, Indicator, IndicatorsData, Version,  # noqa: F401
                             carry_over, previous_wave)
from ..model import Actor, Board, Workshop, new_id

TITLE = N_("Référentiel d'indicateurs")
PHASES = ("propose", "prioritise", "reveal", "choose", "rate", "locked")
PHASE_LABELS = {
    "propose": N_("Propositions"),
    "prioritise": N_("Priorisation"),
    "reveal": N_("Classement dévoilé"),
    "choose": N_("Choix du référentiel"),
    "rate": N_("Baromètre"),
    "locked": N_("Tableau fermé"),
}
PHASE_HINTS = {
    "propose": N_("Parcourez les indicateurs communs et proposez ceux qui manquent pour votre territoire."),
    "prioritise": N_("Répartissez votre budget sur les indicateurs qui comptent le plus pour vous."),
    "reveal": N_("Le classement est affiché ; vous pouvez encore ajuster votre répartition."),
    "choose": N_("L'animation retient les indicateurs du référentiel."),
    "rate": N_("Pour chaque indicateur retenu : où en est le territoire aujourd'hui ?"),
    "locked": N_("Le tableau est fermé : regardez et discutez."),
}
ALLOCATING = ("prioritise", "reveal")
PROPOSALS_PER_PERSON = 20
# Events that change what a participant sees in their own panel (their budget, their answers).
# Each phone shows its own dots, points and answers: whole-stage renders are made per reader.
READER_SPECIFIC = True
PERSONAL_EVENTS = {"indicators.seeded", "indicator.proposed", "indicator.edited", "indicator.withdrawn",
                   "indicator.hidden", "indicators.mode_set", "indicators.allocated", "indicators.published",
                   "indicator.rated"}
# Personal events that change one reader's panel only, by the event field naming that reader.
PERSONAL_TO = {"indicators.allocated": "participant", "indicator.rated": "participant"}
# People events this board answers in its delta macro, for the shell to pass on when the board is
# on screen: a removed person's dots, points and answers stop counting (ranking, baromètre, counts).
# A join changes nothing this board shows: it counts those who took part, not those present.
PEOPLE_EVENTS = frozenset({"participant.removed", "participant.renamed"})

ACTIONS = {Propose, Edit, Withdraw, Hide, SetMode, Dot, Allocate, Choose, Publish, Rate, Seed, Spotlight}


def new_data() -> IndicatorsData:
    return IndicatorsData()


# Decisions -------------------------------------------------------------------

def _visible(data: IndicatorsData, indicator_id: str) -> Indicator:
    found = data.visible(indicator_id)
    if found is None:
        raise Rejected(N_("Cet indicateur n'existe pas ou a été retiré."))
    return found


def _in_phase(board: Board, phases: tuple[str, ...], message: str) -> None:
    if board.phase not in phases:
        raise Rejected(message)


def _proposals_open(board: Board, actor: Actor) -> None:
    # The facilitator may still add or reword a proposal later, e.g. to merge two of them.
    if board.phase != "propose" and not (actor.is_facilitator and board.phase != "locked"):
        raise Rejected(N_("Les propositions sont closes."))


def _texts(data: IndicatorsData, act, own_id: str | None = None) -> dict:
    if act.dimension and act.dimension not in data.dimension_names():
        raise Rejected(N_("Cette dimension n'existe pas sur ce tableau."))
    folded = library.fold(act.name)
    for other in data.candidates():
        if other.id != own_id and library.fold(other.name) == folded:
            raise Rejected(N_("Un indicateur porte déjà ce nom : « %(name)s »."), name=other.name)
    return {key: getattr(act, "data_source" if key == "source" else key) for key in TEXT_FIELDS}


def _editable(data: IndicatorsData, board: Board, actor: Actor, indicator_id: str) -> Indicator:
    found = data.indicators.get(indicator_id)
    if found is None:
        raise Rejected(N_("Cet indicateur n'existe pas ou a été retiré."))
    if found.common:
        raise Rejected(N_("Les indicateurs communs se modifient dans la bibliothèque de la coordination."))
    if not actor.is_facilitator:
        if found.author != actor.participant:
            raise Rejected(N_("Vous ne pouvez modifier que vos propres propositions."))
        _proposals_open(board, actor)
    return found


def _allocation(data: IndicatorsData, head: dict, actor: Actor, allocation: dict[str, int]) -> list[dict]:
    total = sum(allocation.values())
    if total > data.budget_total:
        if data.mode == "dots":
            raise Rejected(N_("Vous avez placé %(total)s gommettes pour %(budget)s disponibles."),
                           total=total, budget=data.budget_total)
        raise Rejected(N_("Vous avez réparti %(total)s points pour %(budget)s disponibles."),
                       total=total, budget=data.budget_total)
    if allocation == data.allocations.get(actor.participant, {}):
        return []
    return [{"type": "indicators.allocated", **head, "participant": actor.participant, "allocation": allocation}]


def decide(ws: Workshop, board: Board, actor: Actor, act) -> list[dict]:
    data: IndicatorsData = board.data
    head = {"board": board.id}
    if isinstance(act, Seed):
        return _seed(data, head, act)
    if isinstance(act, Propose):
        _proposals_open(board, actor)
        if len(data.indicators) >= CANDIDATES_MAX:
            raise Rejected(N_("Ce tableau a atteint le nombre maximal d'indicateurs."))
        if sum(1 for i in data.indicators.values() if i.author == actor.participant) >= PROPOSALS_PER_PERSON:
            raise Rejected(N_("Vous avez atteint le nombre maximal de propositions."))
        texts = _texts(data, act)
        return [{"type": "indicator.proposed", **head, "indicator": new_id(ws, f"T{ws.id}n"),
                 "author": actor.participant, **texts}]
    if isinstance(act, Edit):
        found = _editable(data, board, actor, act.indicator)
        texts = _texts(data, act, found.id)
        if texts == {key: getattr(found, key) for key in TEXT_FIELDS}:
            return []
        return [{"type": "indicator.edited", **head, "indicator": found.id, **texts}]
    if isinstance(act, Withdraw):
        found = _editable(data, board, actor, act.indicator)
        if found.author is None:
            raise Rejected(N_("Seules les propositions faites dans cet atelier peuvent être retirées."))
        if any(found.id in v.ids for v in data.versions):
            raise Rejected(N_("Cet indicateur fait partie d'un référentiel adopté : masquez-le plutôt."))
        return [{"type": "indicator.withdrawn", **head, "indicator": found.id}]
    if isinstance(act, Hide):
        found = data.indicators.get(act.indicator)
        if found is None:
            raise Rejected(N_("Cet indicateur n'existe pas ou a été retiré."))
        if act.hidden and found.id in data.framework_ids():
            raise Rejected(N_("Cet indicateur fait partie du référentiel adopté : retirez-le d'abord du "
                              "référentiel."))
        return [] if found.hidden == act.hidden else [
            {"type": "indicator.hidden", **head, "indicator": found.id, "hidden": act.hidden}]
    if isinstance(act, SetMode):
        budget = act.budget if act.mode == "dots" else POINTS_BUDGET
        if (data.mode, data.budget) == (act.mode, budget):
            return []
        return [{"type": "indicators.mode_set", **head, "mode": act.mode, "budget": budget}]
    if isinstance(act, Dot):
        _in_phase(board, ALLOCATING, N_("La priorisation n'est pas ouverte."))
        if data.mode != "dots":
            raise Rejected(N_("Cette priorisation se fait en 100 points : utilisez le formulaire de répartition."))
        found = _visible(data, act.indicator)
        allocation = dict(data.allocations.get(actor.participant, {}))
        if act.add:
            if data.spent(actor.participant) >= data.budget_total:
                raise Rejected(N_("Vous avez placé toutes vos gommettes (%(budget)s) : retirez-en une pour "
                                  "la déplacer."), budget=data.budget_total)
            allocation[found.id] = allocation.get(found.id, 0) + 1
        else:
            if not allocation.get(found.id):
                raise Rejected(N_("Vous n'avez pas de gommette sur cet indicateur."))
            allocation[found.id] -= 1
        return _allocation(data, head, actor, {k: v for k, v in allocation.items() if v})
    if isinstance(act, Allocate):
        _in_phase(board, ALLOCATING, N_("La priorisation n'est pas ouverte."))
        if len(act.indicator) != len(act.points):
            raise Rejected(N_("Répartition incomplète : chaque indicateur doit avoir son nombre de points."))
        if len(set(act.indicator)) != len(act.indicator):
            raise Rejected(N_("Un indicateur apparaît deux fois dans la répartition."))
        for indicator_id in act.indicator:
            _visible(data, indicator_id)
        allocation = {key: n for key, n in zip(act.indicator, act.points) if n}
        return _allocation(data, head, actor, allocation)
    if isinstance(act, Choose):
        found = _visible(data, act.indicator)
        return [] if found.chosen == act.chosen else [
            {"type": "indicator.chosen", **head, "indicator": found.id, "chosen": act.chosen}]
    if isinstance(act, Publish):
        ids = [i.id for i in data.marked()]
        if not ids:
            raise Rejected(N_("Retenez au moins un indicateur avant d'adopter le référentiel."))
        if tuple(ids) == data.framework_ids():
            raise Rejected(N_("Ce référentiel est déjà adopté (version %(number)s)."), number=data.version())
        number = max((v.number for v in data.versions), default=0) + 1
        return [{"type": "indicators.published", **head, "number": number, "ids": ids}]
    if isinstance(act, Spotlight):
        if act.indicator and (act.indicator not in data.framework_ids() or data.visible(act.indicator) is None):
            raise Rejected(N_("Cet indicateur ne fait pas partie du référentiel adopté."))
        target = act.indicator or None
        return [] if data.spotlight == target else [{"type": "indicator.spotlit", **head, "indicator": target}]
    if isinstance(act, Rate):
        if board.phase != "rate":
            raise Rejected(N_("Le baromètre n'est pas ouvert."))
        if act.indicator not in data.framework_ids() or data.visible(act.indicator) is None:
            raise Rejected(N_("Cet indicateur ne fait pas partie du référentiel adopté."))
        if data.rating(actor.participant, act.indicator) == act.value:
            return []
        return [{"type": "indicator.rated", **head, "participant": actor.participant,
                 "indicator": act.indicator, "value": act.value}]
    raise Rejected(N_("Action impossible sur ce tableau."))


def _seed(data: IndicatorsData, head: dict, act: Seed) -> list[dict]:
    if data.allocations or data.ratings or any(not v.carried for v in data.versions):
        raise Rejected(N_("Ce tableau a déjà servi : on ne peut plus le repartir de la bibliothèque."))
    try:
        common = library.validate(list(enumerate(act.library, start=1)))
    except library.LibraryInvalid:
        raise Rejected(N_("La bibliothèque d'indicateurs est invalide : demandez à la coordination de la "
                          "vérifier.")) from None
    previous = act.previous
    indicators, seen = [], set()
    for item in (previous or {}).get("indicators", []):
        indicators.append({**{k: item[k] for k in ("id",) + TEXT_FIELDS}, "common": bool(item.get("common")),
                           "carried": True})
        seen.add(item["id"])
    indicators += [{**item, "common": True, "carried": False} for item in common if item["id"] not in seen]
    event = {"type": "indicators.seeded", **head, "wave": (previous or {}).get("wave", 0) + 1,
             "indicators": indicators, "previous": None}
    if previous:
        event["previous"] = {key: previous[key] for key in ("workshop", "title", "date", "wave", "version")}
        event["previous"]["ids"] = [item["id"] for item in previous["indicators"]]
        event["previous"]["stats"] = {key: dict(value) for key, value in previous["stats"].items()}
    return [event]


# Folding ---------------------------------------------------------------------

def _forget(data: IndicatorsData, indicator_id: str) -> None:
    """Allocations on an indicator that left the candidates go back to their owners' budgets."""
    for owner in list(data.allocations):
        data.allocations[owner].pop(indicator_id, None)
        if not data.allocations[owner]:
            del data.allocations[owner]


def _seeded(data: IndicatorsData, event: dict) -> None:
    own = {key: i for key, i in data.indicators.items() if i.author is not None}
    data.indicators = {}
    for item in event["indicators"]:
        data.indicators[item["id"]] = Indicator(**{k: item[k] for k in ("id",) + TEXT_FIELDS},
                                                common=item["common"], carried=item["carried"],
                                                chosen=item["carried"])
    for key, indicator in own.items():
        indicator.chosen = False
        data.indicators[key] = indicator
    data.seeded, data.wave, data.previous = True, event["wave"], event["previous"]
    data.spotlight = None
    data.versions = []
    if data.previous:
        data.versions.append(Version(data.previous["version"], tuple(data.previous["ids"]), carried=True))


def _unspot(data: IndicatorsData, indicator_id: str) -> None:
    if data.spotlight == indicator_id:
        data.spotlight = None


def apply(ws: Workshop, board: Board, event: dict) -> None:
    data: IndicatorsData = board.data
    kind = event["type"]
    if kind == "indicators.seeded":
        _seeded(data, event)
    elif kind == "indicator.proposed":
        data.indicators[event["indicator"]] = Indicator(
            event["indicator"], **{k: event[k] for k in TEXT_FIELDS}, author=event["author"])
    elif kind == "indicator.edited":
        for key in TEXT_FIELDS:
            setattr(data.indicators[event["indicator"]], key, event[key])
    elif kind == "indicator.withdrawn":
        del data.indicators[event["indicator"]]
        _unspot(data, event["indicator"])
        _forget(data, event["indicator"])
        for answers in data.ratings.values():
            answers.pop(event["indicator"], None)
        data.recount()
    elif kind == "indicator.hidden":
        indicator = data.indicators[event["indicator"]]
        indicator.hidden = event["hidden"]
        if indicator.hidden:
            indicator.chosen = False
            _forget(data, indicator.id)
            _unspot(data, indicator.id)
            data.recount()
    elif kind == "indicators.mode_set":
        # A new rule for everyone: earlier allocations were made under another budget.
        data.mode, data.budget = event["mode"], event["budget"]
        data.allocations.clear()
        data.recount()
    elif kind == "indicators.allocated":
        data.allot(event["participant"], event["allocation"])
    elif kind == "indicator.chosen":
        data.indicators[event["indicator"]].chosen = event["chosen"]
    elif kind == "indicators.published":
        data.versions.append(Version(event["number"], tuple(event["ids"])))
    elif kind == "indicator.spotlit":
        data.spotlight = event["indicator"]
    elif kind == "indicator.rated":
        data.rate(event["participant"], event["indicator"], event["value"])


def forget_participant(board: Board, participant: str) -> None:
    """Called by the fold when the facilitator removes someone: their dots or points and their
    ratings stop counting in the ranking, the baromètre and the snapshots; proposals stay."""
    data: IndicatorsData = board.data
    data.allocations.pop(participant, None)
    data.ratings.pop(participant, None)
    data.recount()


def freeze(board: Board) -> dict:
    """The board for a snapshot: every candidate, its priority and the room's ratings; no names of people."""
    data: IndicatorsData = board.data
    framework = set(data.framework_ids())
    items = []
    for indicator in data.candidates():
        summary = data.summary(indicator.id)
        before = data.previous_tally(indicator.id)
        items.append({
            # The library id lets coordinators line up the same common indicator across territories.
            **indicator.fields(), "common": indicator.common, "library_id": indicator.id if indicator.common else None,
            "chosen": indicator.id in framework,
            "counts": summary["counts"], "median": summary["median"], "disagreement": summary["disagreement"],
            "previous": {"counts": dict(before), "median": stats.median(before)} if before else None,
            "priority": data.priority(indicator.id),
        })
    return {"indicators": items, "framework_version": data.version(), "wave": data.wave, "mode": data.mode}
