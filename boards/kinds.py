"""The board kinds a workshop can hold, by name.

A kind is a module with KIND, TITLE, PHASES, PHASE_LABELS, ACTIONS,
new_data(), decide(ws, board, actor, action), apply(ws, board, event) and
freeze(board).

Optional: PERSONAL_EVENTS, events whose rendering differs from one reader to the next (the
kind's `personal` macro runs for each reader); PERSONAL_TO, for those of them that concern one
reader only, the event field naming that participant (the macro then runs for them alone);
READER_SPECIFIC, when each participant's whole stage is their own; PEOPLE_EVENTS, the
participant events (a join, a removal) its `delta` macro answers while the board is on screen;
WATCHES, other boards' event types it shows (the levers card form lists the map's actors);
forget_participant(board, id), what a removal takes off the board (votes and ratings).
"""

from . import ambition, diagnosis, ideas, indicators, levers, stakeholders, systems

KINDS = {module.KIND: module for module in (ideas, stakeholders, indicators, levers, diagnosis, ambition, systems)}
