"""Effective settings: command-line flags, then `SESTUI_*` environment variables, then the TOML file,
then defaults. `sestui config` prints the result with where each value came from. What each key may
hold is config/schema.py's to say."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from sestui.config.file import read_document
from sestui.config.schema import (
    ACCOUNT_KEYS,
    SETTINGS,
    Account,
    Breakdown,
    ConfigError,
    ConfigTables,
    Policies,
    Wiring,
    parse_tables,
    parse_value,
)

__all__ = ["ACCOUNT_KEYS", "SETTINGS", "ConfigError", "Settings", "config_path", "default_db_path", "load"]


def config_path() -> Path:
    env = os.environ.get("SESTUI_CONFIG")
    if env:
        return Path(env).expanduser()
    return platformdirs.user_config_path("sestui") / "config.toml"


def default_db_path() -> Path:
    return platformdirs.user_data_path("sestui") / "events.db"


def db_target(value: str) -> Path | str:
    """A --db value: store URLs (`postgresql://`, `postgres://`, `sqlite:`) stay strings, the rest is a path."""
    if value.startswith(("postgresql://", "postgres://", "sqlite:")):
        return value
    return Path(value).expanduser()


@dataclass
class Settings:
    values: dict[str, Any]
    sources: dict[str, str]
    file: Path
    tables: dict[str, Any] = field(default_factory=dict)  # [keymap], [policies], ... as in the file
    config_tables: ConfigTables = field(default_factory=ConfigTables)  # the same, typed

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def db_path(self) -> Path | str:
        """The event database: a Path, or a `postgresql://` URL / `sqlite:PATH` string as given."""
        return db_target(self.values["db"]) if self.values["db"] else default_db_path()

    @property
    def keymap(self) -> dict[str, str]:
        return dict(self.config_tables.keymap)

    @property
    def policies(self) -> Policies:
        return self.config_tables.policies

    @property
    def wiring(self) -> Wiring:
        return self.config_tables.wiring

    @property
    def breakdown(self) -> Breakdown:
        """[breakdown]: min_volume, campaign_tag."""
        return self.config_tables.breakdown

    @property
    def account_tables(self) -> dict[str, Account]:
        """[accounts.NAME], typed, each with its database (default: NAME.db beside the default one)."""
        return {name: account if account.db else _with_db(account)
                for name, account in self.config_tables.accounts.items()}

    @property
    def accounts(self) -> dict[str, dict[str, str]]:
        """[accounts.NAME] tables as plain strings: other accounts/regions the console can switch
        to, each with its own queue and database."""
        return {name: account.as_dict() for name, account in self.account_tables.items()}


def _with_db(account: Account) -> Account:
    from dataclasses import replace

    return replace(account, db=str(default_db_path().with_name(f"{account.name}.db")))


def load(flags: Mapping[str, Any] | None = None, *, env: Mapping[str, str] | None = None,
         path: Path | None = None) -> Settings:
    """Resolve every setting. `flags` holds command-line values (None = not given)."""
    flags = flags or {}
    env = os.environ if env is None else env
    path = path or config_path()
    file_values = read_document(path)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, (_parse, default, _help) in SETTINGS.items():
        env_name = f"SESTUI_{name.upper()}"
        if flags.get(name) is not None:
            raw, source = flags[name], "flag --" + name.replace("_", "-")
        elif env.get(env_name):
            raw, source = env[env_name], f"environment {env_name}"
        elif name in file_values:
            raw, source = file_values[name], f"file {path}"
        else:
            values[name], sources[name] = (list(default) if isinstance(default, list) else default), "default"
            continue
        values[name] = parse_value(name, raw, source)
        sources[name] = source
    typed = parse_tables(file_values, path)
    tables = {k: v for k, v in file_values.items() if k not in SETTINGS}
    return Settings(values, sources, path, tables, typed)
