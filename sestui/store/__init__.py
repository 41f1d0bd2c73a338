"""The event database. Every SQL statement sestui runs lives in this package.

base.py is the Store protocol the rest of sestui uses; sqlite.py implements it on SQLite.
"""

from sestui.core.classify import STATUS_RANK, status_of
from sestui.store.base import AddResult, StoreError, StoreFull, from_ms, iso_ms, now_ms, to_ms
from sestui.store.rows import Rows
from sestui.store.schema import MIGRATIONS
from sestui.store.sqlite import Store

__all__ = ["MIGRATIONS", "STATUS_RANK", "AddResult", "Rows", "Store", "StoreError", "StoreFull", "from_ms",
           "iso_ms", "now_ms", "status_of", "to_ms"]
