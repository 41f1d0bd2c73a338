"""Text from outside made inert for a terminal, a file that is later `cat`ed, or a spreadsheet.

Strings from SES, SQS and files are data: no C0 control (tab and newline only where the format
quotes them), DEL, C1 control or bidi control may reach the output, whether it goes to a terminal
or a file. Controls become visible escapes (`\\x1b`, `\\u202e`); JSON gets `\\u` escapes so that it
still decodes to the original; CSV cells that a spreadsheet would run as a formula get a leading
`'` (OWASP, "CSV Injection").
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 and DEL, C1, and the bidi marks, embeddings, overrides and isolates (U+061C, U+200E/F,
# U+202A..U+202E, U+2066..U+2069).
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROLS = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_CONTROLS_BUT_TAB_NEWLINE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
# What json.dumps(ensure_ascii=False) leaves raw (it escapes C0 itself); U+2028/9 end a line in
# some readers.
_JSON_RAW = re.compile(f"[\x7f-\x9f{_BIDI}\u2028\u2029]")

# A cell starting with one of these is a formula in Excel, LibreOffice and Google Sheets (the
# full-width forms too, in some locales).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_line(value: Any) -> str:
    """One line of plain text: every control escaped, newline and tab included."""
    return _CONTROLS.sub(_escape, str(value))


def safe_cell(value: Any) -> str:
    """A value for a CSV cell: controls escaped except tab and newline (CSV quoting holds them),
    and a leading `'` where a spreadsheet would read a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return _CONTROLS_BUT_TAB_NEWLINE.sub(_escape, text)


def safe_row(row: dict[str, Any]) -> dict[str, str]:
    """A CSV row (csv.DictWriter) with every cell made safe; None stays empty."""
    return {key: "" if value is None else safe_cell(value) for key, value in row.items()}


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_line(value: Any) -> str:
    """`value` as one line of JSON, readable (non-ASCII kept) but with every control as a `\\u`
    escape: it decodes to exactly `value`."""
    return _JSON_RAW.sub(_json_escape, json.dumps(value, ensure_ascii=False))
