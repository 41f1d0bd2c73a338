"""The event database. Every SQL statement sestui runs lives in this package.

base.py is the Store protocol the rest of sestui uses; sqlite.py implements it on SQLite,
postgres/ on PostgreSQL (the shared team store). `open_store` picks one from a `--db` value.
"""

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sestui.core.classify import STATUS_RANK, status_of
from sestui.store.base import AddResult, StoreError, StoreFull, from_ms, iso_ms, now_ms, to_ms
from sestui.store.rows import Rows

if TYPE_CHECKING:
    from sestui.store.schema import MIGRATIONS
    from sestui.store.sqlite import Store

__all__ = ["MIGRATIONS", "STATUS_RANK", "AddResult", "Rows", "Store", "StoreError", "StoreFull", "from_ms",
           "is_url", "iso_ms", "now_ms", "open_store", "sqlite_file", "status_of", "to_ms"]

URL_PREFIXES = ("postgresql://", "postgres://")


def __getattr__(name: str) -> Any:
    # the SQLite store (and sqlite-utils, its migrations') only when asked for: not on a
    # `--db postgresql://` command's start
    if name == "Store":
        from sestui.store.sqlite import Store

        return Store
    if name == "MIGRATIONS":
        from sestui.store.schema import MIGRATIONS

        return MIGRATIONS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_url(target: "str | os.PathLike[str]") -> bool:
    """Whether a `--db` value names a database server rather than a SQLite file."""
    return isinstance(target, str) and target.startswith(URL_PREFIXES)


def open_store(target: "str | os.PathLike[str]", readonly: bool = False):
    """The store a `--db` value names: a `postgresql://` or `postgres://` URL the team store on
    PostgreSQL; a path, or `sqlite:PATH`, the SQLite file."""
    text = os.fspath(target)
    if text.startswith(URL_PREFIXES):
        try:
            from sestui.store.postgres import PostgresStore
        except ImportError as exc:
            raise StoreError(f"a postgresql:// database needs psycopg ({exc.name} is missing):"
                             " pip install 'sestui[postgresql]'") from None
        return PostgresStore(text, readonly=readonly)
    from sestui.store.sqlite import Store

    file = sqlite_file(text)
    assert file is not None
    return Store(file, readonly=readonly)


def sqlite_file(target: "str | os.PathLike[str]") -> Path | None:
    """The file a `--db` value names: a path, or `sqlite:PATH` (`sqlite://PATH`); None for a URL."""
    text = os.fspath(target)
    if text.startswith(URL_PREFIXES):
        return None
    if text.startswith("sqlite:"):
        text = text.removeprefix("sqlite:").removeprefix("//")
    return Path(text).expanduser()
