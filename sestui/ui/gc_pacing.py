"""The console's full garbage collections, paced by the tick instead of by allocations.

A full collection walks every tracked object that is not frozen (~30k in a console following
500 events/s: 5-30 ms). Left to Python's allocation counters it lands where allocations happen,
which is mostly inside a tick's own work (adding rows, the repaint after), and its pause adds to
theirs. So the console freezes what exists at start (modules, widgets, styles: it lives as long as
the console), leaves the young generations to Python, and runs the full collection itself at the
start of every FULL_EVERY-th tick, before that tick's reads are started (their rows arrive later,
in a callback of their own). Once the first screen is up (SETTLED ticks after the start: the first
page read, painted and its caches filled) what it built is frozen too: that halves what each full
collection walks (~40k -> ~19k objects while following; 27 -> 8 ms on a busy machine).
"""

from __future__ import annotations

import gc

FULL_EVERY = 10  # ticks: about as often as Python's own thresholds ran it at 500 events/s
SETTLED = 3  # ticks
_NEVER = 1 << 30


class GcPacing:
    def __init__(self) -> None:
        self._saved: tuple[int, int, int] | None = None

    def start(self) -> None:
        gc.freeze()
        self._saved = gc.get_threshold()
        gc.set_threshold(self._saved[0], self._saved[1], _NEVER)

    def tick(self, count: int) -> None:
        if self._saved is None:
            return
        if count == SETTLED or count % FULL_EVERY == 0:
            gc.collect()
        if count == SETTLED:
            gc.freeze()

    def stop(self) -> None:
        """Python's own thresholds again (the process may outlive the console: tests, a restart)."""
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None
