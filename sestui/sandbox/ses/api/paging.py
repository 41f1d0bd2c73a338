"""Pages of names for the List operations: ordered case-insensitively, NextToken an opaque
pointer after the last name returned (ses/next_token.py)."""

from __future__ import annotations

from ...http.protocol import ApiError
from ..next_token import BadToken, key_of, token_after


def page(names: list[str], token: str | None, size: int) -> tuple[list[str], str | None]:
    ordered = sorted(names, key=lambda n: (n.lower(), n))
    if token:
        after = key_of(token)
        ordered = [n for n in ordered if (n.lower(), n) > (after.lower(), after)]
    if len(ordered) > size:
        return ordered[:size], token_after(ordered[size - 1])
    return ordered, None


def api_page(names: list[str], p: dict, size_member: str, code: str,
             sizes: tuple[int, int] = (1, 1000), default: int = 1000) -> tuple[list[str], str | None]:
    """One page of a List operation: the page size in `size_member`, within `sizes` (the range the
    operation's API reference documents; 1-1000 where it documents none), `default` when absent
    or 0; a size out of range or a bad token is refused with the error `code` of that API version."""
    size = p.get(size_member)
    low, high = sizes
    if size is not None and not low <= size <= high:
        raise ApiError(code, f"{size_member} must be between {low} and {high}.")
    try:
        return page(names, p.get("NextToken"), size or default)
    except BadToken:
        raise ApiError(code, "The NextToken is invalid.") from None
