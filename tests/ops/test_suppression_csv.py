"""`sestui suppress import`'s CSV reading: every row imported is one more entry of the list."""

from __future__ import annotations

import io

from sestui.ops.suppressions import read_csv


def test_an_address_again_in_another_case_is_skipped_with_its_first_line():
    """The ops trial imported x1@ and X1@: "added=4" for three entries (the list ignores case)."""
    rows, errors = read_csv(io.StringIO("email,reason\nx1@example.org,BOUNCE\nx2@example.org,COMPLAINT\n"
                                        "X1@example.org,COMPLAINT\nx2@example.org\n"))
    assert [(r.line, r.email, r.reason) for r in rows] == [(2, "x1@example.org", "BOUNCE"),
                                                           (3, "x2@example.org", "COMPLAINT")]
    assert errors == ["line 4: X1@example.org again (line 2; the suppression list ignores case)",
                      "line 5: x2@example.org again (line 3; the suppression list ignores case)"]
