"""The TOML config file: reading it (UTF-8, one-line errors) and writing settings into it.

The file is edited by hand (comments, order, tables such as [keymap] and [policies]), so writes go
through tomlkit, which keeps all of that. What would be written is parsed again and must equal the
old content plus exactly the new values, and pass the schema; otherwise nothing is written and the
error says what to set by hand. A symlinked file is written where the link points, atomically,
keeping the file's permissions (0600 for a new one).
"""

from __future__ import annotations

import copy
import os
import tomllib
from pathlib import Path
from typing import Any

from sestui.config.schema import ConfigError, check_document
from sestui.private_file import replace_private


class ConfigWriteError(Exception):
    """The file could not be updated safely; the message is one line."""


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None


def read_text(path: Path) -> str | None:
    """The file's text; None if there is none. ConfigError if it cannot be read or is not UTF-8."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None
    return _decode(path, data)


def read_document(path: Path) -> dict[str, Any]:
    """The file as plain data ({} if absent). ConfigError (one line) if unreadable, not UTF-8 or not TOML."""
    text = read_text(path)
    if text is None:
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def toml_string(value: str) -> str:
    """A TOML basic string (as tomlkit writes it)."""
    import tomlkit

    return tomlkit.string(value).as_string()


def update(path: Path, values: dict[str, str], tables: dict[str, dict[str, str]] | None = None) -> list[str]:
    """Set top-level `values` and `tables[name][key]` string settings. Returns the names that
    changed (`key` or `table.key`); writes nothing if none did."""
    import tomlkit  # only writes need it (and it takes a while to import)
    from tomlkit.exceptions import TOMLKitError

    tables = tables or {}
    target = Path(os.path.realpath(path))  # through a symlink, to the file it names
    try:
        text = read_text(target) or ""
    except ConfigError as exc:
        raise ConfigWriteError(f"{exc} (not changed)") from None
    try:
        before = tomllib.loads(text)
        document = tomlkit.parse(text)
    except (tomllib.TOMLDecodeError, TOMLKitError) as exc:
        raise ConfigWriteError(f"{path}: invalid TOML, not changed: {exc}") from None

    expected = copy.deepcopy(before)
    changed: list[str] = []
    for key, value in values.items():
        if before.get(key) != value:
            changed.append(key)
            expected[key] = value
    for table, items in tables.items():
        current = before.get(table, {})
        for key, value in items.items():
            if not isinstance(current, dict) or current.get(key) != value:
                changed.append(f"{table}.{key}")
                if isinstance(expected.setdefault(table, {}), dict):
                    expected[table][key] = value
    if not changed:
        return []

    new_text = _edited(document, values, tables, changed)
    try:
        after = tomllib.loads(new_text) if new_text is not None else None
    except tomllib.TOMLDecodeError:
        after = None
    if new_text is None or after is None or after != expected:
        wanted = ", ".join(f"{name} = {toml_string(str(_lookup(values, tables, name)))}" for name in changed)
        raise ConfigWriteError(f"{path}: cannot update it safely; set by hand: {wanted}")
    try:
        check_document(after, path)
    except ConfigError as exc:
        raise ConfigWriteError(f"{exc} (not changed)") from None
    _write(target, new_text)
    return changed


def _edited(document: Any, values: dict[str, str], tables: dict[str, dict[str, str]],
            changed: list[str]) -> str | None:
    """The document's text with the changed values set; None where tomlkit cannot set them."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        for key, value in values.items():
            if key in changed:
                document[key] = value
        for table, items in tables.items():
            for key, value in items.items():
                if f"{table}.{key}" not in changed:
                    continue
                if table not in document:
                    document[table] = tomlkit.table()
                document[table][key] = value
        return tomlkit.dumps(document)
    except (TOMLKitError, TypeError, KeyError, AttributeError):
        return None


def _lookup(values: dict[str, str], tables: dict[str, dict[str, str]], name: str) -> str:
    table, _, key = name.rpartition(".")
    return tables[table][key] if table else values[key]


def _write(path: Path, text: str) -> None:
    """A new config file is 0600 (it may hold a webhook secret); one the user made 0640 stays so."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_private(path, text, keep_mode=True)
    except OSError as exc:
        raise ConfigWriteError(f"cannot write {path}: {exc.strerror or exc}") from None
