"""The key footer: Textual's, recomposed once per change of the keys it shows.

Textual's Footer rebuilds all its key widgets each time the screen announces that its bindings were
updated, and a switch of pane announces it three times (the old table's blur, the new one's focus,
the app's refresh_bindings): some 50 ms each, for the same keys. This one rebuilds at most once per
refresh, and not at all when the keys it would show are the ones it shows.

Its rebuild comes after the screen's refresh, so the frame that shows a new pane showed the previous
pane's keys (under load, long enough to be read). From the announcement to the rebuild, the footer
holds the app's painting (Textual's batch, as `batch_update`), so the new keys land in the frame that
shows what changed them; a backstop releases the hold should the rebuild never come."""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey


HOLD_AT_MOST = 0.5  # seconds: the backstop (a rebuild takes some 50 ms)


class Footer(TextualFooter):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._pending = False
        self._backstop: Timer | None = None  # while the footer holds the painting
        self._shown: tuple | None = None

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._pending and self.keys_shown() != self._shown:
            self._pending = True
            self._hold()
            if not self.call_after_refresh(self._recompose_if_changed):
                self._release()

    def _hold(self) -> None:
        if self._backstop is None:
            self.app._begin_batch()
            self._backstop = self.app.set_timer(HOLD_AT_MOST, self._release)

    def _release(self) -> None:
        self._pending = False  # a rebuild that never came (its screen went) does not block the next
        if self._backstop is not None:
            self._backstop.stop()
            self._backstop = None
            self.app._end_batch()

    def on_unmount(self) -> None:
        self._release()
        super().on_unmount()

    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        keys = [w for w in widgets if isinstance(w, FooterKey) and not w.has_class("-command-palette")]
        fitting = keys[:self._fitting([(k.key_display, k.description) for k in keys])]
        for widget in widgets:
            if isinstance(widget, FooterKey):
                if widget in keys and widget not in fitting:
                    continue  # a key the width has no room for goes whole: "space Pa" is no key
                # A key's `compact` starts True and its binding to the footer's sets it False once
                # mounted: its styles were updated twice as it mounted. It starts where it ends.
                compact = self.compact if widget._reactive_connect else True
                widget.set_reactive(FooterKey.compact, compact)
                widget.set_class(compact, "-compact", update=False)
            yield widget

    def _fitting(self, keys: list[tuple[str, str]]) -> int:
        """How many of `keys` (display, description), in order, fit beside the palette's key."""
        def width(display: str, description: str) -> int:  # FooterKey's padding: 1 + 1 around the key, 1 after
            return cell_len(display) + cell_len(description) + (2 if self.compact else 3)

        room = self.app.size.width
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            palette = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
            if palette is not None:
                room -= width(self.app.get_key_display(palette[1]), palette[1].description)
        for n, key in enumerate(keys):
            room -= width(*key)
            if room < 0:
                return n
        return len(keys)

    def on_resize(self) -> None:
        self.bindings_changed(self.screen)  # as many keys as the new width has room for

    def keys_shown(self) -> tuple:
        """What compose() would draw: every shown binding's key, label, action and state."""
        app = self.app
        active = self.screen.active_bindings
        keys = tuple((binding.key, app.get_key_display(binding), binding.description, binding.action,
                      enabled, tooltip, binding.group)
                     for _, binding, enabled, tooltip in active.values() if binding.show)
        palette = active.get(app.COMMAND_PALETTE_BINDING)
        fitting = self._fitting([(app.get_key_display(key[0]), key[0].description) for key in self._by_action(active)])
        return keys, fitting, self.compact, self.show_command_palette, palette and palette[1:]

    @staticmethod
    def _by_action(active) -> list:
        """The shown bindings one per action, as Textual's compose() makes one key of them."""
        first: dict[str, tuple] = {}
        for _, binding, enabled, tooltip in active.values():
            if binding.show:
                first.setdefault(binding.action, (binding, enabled, tooltip))
        return list(first.values())

    async def _recompose_if_changed(self) -> None:
        self._pending = False
        try:
            if not self.is_attached:
                return
            shown = self.keys_shown()
            if shown != self._shown:
                self._shown = shown
                await self.recompose()
        finally:
            self._release()
