"""Running one costly computation of the worker on another core while the worker goes on.

The analysis of a large map spends about half its time in exact betweenness; a forked copy of
the worker computes it while the worker computes the rest, so a 10,000-actor wave is ready in
about half the time when a core is free. The child inherits the worker's niceness (the live
boards keep their priority) and leaves by ``os._exit``: nothing of the worker's (buffers, exit
handlers) runs twice.
"""

from __future__ import annotations

import os
import pickle
from typing import Any, Callable

# Below this many nodes a fork costs more than it saves.
LEAST = 500


def on_another_core(function: Callable, graph, *args) -> Callable[[], Any]:
    """Starts ``function(graph, *args)`` in a forked child; returns what waits for its result.

    If the child cannot be made or fails, the result is computed here instead."""
    if graph.vcount() < LEAST or not hasattr(os, "fork"):
        result = function(graph, *args)
        return lambda: result
    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        result = function(graph, *args)
        return lambda: result
    if pid == 0:  # the child
        status = 1
        try:
            os.close(read)
            data = memoryview(pickle.dumps(function(graph, *args), pickle.HIGHEST_PROTOCOL))
            while data:
                data = data[os.write(write, data):]
            status = 0
        finally:
            os._exit(status)
    os.close(write)

    def result() -> Any:
        with os.fdopen(read, "rb") as source:
            data = source.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not data:
            return function(graph, *args)
        return pickle.loads(data)
    return result
