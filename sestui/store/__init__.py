"""The event database. Every SQL statement sestui runs lives in this package."""

from sestui.store.sqlite import (AddResult, Rows, Store, StoreError, from_ms, iso_ms, now_ms,
                                 status_of, to_ms)

__all__ = ["AddResult", "Rows", "Store", "StoreError", "from_ms", "iso_ms", "now_ms", "status_of", "to_ms"]
