"""What the console's longest event-loop stalls are made of (benchmarks/console.py --trace).

Every callback the event loop runs (one step of a task: a message pump, a timer) is timed; within
it, the message handlers, timer callbacks, the screen's layout and repaint and the garbage
collections are timed too. The slowest steps are printed with what they held, e.g.

    38.1 ms (cpu 37.0): Screen._on_timer_update [Screen._on_timer_update 36.9, compositor.render_update 30.2, ...]

(parts in CPU ms of the UI thread, gc in wall ms).
"""

from __future__ import annotations

import asyncio
import functools
import gc
import sys
import time
from collections import defaultdict

_steps: list[tuple[float, float, str, dict[str, float]]] = []
_parts: dict[str, float] = defaultdict(float)
_label: list[str] = []
_active: dict[str, int] = defaultdict(int)
recording = [False]  # console.py sets it around the following window


def _timed(name_of):
    """Wrap a sync function: its time (inclusive, outermost call of that name) is a part of the
    step it runs in; the step is labelled by the first part that starts in it."""
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            name = name_of(*args) if callable(name_of) else name_of
            if not _label:
                _label.append(name)
            if _active[name]:
                return fn(*args, **kwargs)
            _active[name] += 1
            t0 = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                _active[name] -= 1
                _parts[name] += time.thread_time() - t0
        return wrapper
    return decorate


def _gc_callback(phase: str, info: dict, started=[0.0]) -> None:  # noqa: B006 - the start, kept
    if phase == "start":
        started[0] = time.perf_counter()
    else:
        _parts[f"gc{info['generation']}"] += time.perf_counter() - started[0]  # (wall time)


def install() -> None:
    from textual import _callback
    from textual._compositor import Compositor
    from textual.screen import Screen
    from textual.widget import Widget
    from textual.widgets import DataTable

    original_run = asyncio.events.Handle._run

    def run(handle):
        _parts.clear()
        _label.clear()
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            return original_run(handle)
        finally:
            wall = time.perf_counter() - t0
            if wall > 0.005 and recording[0]:
                label = _label[0] if _label else repr(handle)[:80]
                _steps.append((wall, time.thread_time() - c0, label, dict(_parts)))

    asyncio.events.Handle._run = run

    # Handlers and timer callbacks run through textual._callback.invoke (sync ones complete in the
    # step that calls them): time the callable it is given.
    def handler_name(callback, *args):
        owner = getattr(callback, "__self__", None)
        return f"{type(owner).__name__}.{getattr(callback, '__name__', callback)}"

    original_invoke = _callback._invoke

    async def _invoke(callback, *params):
        wrapped = _timed(handler_name(callback))(callback)
        return await original_invoke(wrapped, *params)

    _callback._invoke = _invoke  # (invoke looks it up at each call)

    Compositor.render_update = _timed("compositor.render_update")(Compositor.render_update)
    Compositor.reflow = _timed("compositor.reflow")(Compositor.reflow)
    Screen._refresh_layout = _timed("screen.layout")(Screen._refresh_layout)
    Compositor.update_widgets = _timed("compositor.update_widgets")(Compositor.update_widgets)
    Widget._render_content = _timed(lambda w, *a: f"render:{type(w).__name__}")(Widget._render_content)
    for cls in {Widget, DataTable}:
        cls.render_lines = _timed(lambda w, *a: f"lines:{type(w).__name__}")(cls.render_lines)
    for name in ("add_row", "clear", "sort", "move_cursor", "_update_dimensions"):
        setattr(DataTable, name, _timed(f"table.{name}")(getattr(DataTable, name)))
    gc.callbacks.append(_gc_callback)


def report(top: int = 12, out=sys.stderr) -> None:
    steps = sorted(_steps, reverse=True)[:top]
    print(f"{len(_steps)} steps over 5 ms; the {len(steps)} longest:", file=out)
    for wall, cpu, label, parts in steps:
        inner = ", ".join(f"{k} {v * 1000:.1f}" for k, v in sorted(parts.items(), key=lambda kv: -kv[1]) if v > 0.0005)
        print(f"  {wall * 1000:6.1f} ms (cpu {cpu * 1000:5.1f}): {label} [{inner}]", file=out)
