"""Pane 3's CSV files: an export is readable by its owner only (addresses are personal data, the
database is 0600), and a path the import or the export cannot use is said in its dialog, which stays
open so the operator can correct it (it closed, and the failure was only a passing toast)."""

from __future__ import annotations

import os
import stat

from console_data import make_app, press, rendered, run, settle

from sestui.ui.screens.path import PathScreen


async def type_path(pilot, app, path: str) -> None:
    box = app.screen.query_one("#path")
    box.value = path
    await press(pilot, "enter")


async def refused_path(pilot, app, key: str, path: str, why: str) -> str:
    """Pane 3's import (i) or export (e) dialog given `path`: it stays open (`why`); its error line."""
    await press(pilot, "3")
    await press(pilot, key)
    await type_path(pilot, app, path)
    assert isinstance(app.screen, PathScreen), why
    return rendered(app.screen.query_one("#error"))


def test_the_console_export_is_written_0600(store, tmp_path):
    target = tmp_path / "suppressions.csv"
    app = make_app(store)

    async def scenario(pilot):
        await press(pilot, "3")
        await press(pilot, "e")
        await type_path(pilot, app, str(target))
        for _ in range(50):
            if target.exists() and "bob@example.net" in target.read_text():
                break
            await settle(pilot)
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o600

    run(app, scenario, size=(120, 40))


def test_an_unreadable_import_path_keeps_the_dialog_open_with_the_reason(store, tmp_path):
    app = make_app(store)
    missing = tmp_path / "not-there.csv"

    async def scenario(pilot):
        shown = await refused_path(pilot, app, "i", str(missing), "it stays open to correct the path")
        assert str(missing) in shown and "No such file" in shown, shown

    run(app, scenario, size=(120, 40))


def test_an_export_into_a_missing_folder_keeps_the_dialog_open_with_the_reason(store, tmp_path):
    app = make_app(store)
    target = tmp_path / "no-such-folder" / "s.csv"

    async def scenario(pilot):
        shown = await refused_path(pilot, app, "e", str(target), "it stays open to correct the path")
        assert f"no folder {target.parent}" in shown

    run(app, scenario, size=(120, 40))


def test_an_import_file_without_an_address_is_said_in_its_dialog_not_asked_about(store, tmp_path):
    """It asked "Add 0 addresses from … to the suppression list?" (and "1 rows will be skipped")."""
    from sestui.ui.screens.confirm import ConfirmScreen

    app = make_app(store, aws=object())  # an AWS connection (never called: nothing is confirmed)
    nothing, some = tmp_path / "nothing.csv", tmp_path / "some.csv"
    nothing.write_text("keep\n\n")
    some.write_text("email,reason\nnew.one@example.org,BOUNCE\nnot-an-address\n")

    async def scenario(pilot):
        shown = await refused_path(pilot, app, "i", str(nothing), "it stays open to name another file")
        assert f"no address to import in {nothing}" in shown and "1 row skipped, first: line 1" in shown, shown
        await type_path(pilot, app, str(some))
        assert isinstance(app.screen, ConfirmScreen)
        body = str(app.screen.body)
        assert "Add 1 address from" in body and "1 row will be skipped, first: line 3" in body, body

    run(app, scenario, size=(120, 40))
