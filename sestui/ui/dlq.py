"""The console's side of the dead-letter queue: its depth for the header (from the collector's state
row), and the D key's redrive (ops.dlq, the same as `sestui dlq redrive`), asked first, run in a
worker (ui/workers.py through ui/actions.py), its outcome on the outcome line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from sestui.ui.text import literal

if TYPE_CHECKING:
    from sestui.store import Store
    from sestui.ui.app import SestuiApp

READ_ONLY = "Redrive the DLQ: not in a read-only console (it would change AWS)."


def dlq_backlog(store: Store, queue_url: str | None) -> int | None:
    """The dead-letter queue's depth the freshest collector of this queue saw (None: none reported it)."""
    for row in store.collector_states():  # freshest first
        if queue_url and row.get("queue_url") == queue_url and row.get("dlq_backlog") is not None:
            return int(row["dlq_backlog"])
    return None


def ask_redrive(app: SestuiApp) -> None:
    from sestui.ops import dlq

    ctx = app.ctx
    if ctx.read_only:
        app.say(READ_ONLY, ok=False)
        return
    if ctx.aws is None or not ctx.queue_url:
        app.say("Redrive the DLQ: no queue is configured (sestui setup makes one with its DLQ).", ok=False)
        return
    queue_url = ctx.queue_url
    depth = app.main_screen.query_one("#health").dlq_backlog
    if depth == 0:  # the collector's last reading: nothing to move, nothing to ask
        app.say("Redrive the DLQ: the dead-letter queue is empty (dlq 0), nothing to move.")
        return
    what = f"the {depth:,} messages" if depth else "every message"
    body = Text.assemble(f"Move {what} of the dead-letter queue back to ", literal(queue_url, style="bold"),
                         "?\nThe collector then stores each one once; an event already stored counts as a duplicate.")

    def work() -> str:
        try:
            done = dlq.redrive(ctx.aws, queue_url)
        except dlq.DlqError as exc:
            raise ValueError(str(exc)) from None
        refused = f"; {done.refused} refused by SQS, left in the DLQ" if done.refused else ""
        return f"moved {done.moved} messages back to the queue{refused}"

    app.actions._ask("Redrive the dead-letter queue", body, "Redrive", lambda: app.actions._run("DLQ redrive", work),
                     danger=False)
