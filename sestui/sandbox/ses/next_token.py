"""NextToken for the List operations: an opaque pointer after the last key returned, so that it
stays valid while entries come and go."""

from __future__ import annotations

import base64
import binascii
import json


class BadToken(ValueError):
    """A NextToken this sandbox did not issue."""


def token_after(key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": key}).encode()).decode()


def key_of(token: str) -> str:
    """The key a token points after; BadToken for one this sandbox did not issue."""
    try:
        value = json.loads(base64.urlsafe_b64decode(token.encode()))["after"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise BadToken(token) from None
    if not isinstance(value, str):
        raise BadToken(token)
    return value
