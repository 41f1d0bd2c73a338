"""Values read out of SES records: timestamps, strings, lists, as the parser needs them. Pure."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson


class _Reject(Exception):
    """A body that is not an SES event; the message is the quarantine reason."""


MAX_FUTURE = timedelta(days=1)  # how far ahead of this clock an event may be dated (clock skew)
MAX_BODY_CHARS = 2 * 1024 * 1024  # SQS allows 1 MiB; anything far beyond is not an SES record


def parse_timestamp(value: Any, latest: datetime | None = None) -> datetime:
    """ISO 8601 (with or without fraction, `Z` or offset) -> aware UTC, truncated to milliseconds.
    `latest`: now + MAX_FUTURE as read from the clock earlier; only a time beyond it is checked
    against the clock again (the answer is the same; the clock is read once per batch, not per call)."""
    if not isinstance(value, str):
        raise _Reject(f"timestamp is not a string: {_short(repr(value))}")
    text = value.strip()
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise _Reject(f"bad timestamp {_short(text)!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    elif when.tzinfo is not timezone.utc:  # `Z`, as SES writes it, already parses to timezone.utc
        when = when.astimezone(timezone.utc)
    # An event from the future would count in the 1 h and 24 h rates until that day comes.
    if (latest is None or when > latest) and when > datetime.now(timezone.utc) + MAX_FUTURE:
        raise _Reject(f"timestamp {_short(text)!r} is in the future (more than 1 day ahead of this machine's clock)")
    if when.microsecond % 1000:
        when = when.replace(microsecond=when.microsecond - when.microsecond % 1000)
    return when


class Memo:
    """What the bodies of one batch share, to parse them sooner: each timestamp text parsed once (a
    message's records repeat its mail.timestamp), the clock read once, and the last tags seen to be
    as SES writes them (most messages carry the same). Only what was found valid is kept."""

    __slots__ = ("_latest", "times", "plain_tags")

    def __init__(self) -> None:
        self._latest = datetime.now(timezone.utc) + MAX_FUTURE
        self.times: dict[str, datetime] = {}  # a caller may look a text up itself before calling timestamp()
        self.plain_tags: dict = {}

    def timestamp(self, value: Any) -> datetime:
        """parse_timestamp(value)"""
        when = self.times.get(value) if type(value) is str else None
        if when is None:
            when = parse_timestamp(value, self._latest)
            if type(value) is str:
                self.times[value] = when
        return when


_raw_decode = json.JSONDecoder().raw_decode


def exact_loads(text: str | bytes, *, long_digits: bool | None = None) -> Any:
    """orjson.loads where its answer is the stdlib's, five times sooner; ValueError where it may not be:
    what it refuses (NaN, a lone surrogate, invalid UTF-8, nesting deeper than 254) and a number it read
    as a float that may have been an integer beyond 64 bits (the stdlib keeps every digit).
    `long_digits`: whether `text` holds 19 digits in a row, when the caller knows (None: look)."""
    value = orjson.loads(text)  # its JSONDecodeError is a ValueError
    if long_digits is None:
        if type(text) is str and _written_back(value, text):
            return value
        long_digits = has_long_digit_run(text)
    if long_digits and _holds_huge_float(value):
        raise ValueError("may hold an integer beyond 64 bits")
    return value


def _written_back(value: Any, text: str) -> bool:
    """Whether orjson writes `value` back as `text` (compact JSON, as SES writes a record): then no
    integer became a float (orjson writes a float with a '.' or an 'e'). Sooner known than by looking."""
    try:
        return orjson.dumps(value) == text.encode()
    except TypeError:  # orjson.JSONEncodeError: nested deeper than it writes
        return False


# An integer of 2**63 or more (which orjson reads as a float) is written with 19 digits or more: a
# text without 19 in a row holds none. Looking costs a fifth of walking the values.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_RUN = b"0" * 19


def has_long_digit_run(text: str | bytes) -> bool:
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    return _LONG_RUN in data.translate(_DIGITS_AS_ZERO)


def _holds_huge_float(value: Any) -> bool:
    # orjson makes exact dicts, lists, str, int, float, bool and None: `type() is` is enough
    if type(value) is not dict and type(value) is not list:
        return type(value) is float and abs(value) >= _BEYOND_64_BITS
    stack = [value]
    pop, push = stack.pop, stack.append
    while stack:
        item = pop()
        for v in item.values() if type(item) is dict else item:
            kind = type(v)
            if kind is dict or kind is list:
                push(v)
            elif kind is float and abs(v) >= _BEYOND_64_BITS:
                return True
    return False


_BEYOND_64_BITS = 2.0 ** 63


def _loads(text: str, what: str, *, long_digits: bool | None = None) -> Any:
    try:
        # what it accepts needs no repair; the stdlib decides and explains the rest
        return exact_loads(text, long_digits=long_digits)
    except ValueError:
        pass
    try:
        value, end = _raw_decode(text)
    except json.JSONDecodeError:
        end = -1
    if end != len(text):  # white space around it, something after it, or not JSON: json.loads decides
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _Reject(f"{what} is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    if "\\u" in text and ("\\ud" in text or "\\uD" in text):  # may escape a lone surrogate: rare
        value = _without_surrogates(value)
    return value


def _load_outer(body: Any) -> tuple[str, Any, bool]:
    """(body as text, its JSON value, whether it holds 19 digits in a row), or a reason to refuse it."""
    if isinstance(body, (bytes, bytearray)):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            raise _Reject("body is not UTF-8") from None
    if not isinstance(body, str):
        raise _Reject(f"body is a {type(body).__name__}, not text")
    if len(body) > MAX_BODY_CHARS:
        raise _Reject(f"body too large ({len(body)} characters)")
    if not body.strip():
        raise _Reject("empty body")
    body = valid_text(body)
    long_digits = has_long_digit_run(body)
    return body, _loads(body, "body", long_digits=long_digits), long_digits


def valid_text(text: str) -> str:
    """`text` with lone UTF-16 surrogates (which UTF-8, hence SQLite and terminals, cannot carry,
    e.g. a header cut inside an emoji) replaced by U+FFFD; everything else kept as is."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _without_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, list):
        return [_without_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {valid_text(k): _without_surrogates(v) for k, v in value.items()}
    return value


def _opt_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, bool)):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _str_list(value: Any) -> list[str]:
    if type(value) is list:
        if len(value) == 1 and type(value[0]) is str:  # the usual tag value or destination
            return value
        return [v for v in value if isinstance(v, str)]
    if isinstance(value, str):
        return [value]
    return []


def _json_kind(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _addressed(items: Any, extra_key: str | None) -> list[tuple[str, str | None]]:
    """[{emailAddress, ...}] -> [(address, item[extra_key])], skipping entries without an address."""
    return [(addr, _opt_str(item.get(extra_key)) if extra_key else None) for addr, item in _entries(items)]


def _entries(items: Any) -> list[tuple[str, dict]]:
    """[{emailAddress, ...}] -> [(address, entry)], skipping entries without an address or repeated."""
    if not isinstance(items, list):
        return []
    out, seen = [], set()
    for item in items:
        if not isinstance(item, dict):
            continue
        addr = _opt_str(item.get("emailAddress"))
        if not addr or addr in seen:
            continue
        seen.add(addr)
        out.append((addr, item))
    return out


def _dedupe(addrs: list[str]) -> list[str]:
    if len(addrs) == 1:
        return addrs if addrs[0] else []
    return list(dict.fromkeys(a for a in addrs if a))
