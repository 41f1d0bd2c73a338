"""Settings: flags > SESTUI_* environment > the TOML config file > defaults.

    settings.py  load(flags) -> Settings (values, sources, typed tables); config_path(), default_db_path()
    schema.py    what the file may hold: SETTINGS (top-level keys), the tables' dataclasses, ConfigError
    file.py      read_document(path); update(path, values, tables) writes through tomlkit (ConfigWriteError)
"""

from sestui.config.file import ConfigWriteError, read_document, update
from sestui.config.schema import Account, ConfigError, ConfigTables, Policies, Wiring
from sestui.config.settings import (
           SETTINGS,
           Settings,
           config_path,
           default_db_path,
           load,
)

__all__ = ["SETTINGS", "Account", "ConfigError", "ConfigTables", "ConfigWriteError", "Policies", "Settings", "Wiring",
           "config_path", "default_db_path", "load", "read_document", "update"]
