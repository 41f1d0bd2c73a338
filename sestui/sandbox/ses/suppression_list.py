"""The account-level suppression list (SESv2 PutSuppressedDestination and friends)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import datetime

from .next_token import key_of, token_after

MAX_PAGE_SIZE = 1000

_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def is_email_address(text: str) -> bool:
    return bool(_ADDRESS.match(text))


@dataclass(frozen=True)
class Suppressed:
    email_address: str
    reason: str  # BOUNCE | COMPLAINT
    last_update_time: datetime  # aware UTC
    message_id: str | None = None
    feedback_id: str | None = None


class SuppressionList:
    """Entries keyed case-insensitively; listing is ordered by address so that NextToken (the
    last address returned) stays valid while entries are added or removed between pages."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, Suppressed] = {}

    def put(self, entry: Suppressed) -> None:
        with self._lock:
            self._entries[entry.email_address.lower()] = entry

    def get(self, address: str) -> Suppressed | None:
        with self._lock:
            return self._entries.get(address.lower())

    def delete(self, address: str) -> bool:
        with self._lock:
            return self._entries.pop(address.lower(), None) is not None

    def __len__(self) -> int:
        return len(self._entries)

    def page(
        self,
        *,
        reasons: list[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        token: str | None = None,
        size: int = MAX_PAGE_SIZE,
    ) -> tuple[list[Suppressed], str | None]:
        """One page of entries updated within [start, end] with one of `reasons`."""
        after = key_of(token) if token else None
        with self._lock:
            keys = sorted(k for k in self._entries if after is None or k > after)
            selected: list[tuple[str, Suppressed]] = []
            for key in keys:
                entry = self._entries[key]
                if reasons and entry.reason not in reasons:
                    continue
                if start is not None and entry.last_update_time < start:
                    continue
                if end is not None and entry.last_update_time > end:
                    continue
                selected.append((key, entry))
                if len(selected) > size:
                    break
        if len(selected) > size:
            return [e for _, e in selected[:size]], token_after(selected[size - 1][0])
        return [e for _, e in selected], None
