"""Ask for one value: a file path (CSV import and export) or a message id."""

from __future__ import annotations

import os
from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, Static

from sestui.ui.screens.base import Modal


class PathScreen(Modal[str | None]):
    """Ask for a file path (CSV import and export), or a message id. `check` says what is wrong
    with a value (None: nothing), and the screen stays open until it is right or cancelled."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="path.cancel"),
        # the screen's, not the field's (priority), so the footer shows it: the one field's enter
        Binding("enter", "submit", "OK", priority=True, id="path.submit",
                tooltip="submit the form (from its text field)"),
    ]

    def __init__(self, title: str, default: str = "", placeholder: str = "path/to/file.csv",
                 check: Callable[[str], str | None] | None = None):
        super().__init__()
        self.title_text, self.default, self.placeholder = title, default, placeholder
        self.check = check

    def compose_box(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text), classes="title")
            yield Input(self.default, placeholder=self.placeholder, id="path")
            yield Static("", classes="error", id="error")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def action_submit(self) -> None:
        value = self.query_one("#path", Input).value.strip()
        if not value:
            self.query_one("#error", Static).update("a value is required (escape cancels)")
            return
        problem = self.check(value) if self.check else None
        if problem:
            self.query_one("#error", Static).update(Text(problem))  # the value is data, never markup
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


def unreadable(path: str) -> str | None:
    """Why PATH cannot be read as UTF-8 text (None: it can): a check for an import's dialog."""
    try:
        with open(path, encoding="utf-8") as f:
            while f.read(1 << 16):
                pass
    except OSError as exc:
        return f"{path}: {exc.strerror}"
    except UnicodeDecodeError:
        return f"{path}: not UTF-8 text"
    return None


def unwritable(path: str) -> str | None:
    """Why PATH cannot be written (None: it looks writable): a check for an export's dialog."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        return f"{path} is a folder: name a file in it"
    if not os.path.isdir(folder):
        return f"no folder {folder}"
    if not os.access(folder, os.W_OK):
        return f"cannot write in {folder}: permission denied"
    return None


def import_problem(path: str) -> str | None:
    """Why PATH gives nothing to import (None: it has an address): the import dialog's check, so a
    file without one is said there, not asked about ("Add 0 addresses?")."""
    from sestui.ops.suppressions import read_csv

    problem = unreadable(path)
    if problem:
        return problem
    with open(path, newline="", encoding="utf-8") as f:
        rows, errors = read_csv(f)
    if rows or not errors:
        return None if rows else f"no address to import in {path}"
    skipped = f"{len(errors)} row{'' if len(errors) == 1 else 's'} skipped"
    return f"no address to import in {path} ({skipped}, first: {errors[0]})"
