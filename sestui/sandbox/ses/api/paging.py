"""Pages of names for the List operations: ordered case-insensitively, NextToken is an opaque
pointer after the last name returned (so it stays valid while entries come and go)."""

from __future__ import annotations

import base64
import binascii
import json


class BadToken(ValueError):
    """A NextToken this sandbox did not issue."""


def page(names: list[str], token: str | None, size: int) -> tuple[list[str], str | None]:
    ordered = sorted(names, key=lambda n: (n.lower(), n))
    if token:
        after = _decode(token)
        ordered = [n for n in ordered if (n.lower(), n) > (after.lower(), after)]
    if len(ordered) > size:
        return ordered[:size], _encode(ordered[size - 1])
    return ordered, None


def _encode(name: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": name}).encode()).decode()


def _decode(token: str) -> str:
    try:
        value = json.loads(base64.urlsafe_b64decode(token.encode()))["after"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise BadToken(token) from None
    if not isinstance(value, str):
        raise BadToken(token)
    return value
