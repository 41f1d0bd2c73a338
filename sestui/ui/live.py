"""New events shown the moment they are stored: the store's notifications (ops.watch.EventWatch,
LISTEN/NOTIFY on PostgreSQL) wake the visible live pane between the ticks. Without them (SQLite,
or a pooler that refuses LISTEN: said once) the tick's polling is all there is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sestui.ops.watch import EventWatch
from sestui.ui.workers import busy

if TYPE_CHECKING:
    from sestui.ui.app import SestuiApp

LIVE_PANES = ("flow", "timeline")  # their worker group is their name
RETRY_S = 0.05


class LiveRefresh:
    def __init__(self, app: SestuiApp):
        self.app = app
        self.refreshes = 0  # polls a notification started (the tick's are not counted)
        self.watch = EventWatch(app.ctx.store, self._notified, self._fell_back,
                                on_listening=lambda: self._to_app(lambda: self._refresh(counted=False)))

    def start(self) -> None:
        self.watch.start()

    def stop(self) -> None:
        self.watch.stop()

    def _notified(self) -> None:  # in the watch thread
        self._to_app(self._refresh)

    def _fell_back(self, reason: str) -> None:  # in the watch thread, once
        text = f"No live notifications ({reason}): polling every {self.app.tick_seconds:g} s instead."
        self._to_app(lambda: self.app.notify(text, title="live updates", severity="warning", timeout=12,
                                             markup=False))

    def _to_app(self, callback) -> None:
        try:
            self.app.call_from_thread(callback)
        except RuntimeError:  # the app is not running (any more)
            pass

    def _refresh(self, counted: bool = True) -> None:
        current = self.app.current
        if current not in LIVE_PANES or self.app.paused:
            return
        if busy(self.app, current):  # that load may have read before the commit: look again after it
            self.app.set_timer(RETRY_S, lambda: self._refresh(counted))
            return
        self.refreshes += counted
        self.app.pane(current).poll()
