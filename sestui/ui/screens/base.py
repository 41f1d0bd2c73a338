"""The look every modal of the console shares (its CSS is in sestui.tcss)."""

from __future__ import annotations

from typing import TypeVar

from textual.app import ComposeResult
from textual.screen import ModalScreen

from sestui.ui.footer import Footer

ResultT = TypeVar("ResultT")


class Modal(ModalScreen[ResultT]):
    """A centred box over the panes, with a footer of its own: the main screen's, under it, offered
    keys that do nothing here (a modal's keys stop at the modal). Subclasses compose the box."""

    def compose(self) -> ComposeResult:
        yield from self.compose_box()
        yield Footer()

    def compose_box(self) -> ComposeResult:
        raise NotImplementedError
