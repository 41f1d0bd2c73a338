"""Writing string settings into the TOML config file without disturbing the rest of it.

The stdlib reads TOML but cannot write it, and the file is edited by hand (comments, order, tables
such as [keymap] and [policies]). So this edits lines: a key that is present gets its value
replaced in place (its trailing comment kept); a missing key is added to its table, a missing
table at the end. The result is parsed again and must equal the old content plus exactly the new
values; otherwise nothing is written and the error says what to add by hand. The file is replaced
atomically, keeping its permissions.
"""

from __future__ import annotations

import copy
import os
import re
import tempfile
import tomllib
from pathlib import Path

_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_-]+)\s*\]\s*(#.*)?$")
_ANY_HEADER = re.compile(r"^\s*\[")
_STRING_VALUE = re.compile(r"""=\s*("(?:[^"\\]|\\.)*"|'[^']*')\s*(#.*)?$""")


class ConfigWriteError(Exception):
    """The file could not be updated safely; the message is one line."""


def toml_string(value: str) -> str:
    """A TOML basic string."""
    out = []
    for ch in value:
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch != "\t" and (ord(ch) < 0x20 or ord(ch) == 0x7F):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def update(path: Path, values: dict[str, str], tables: dict[str, dict[str, str]] | None = None) -> list[str]:
    """Set top-level `values` and `tables[name][key]` string settings. Returns the names that
    changed (`key` or `table.key`); writes nothing if none did."""
    tables = tables or {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except OSError as exc:
        raise ConfigWriteError(f"{path}: {exc.strerror}") from None
    try:
        before = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigWriteError(f"{path}: invalid TOML, not changed: {exc}") from None

    expected = copy.deepcopy(before)
    changed: list[str] = []
    for key, value in values.items():
        if before.get(key) != value:
            changed.append(key)
            expected[key] = value
    for table, items in tables.items():
        for key, value in items.items():
            if not isinstance(before.get(table, {}), dict) or before.get(table, {}).get(key) != value:
                changed.append(f"{table}.{key}")
                expected.setdefault(table, {})[key] = value
    if not changed:
        return []

    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    for key, value in values.items():
        if key in changed:
            _set(lines, None, key, value)
    for table, items in tables.items():
        for key, value in items.items():
            if f"{table}.{key}" in changed:
                _set(lines, table, key, value)
    new_text = "".join(lines)

    try:
        after = tomllib.loads(new_text)
    except tomllib.TOMLDecodeError:
        after = None
    if after != expected:
        wanted = ", ".join(f"{name} = {toml_string(_lookup(expected, name))}" for name in changed)
        raise ConfigWriteError(f"{path}: cannot update it safely; set by hand: {wanted}")
    _write(path, new_text)
    return changed


def _lookup(document: dict, name: str) -> str:
    table, _, key = name.rpartition(".")
    return (document.get(table) if table else document)[key]


def _section(lines: list[str], table: str | None) -> tuple[int, int] | None:
    """[start, end) line range of a table's body (None: the top level); None if the table is absent."""
    start = 0 if table is None else None
    for i, line in enumerate(lines):
        if not _ANY_HEADER.match(line):
            continue
        if start is not None:
            return start, i
        match = _HEADER.match(line)
        if match and match.group(1) == table:
            start = i + 1
    return (start, len(lines)) if start is not None else None


def _set(lines: list[str], table: str | None, key: str, value: str) -> None:
    new = f"{key} = {toml_string(value)}"
    section = _section(lines, table)
    if section is None:
        if lines and lines[-1].strip():
            lines.append("\n")
        lines += [f"[{table}]\n", new + "\n"]
        return
    start, end = section
    key_line = re.compile(rf"""^\s*({re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*=""")
    last_key = None
    for i in range(start, end):
        if key_line.match(lines[i]):
            match = _STRING_VALUE.search(lines[i])
            comment = f"  {match.group(2)}" if match and match.group(2) else ""
            lines[i] = new + comment + "\n"
            return
        if "=" in lines[i] and not lines[i].lstrip().startswith("#"):
            last_key = i
    if last_key is not None:
        lines.insert(last_key + 1, new + "\n")
        return
    where = start
    if table is None:
        # Above the first table, but below the comment block that opens the file.
        while where < end and (not lines[where].strip() or lines[where].lstrip().startswith("#")):
            where += 1
        if where == end and end < len(lines):
            lines.insert(end, new + "\n\n")
            return
    lines.insert(where, new + "\n")


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o600
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
