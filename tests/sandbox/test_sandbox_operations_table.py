"""README's table of emulated operations is the one the code generates, not a hand-kept copy."""

from __future__ import annotations

from pathlib import Path

from sestui.sandbox.http import operations

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_table_is_generated_from_the_code():
    text = README.read_text(encoding="utf-8")
    table = text.split("<!-- operations:start -->\n", 1)[1].split("\n<!-- operations:end -->", 1)[0]
    assert table == operations.markdown()


def test_every_modelled_operation_is_answered_by_someone():
    for service, groups in operations.operations().items():
        assert groups["sandbox"], service
        assert "SendEmail" in groups["sandbox"] + groups["moto"], service
        assert not set(groups["sandbox"]) & set(groups["error"])
