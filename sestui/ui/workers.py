"""The console's one worker idiom (see the app module's docstring).

Every read or AWS call runs in a thread worker started by `io_worker` (a method decorator) or
`run_io` (a plain callable): thread=True, exit_on_error=False, one named group per kind of work.
Panes run their workers on the app (`AppWorkers`), so the app's single `Worker.StateChanged`
handler sees every failure; "is it still running?" is asked of Textual's worker manager (`busy`),
never kept in a flag.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from textual import on, work
from textual.app import App
from textual.message import Message
from textual.worker import Worker, WorkerState, get_current_worker

from sestui.core import fmt

LIVE_STATES = (WorkerState.PENDING, WorkerState.RUNNING)


def io_worker(group: str, *, exclusive: bool = True) -> Callable:
    """`@work(thread=True, exclusive=..., group=group, exit_on_error=False)`."""
    return work(thread=True, exclusive=exclusive, group=group, exit_on_error=False)


def run_io(app: App, fn: Callable[[], Any], group: str, *, exclusive: bool = False) -> Worker:
    """The same idiom for a callable (the ask-then-do flows in actions.py)."""
    return app.run_worker(fn, thread=True, exclusive=exclusive, group=group, exit_on_error=False)


def landed(message_type: type[Message]) -> Callable:
    """`@on(message_type)` for a worker's result, which ends where it lands (stopped: it does not
    bubble on to the app). A worker can finish just as the console quits; its message is then
    handled while the screens are taken down (a pane's children may be gone already), so it is
    dropped unless the console is still showing."""
    def decorate(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def guarded(self, message):
            if not self.app.showing:
                return None
            message.stop()
            return handler(self, message)
        return on(message_type)(guarded)
    return decorate


def busy(app: App, group: str) -> bool:
    """Is a worker of `group` still pending or running?"""
    return any(w.group == group and w.state in LIVE_STATES for w in app.workers)


def deliver(node: Any, message: Message) -> None:
    """Post a worker's result unless the worker was cancelled (a newer one of its group replaced it)."""
    try:
        cancelled = get_current_worker().is_cancelled
    except Exception:  # not in a worker (called directly, e.g. by a test)
        cancelled = False
    if not cancelled:
        node.post_message(message)


class AppWorkers:
    """Mixin for panes: their workers belong to the app, whose Worker.StateChanged handler turns any
    failure into the STALE mark. (Worker.StateChanged does not bubble; this is how one handler sees
    them all. Group names are therefore unique across the console.)"""

    app: App

    def run_worker(self, work: Callable, *args: Any, **kwargs: Any) -> Worker:
        return self.app.run_worker(work, *args, **kwargs)


def one_line(error: BaseException | None) -> str:
    """`OperationalError: database is locked` — the reason shown beside STALE."""
    if error is None:
        return "unknown error"
    text = fmt.one_line(str(error), None) or "no detail"
    return f"{type(error).__name__}: {text}"
