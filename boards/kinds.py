"""The board kinds a workshop can hold, by name.

A kind is a module with KIND, TITLE, PHASES, PHASE_LABELS, ACTIONS,
new_data(), decide(ws, board, actor, action), apply(ws, board, event) and
freeze(board).
"""

from . import ideas, indicators, levers, stakeholders

KINDS = {module.KIND: module for module in (ideas, stakeholders, indicators, levers)}
