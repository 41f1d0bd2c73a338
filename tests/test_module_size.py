"""The house rule of issue #9: small modules. No module in sestui/ is over 400 lines."""

from pathlib import Path

LIMIT = 400
SESTUI = Path(__file__).resolve().parents[1] / "sestui"


def test_no_module_is_over_400_lines():
    over = {str(p.relative_to(SESTUI)): n for p in sorted(SESTUI.rglob("*.py"))
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > LIMIT}
    assert over == {}, f"split these (lines): {over}"
