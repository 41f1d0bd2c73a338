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


def api_page(names: list[str], p: dict, size_member: str, code: str) -> tuple[list[str], str | None]:
    """One page of a List operation: the page size in `size_member` (1-1000, default 1000 as SES
    documents); a bad size or token is refused with the error `code` of that API version."""
    size = p.get(size_member)
    size = 1000 if size is None else size
    if not 1 <= size <= 1000:
        raise ApiError(code, f"{size_member} must be between 1 and 1000.")
    try:
        return page(names, p.get("NextToken"), size)
    except BadToken:
        raise ApiError(code, "The NextToken is invalid.") from None
