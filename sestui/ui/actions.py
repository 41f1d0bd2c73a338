"""The ask-then-do flows: confirm an outward action in a modal, run it in a worker, report it.

The app holds one `Actions` (`app.actions`); panes call it. Expected refusals (an AwsError, a bad
file) come back as ActionFinished(ok=False); anything else fails the worker and the app's
Worker.StateChanged handler reports it. Strings from outside reach the screen only through
`literal`/`safe`.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text

from sestui.aws import AwsError
from sestui.core.rules import is_simulator
from sestui.ops import suppressions as service
from sestui.ui.messages import ActionFinished, Row
from sestui.ui.screens.confirm import ConfirmScreen
from sestui.ui.text import BIDI_AND_INVISIBLE, ellipsize_middle, literal, safe
from sestui.ui.widgets.common import theme_style
from sestui.ui.workers import run_io

if TYPE_CHECKING:
    from sestui.ui.app import SestuiApp
    from sestui.ui.panes.send import Draft


def rows_said(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


class Actions:
    def __init__(self, app: SestuiApp):
        self.app = app

    @property
    def ctx(self):
        return self.app.ctx

    def writable(self) -> bool:
        """Say why a change cannot be made, or True."""
        if self.ctx.read_only:
            self.app.notify("Read-only console: changes to AWS are disabled (started with --read-only).",
                            severity="warning")
            return False
        if self.ctx.aws is None:
            self.app.notify("No AWS connection.", severity="error")
            return False
        return True

    def _ask(self, title: str, body: Text, label: str, then: Callable[[], None], danger: bool = True) -> None:
        def confirmed(ok: bool | None) -> None:
            if ok:
                then()
        self.app.push_screen(ConfirmScreen(title, body, label, danger=danger), confirmed)

    def _run(self, title: str, work: Callable[[], str], line: str | None = None) -> None:
        """Run `work` in a worker; its string (or an AwsError/ValueError) becomes the outcome.
        `line`: what the outcome line keeps of a success, when the toast's detail names an address
        (the line stays on screen; an address removed from the list should not)."""
        app = self.app

        def run() -> None:
            try:
                detail = work()
            except (AwsError, ValueError) as exc:
                app.post_message(ActionFinished(title, False, str(exc)))
                return
            app.post_message(ActionFinished(title, True, detail, line=line))

        run_io(app, run, group="action")

    # -- suppression list ------------------------------------------------------------------------

    def suppress(self, email: str, reason: str, message_id: str | None, already: str | None = None) -> None:
        """`already`: the reason it is on the list with, if the local cache knows."""
        if already:
            self.app.notify(f"{safe(email)} is already on the suppression list ({already}).", markup=False)
            return
        if not self.writable():
            return
        effect = ("A mailbox simulator address: the simulator decides what becomes of mail to it, and "
                  "sestui's policies never suppress it." if is_simulator(email) else
                  "SES will then refuse to deliver to it from every identity of this account.")
        body = Text.assemble("Add ", literal(email, style="bold"), f" to the account suppression list (reason {reason})?\n",
                             effect)
        ctx = self.ctx

        def work() -> str:
            service.add(ctx.aws, ctx.store, email, reason, origin="console", message_id=message_id)
            return f"{safe(email)} suppressed ({reason})"

        self._ask("Suppress address", body, "Suppress",
                  lambda: self._run("Suppress", work, line=f"done ({reason}); u shows it in the audit log"))

    def unsuppress(self, email: str) -> None:
        if not self.writable():
            return
        body = Text.assemble("Remove ", literal(email, style="bold"), " from the account suppression list?\n"
                             "SES will deliver to it again.")
        ctx = self.ctx

        def work() -> str:
            removed = service.remove(ctx.aws, ctx.store, email, origin="console")
            return f"{safe(email)} removed" if removed else f"{safe(email)} was not on the list"

        self._ask("Remove suppression", body, "Remove",
                  lambda: self._run("Remove suppression", work, line="done; u shows it in the audit log"))

    def import_csv(self, path: str | None) -> None:
        if not path or not self.writable():
            return
        try:
            with open(path, newline="", encoding="utf-8") as f:
                rows, errors = service.read_csv(f)
        except OSError as exc:
            self.app.notify(f"{safe(path)}: {exc.strerror}", severity="error", markup=False)
            return
        body = Text(f"Add {rows_said(len(rows), 'address', 'addresses')} from {safe(path)} to the suppression list?")
        if errors:
            body.append(f"\n{rows_said(len(errors), 'row', 'rows')} will be skipped, first: {safe(errors[0])}")
        ctx = self.ctx

        def work() -> str:
            failed = 0
            for row in rows:
                try:
                    service.add(ctx.aws, ctx.store, row.email, row.reason, origin="console import")
                except AwsError:
                    failed += 1
            return f"imported {len(rows) - failed} of {len(rows)}" + (f", {failed} failed (see audit)" if failed else "")

        self._ask("Import suppressions", body, "Import", lambda: self._run("Import", work))

    def export_suppressions(self, path: str, rows: list[Row], total: int | None, text: str | None) -> None:
        """Write what the operator sees; ask before replacing a file; say what was exported."""
        shown = export_summary(len(rows), total, text)

        def write() -> None:
            def work() -> str:
                try:
                    service.write_csv_file(path, rows)
                except OSError as exc:
                    raise ValueError(f"{safe(path)}: {exc.strerror}") from None
                return f"wrote {shown} to {safe(path)}"
            self._run("Export", work)

        if os.path.exists(path):
            body = Text.assemble(literal(path, style="bold"), f" exists. Replace it with {shown}?")
            self._ask("Replace file", body, "Replace", write)
        else:
            write()

    # -- the clipboard ---------------------------------------------------------------------------

    def copy(self, label: str, value: str | None) -> None:
        """`y`: through the terminal (OSC 52), only a value with no control characters."""
        clean = clipboard_text(value)
        if clean is None:
            self.app.say(f"Nothing to copy: no {label} here.", ok=False)
            return
        self.app.copy_to_clipboard(clean)
        self.app.say(f"Copied {label}: {ellipsize_middle(clean, 60)}")

    # -- sending ---------------------------------------------------------------------------------

    def send(self, draft: Draft, done: Callable[[bool, str, str | None], None] | None = None) -> None:
        """`done(ok, detail, message_id)`, on the UI thread, for the form to keep the outcome."""
        if not self.writable():
            return
        body = Text.assemble("Send ", literal(draft.subject, style="bold"), "\nfrom ", literal(draft.sender),
                             "\nto ", literal(", ".join(draft.to)),
                             "\nconfiguration set ", literal(draft.configuration_set or "(none)"),
                             "\ntags ", literal(", ".join(f"{k}={v}" for k, v in draft.tags.items()) or "(none)"))
        aws, app = self.ctx.aws, self.app
        paused = draft.configuration_set is not None and draft.configuration_set in self.paused_sets()
        if paused:
            body.append_text(Text.assemble(
                "\n", (f"{safe(draft.configuration_set)} is paused: SES will refuse this send", "bold"),
                " (resume it first: pane 8, s)", style=theme_style(app, "error")))

        def work() -> None:
            try:
                message_id = aws.ses.send_email(sender=draft.sender, to=draft.to, subject=draft.subject,
                                                body=draft.body, configuration_set=draft.configuration_set,
                                                tags=draft.tags)
            except AwsError as exc:
                app.post_message(ActionFinished("Send", False, str(exc)))
                if done:
                    app.call_from_thread(done, False, str(exc), None)
                return
            if done:
                app.call_from_thread(done, True, "sent", message_id)
            app.post_message(ActionFinished("Send", True, f"sent, MessageId {message_id}", message_id))

        self._ask("Send test message", body, "Send anyway" if paused else "Send",
                  lambda: run_io(app, work, group="send"), danger=paused)

    def paused_sets(self) -> tuple[str, ...]:
        """The configuration sets the header marks paused (pane 8 keeps that mark: AWS's word when it
        can be asked, else the guards')."""
        from textual.css.query import NoMatches

        from sestui.ui.widgets.header import HealthHeader

        try:
            return self.app.main_screen.query_one(HealthHeader).paused_sets
        except NoMatches:
            return ()


def clipboard_text(value: str | None, limit: int = 10_000) -> str | None:
    """`value` without control, format and bidi characters (a copied string must not carry escape
    sequences to wherever it is pasted), or None when nothing is left or it is too long."""
    if not value:
        return None
    clean = "".join(ch for ch in value if ch == "\n" or (unicodedata.category(ch) not in _UNSAFE
                                                           and ch not in BIDI_AND_INVISIBLE))
    clean = clean.strip()
    return clean if clean and len(clean) <= limit else None


_UNSAFE = ("Cc", "Cf", "Cs", "Co", "Zl", "Zp")


def export_summary(n: int, total: int | None, text: str | None) -> str:
    """`17 of 311 rows, filter /rossi` (or `311 rows`)."""
    if text and total is not None:
        return f"{n} of {total} rows, filter /{safe(text)}"
    return f"{n} rows"
