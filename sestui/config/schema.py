"""What the config file may hold, typed and validated in this one place.

Top-level keys are the settings of SETTINGS (each also a flag and a SESTUI_* variable); tables are
[keymap], [policies], [wiring], [breakdown] and [accounts.NAME]; arrays of tables ([[rules]], [[guards]]) are
checked for shape here and handed on as they are. Every error is one line naming the file and the
key. The writer (file.py) checks what it would write with the same functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any


class ConfigError(Exception):
    """A setting that cannot be used, as one line naming the setting and where it came from."""


# --- top-level values -----------------------------------------------------------------------------


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
        raise TypeError(f"not a number of seconds: {value!r}")
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


def _retention_days(value: Any) -> int | None:
    if value in (None, "", 0, "0"):
        return None
    days = _positive_int(value)
    if days > timedelta.max.days:
        raise ValueError(f"at most {timedelta.max.days} days, got {days}")
    return days


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
    "retention_days": (_retention_days, None, "prune events older than this many days"),
    "read_only": (_bool, False, "hide every action that changes AWS"),
    "theme": (str, None, "Textual theme name"),
}


def parse_value(name: str, raw: Any, source: str) -> Any:
    """One top-level setting; ConfigError `NAME from SOURCE: why`."""
    parse = SETTINGS[name][0]
    try:
        return parse(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name} from {source}: {exc}") from None


# --- tables ---------------------------------------------------------------------------------------

POLICY_RULES = ("complaint", "hard_bounce", "soft_bounce")
POLICY_MODES = ("off", "dry-run", "on")


@dataclass
class Policies:
    """[policies]: each rule off, dry-run or on; the soft-bounce threshold. Not frozen: the
    console's toggles change ops.policies.PolicyConfig, which is these fields."""

    complaint: str = "off"
    hard_bounce: str = "off"
    soft_bounce: str = "off"
    soft_bounce_count: int = 3
    soft_bounce_days: int = 7


@dataclass(frozen=True)
class Breakdown:
    """[breakdown]: the volume below which a group's rate is shown but not coloured (and the default
    minimum of a guard over a local group), and the message tag whose values are the campaigns."""

    min_volume: int = 100
    campaign_tag: str = "campaign"


@dataclass(frozen=True)
class Wiring:
    """[wiring]: what `sestui setup` made (written by it, read by doctor and the console)."""

    identity: str | None = None
    configuration_set: str | None = None
    topic_arn: str | None = None


@dataclass(frozen=True)
class Account:
    """[accounts.NAME]: another account/region the console can switch to, with its own database."""

    name: str
    db: str | None = None  # None: NAME.db beside the default database (settings.py knows where)
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    queue_url: str | None = None
    configuration_set: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name != "name" and getattr(self, f.name) is not None}


ACCOUNT_KEYS = frozenset(f.name for f in fields(Account)) - {"name"}


@dataclass(frozen=True)
class ConfigTables:
    keymap: dict[str, str] = field(default_factory=dict)
    policies: Policies = field(default_factory=Policies)
    wiring: Wiring = field(default_factory=Wiring)
    accounts: dict[str, Account] = field(default_factory=dict)
    rules: list[dict[str, Any]] = field(default_factory=list)
    guards: list[dict[str, Any]] = field(default_factory=list)
    breakdown: Breakdown = field(default_factory=Breakdown)


def _unknown(where: str, table: Mapping[str, Any], known: frozenset[str] | set[str]) -> None:
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ValueError(f"{where} has no setting {unknown[0]!r} (known: {', '.join(sorted(known))})")


def _strings(where: str, table: Mapping[str, Any]) -> dict[str, str]:
    for key, value in table.items():
        if not isinstance(value, str):
            raise TypeError(f"{where} {key} must be a string, not {value!r}")
    return dict(table)


def _keymap(table: Mapping[str, Any]) -> dict[str, str]:
    """Binding id -> keys (comma-separated). Which ids exist is the console's to say."""
    return _strings("[keymap]", table)


def parse_policies(table: Mapping[str, Any]) -> Policies:
    """[policies] checked; ValueError names a bad entry."""
    _unknown("[policies]", table, {f.name for f in fields(Policies)})
    for key, value in table.items():
        if key in POLICY_RULES:
            if value not in POLICY_MODES:
                raise ValueError(f"[policies] {key} must be one of {', '.join(POLICY_MODES)}, not {value!r}")
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"[policies] {key} must be a whole number of at least 1")
    return Policies(**table)


def parse_breakdown(table: Mapping[str, Any]) -> Breakdown:
    """[breakdown] checked; ValueError names a bad entry."""
    _unknown("[breakdown]", table, {f.name for f in fields(Breakdown)})
    if "min_volume" in table:
        value = table["min_volume"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"[breakdown] min_volume must be a whole number of at least 0, not {value!r}")
    if "campaign_tag" in table:
        value = table["campaign_tag"]
        if not isinstance(value, str) or not value.strip() or value != value.strip():
            raise ValueError(f"[breakdown] campaign_tag must be a tag name (e.g. \"campaign\"), not {value!r}")
    return Breakdown(**table)


def _wiring(table: Mapping[str, Any]) -> Wiring:
    _unknown("[wiring]", table, {f.name for f in fields(Wiring)})
    return Wiring(**_strings("[wiring]", table))


def _accounts(table: Mapping[str, Any]) -> dict[str, Account]:
    found: dict[str, Account] = {}
    for name, account in table.items():
        where = f"[accounts.{name}]"
        if not isinstance(account, dict):
            raise TypeError(f"{where} must be a table")
        _unknown(where, account, ACCOUNT_KEYS)
        found[str(name)] = Account(name=str(name), **_strings(where, account))
    return found


def _array_of_tables(name: str) -> Callable[[Any], list[dict[str, Any]]]:
    def parse(value: Any) -> list[dict[str, Any]]:
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise TypeError(f"{name} must be an array of tables ([[{name}]])")
        return list(value)

    return parse


ARRAYS = ("rules", "guards")

# table name -> parser of its content. A new table or array of tables is one more entry here.
TABLES: dict[str, Callable[[Any], Any]] = {
    "keymap": _keymap,
    "policies": parse_policies,
    "wiring": _wiring,
    "accounts": _accounts,
    "rules": _array_of_tables("rules"),
    "guards": _array_of_tables("guards"),
    "breakdown": parse_breakdown,
}


def parse_tables(document: Mapping[str, Any], path: Path) -> ConfigTables:
    """The file's tables, typed; ConfigError `PATH: what is wrong` naming the table and key."""
    for key, value in document.items():
        if key in SETTINGS:
            continue
        if key not in TABLES:
            if isinstance(value, dict):
                raise ConfigError(f"{path}: unknown table [{key}] (known: {', '.join(sorted(TABLES))})")
            raise ConfigError(f"{path}: unknown setting {key!r} (see `sestui config`)")
        if key not in ARRAYS and not isinstance(value, dict):
            raise ConfigError(f"{path}: {key} must be a table ([{key}])")
    parsed: dict[str, Any] = {}
    try:
        for key, parse in TABLES.items():
            if key in document:
                parsed[key] = parse(document[key])
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return ConfigTables(**parsed)


def check_document(document: Mapping[str, Any], path: Path) -> None:
    """Every top-level value and table of a whole file, as `load` would read it."""
    for name in SETTINGS:
        if name in document:
            parse_value(name, document[name], f"file {path}")
    parse_tables(document, path)
