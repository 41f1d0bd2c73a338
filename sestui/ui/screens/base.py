"""The look every modal of the console shares (its CSS is in sestui.tcss)."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import ModalScreen

ResultT = TypeVar("ResultT")


class Modal(ModalScreen[ResultT]):
    """A centred box; every modal of the console looks like this."""
