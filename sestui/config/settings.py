"""Effective settings: command-line flags, then `SESTUI_*` environment variables, then the TOML file,
then defaults. `sestui config` prints the result with where each value came from."""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import platformdirs


class ConfigError(Exception):
    """A setting that cannot be used, as one line naming the setting and where it came from."""


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _int(value: Any) -> int:
    """A whole number: 4, "4" or 4.0; not true (which int() reads as 1) nor 4.5 (which it truncates)."""
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError(f"not a whole number: {value!r}")
    return int(value)


def _positive_int(value: Any) -> int:
    number = _int(value)
    if number < 1:
        raise ValueError(f"must be at least 1, got {number}")
    return number


def _seconds(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError(f"not a number of seconds: {value!r}")
    number = float(value)
    if math.isnan(number):
        raise ValueError(f"not a number of seconds: {value!r}")
    if number < 0:
        raise ValueError(f"must not be negative, got {number}")
    return number


def _poll_seconds(value: Any) -> float:
    """An interval between SES account polls: their APIs allow one request per second."""
    number = _seconds(value)
    if number < 1:
        raise ValueError(f"SES allows one request per second: poll at most once a second, got {number}")
    return number


def _wait_seconds(value: Any) -> int:
    number = _int(value)
    if not 0 <= number <= 20:
        raise ValueError(f"SQS long polling takes 0..20 seconds, got {number}")
    return number


def _str_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ValueError(f"not a list of strings: {value!r}")


def _opt_int(value: Any) -> int | None:
    if value in (None, "", 0, "0"):
        return None
    return _positive_int(value)


# name -> (parser, default, help). The TOML key and the flag (`--name-with-dashes`) use the same name;
# the environment variable is SESTUI_<NAME>.
SETTINGS: dict[str, tuple[Callable[[Any], Any], Any, str]] = {
    "profile": (str, None, "AWS profile"),
    "region": (str, None, "AWS region"),
    "endpoint_url": (str, None, "AWS endpoint URL (a local emulator)"),
    "queue_url": (str, None, "SQS queue that receives the SES notifications"),
    "db": (str, None, "event database file"),
    "receivers": (_positive_int, 4, "parallel SQS receivers in the collector"),
    "wait_seconds": (_wait_seconds, 20, "SQS long-polling wait (0..20 s)"),
    "visibility_timeout": (_positive_int, 60, "seconds a received message stays hidden until deleted"),
    "account_interval": (_poll_seconds, 60.0, "seconds between account status polls"),
    "stats_interval": (_poll_seconds, 300.0, "seconds between sending-statistics polls"),
    "verify_signatures": (_bool, False, "verify SNS signatures of received notifications"),
    "topic_allowlist": (_str_list, [], "SNS topic ARNs accepted when verifying signatures"),
    "retention_days": (_opt_int, None, "prune events older than this many days"),
    "read_only": (_bool, False, "hide every action that changes AWS"),
    "theme": (str, None, "Textual theme name"),
}


def config_path() -> Path:
    env = os.environ.get("SESTUI_CONFIG")
    if env:
        return Path(env).expanduser()
    return platformdirs.user_config_path("sestui") / "config.toml"


def default_db_path() -> Path:
    return platformdirs.user_data_path("sestui") / "events.db"


@dataclass
class Settings:
    values: dict[str, Any]
    sources: dict[str, str]
    file: Path
    tables: dict[str, Any] = field(default_factory=dict)  # [keymap], [policies], ... from the file

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def db_path(self) -> Path:
        return Path(self.values["db"]).expanduser() if self.values["db"] else default_db_path()

    @property
    def keymap(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in (self.tables.get("keymap") or {}).items()}

    @property
    def accounts(self) -> dict[str, dict[str, str]]:
        """[accounts.NAME] tables: other accounts/regions the console can switch to, each with its
        own queue and database (default: NAME.db beside the default database)."""
        found: dict[str, dict[str, str]] = {}
        for name, table in (self.tables.get("accounts") or {}).items():
            if not isinstance(table, dict):
                raise ConfigError(f"{self.file}: [accounts.{name}] must be a table")
            unknown = sorted(set(table) - ACCOUNT_KEYS)
            if unknown:
                raise ConfigError(f"{self.file}: [accounts.{name}] has no setting {unknown[0]!r} "
                                  f"(known: {', '.join(sorted(ACCOUNT_KEYS))})")
            account = {k: str(v) for k, v in table.items()}
            account.setdefault("db", str(default_db_path().with_name(f"{name}.db")))
            found[str(name)] = account
        return found


ARRAY_TABLES = ("rules", "guards")  # [[rules]], [[guards]]: read by ops/routing.py

ACCOUNT_KEYS = frozenset({"profile", "region", "endpoint_url", "queue_url", "db", "configuration_set"})


def load(flags: Mapping[str, Any] | None = None, *, env: Mapping[str, str] | None = None,
         path: Path | None = None) -> Settings:
    """Resolve every setting. `flags` holds command-line values (None = not given)."""
    flags = flags or {}
    env = os.environ if env is None else env
    path = path or config_path()
    file_values = _read_file(path)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, (parse, default, _help) in SETTINGS.items():
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
        try:
            values[name] = parse(raw)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{name} from {source}: {exc}") from None
        sources[name] = source
    tables = {k: v for k, v in file_values.items() if isinstance(v, dict) or k in ARRAY_TABLES}
    unknown = sorted(set(file_values) - set(SETTINGS) - set(tables))
    if unknown:
        raise ConfigError(f"{path}: unknown setting {unknown[0]!r} (see `sestui config`)")
    return Settings(values, sources, path, tables)


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None
