"""The Actions pane's ask-then-do flows: retry or discard an outbox item, resume sending for a
paused configuration set. Same shape as ui/actions.py (a confirm modal, then a worker whose outcome
is an ActionFinished); the store and AWS work is ops/rules_cli's, as for `sestui outbox|resume`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from sestui.ops import rules_cli
from sestui.ui.messages import Row
from sestui.ui.text import literal

if TYPE_CHECKING:
    from sestui.ui.app import SestuiApp


def _item_text(item: Row) -> Text:
    attempts = f"{item['attempts']} attempt" + ("" if item["attempts"] == 1 else "s")
    return Text.assemble(f"item {item['id']} ({item['state']}, {attempts}): rule ",
                         literal(item["rule"], style="bold"), f", {item['action_kind']}",
                         *((" for ", literal(item["recipient"])) if item.get("recipient") else ()),
                         *(("\nlast error: ", literal(item["last_error"])) if item.get("last_error") else ()))


def retry_item(app: SestuiApp, item: Row) -> None:
    if app.ctx.read_only:
        app.actions.writable()  # says why
        return
    body = Text.assemble("Retry ", _item_text(item), "\nIt becomes due now with a fresh attempt count; "
                         "the collector's deliverer runs it.")
    store = app.ctx.store
    app.actions._ask("Retry outbox item", body, "Retry",
                     lambda: app.actions._run("Retry", lambda: rules_cli.outbox_retry(store, [item["id"]])),
                     danger=False)


def discard_item(app: SestuiApp, item: Row) -> None:
    if app.ctx.read_only:
        app.actions.writable()
        return
    body = Text.assemble("Discard ", _item_text(item), "\nIt will not be delivered (retry can bring it back).")
    store = app.ctx.store
    app.actions._ask("Discard outbox item", body, "Discard",
                     lambda: app.actions._run("Discard", lambda: rules_cli.outbox_discard(store, [item["id"]])))


def resume_set(app: SestuiApp, name: str) -> None:
    """Turn sending back on for configuration set `name` (PutConfigurationSetSendingOptions), audited."""
    if not app.actions.writable():
        return
    body = Text.assemble("Resume sending through configuration set ", literal(name, style="bold"), "?\n"
                         "SES will accept mail through it again. The guard that paused it shows RESUMED by hand "
                         "and warns again; it pauses again only after its rate recovers and crosses again.")
    ctx = app.ctx
    guards = ctx.actions.guards if ctx.actions else []
    app.actions._ask("Resume sending", body, "Resume",
                     lambda: app.actions._run("Resume sending", lambda: rules_cli.resume(
                         ctx.aws, ctx.store, configuration_set=name, who="console", guards=guards)))
