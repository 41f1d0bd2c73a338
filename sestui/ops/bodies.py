"""Read SQS message bodies from files, streaming: the three shapes `sestui ingest` accepts.

* JSON Lines, one body per line (a line may also be one `aws sqs receive-message` output);
* a JSON array whose items are bodies, as decoded objects or as strings;
* the output of `aws sqs receive-message`: {"Messages": [{"Body": "..."}, ...]}, pretty-printed or not.

Bodies are yielded as text exactly as found (a line, an array item's source text, a `Body` string);
whether they are SES events is for `events.parse_body` to say.
"""

from __future__ import annotations

import codecs
import json
import shutil
import tempfile
from typing import BinaryIO, Iterator

CHUNK = 1 << 20
WHOLE_DOCUMENT_LIMIT = 64 << 20  # a pretty-printed document is read whole only up to this size


class BodyFileError(Exception):
    """The file cannot be read as any of the accepted shapes (from the point given on)."""


def iter_bodies(f: BinaryIO) -> Iterator[str | bytes]:
    """Yield each body in the file. `f` is a binary file; its position tracks progress.

    Telling the shapes apart needs to look back, so a pipe (`sestui ingest -`) is first copied to
    a spooled temporary file (in memory while small).
    """
    if not f.seekable():
        spool = tempfile.SpooledTemporaryFile(max_size=CHUNK * 8)
        shutil.copyfileobj(f, spool, CHUNK)
        spool.seek(0)
        f = spool  # type: ignore[assignment]
    first = _peek_nonspace(f)
    if first is None:
        return
    if first == b"[":
        yield from _array_items(f)
        return
    start = f.tell()
    first_line = f.readline()
    if _is_json(first_line):
        yield from _expand_line(first_line)
        yield from _lines(f)
        return
    # Not one JSON value per line: a pretty-printed document, or JSON Lines with a junk first line.
    f.seek(start)
    text = f.read(WHOLE_DOCUMENT_LIMIT + 1)
    if len(text) <= WHOLE_DOCUMENT_LIMIT:
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError):
            doc = None
        if isinstance(doc, dict):
            messages = _receive_messages(doc)
            yield from messages if messages is not None else [text]
            return
    f.seek(start)
    yield from _lines(f)


def _lines(f: BinaryIO) -> Iterator[str | bytes]:
    for line in f:
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith(b'{"Messages"'):
            yield from _expand_line(stripped)
            continue
        try:  # the usual line, one body: inline, as this loop runs once per body
            yield stripped.decode("utf-8")
        except UnicodeDecodeError:
            yield stripped


def _expand_line(line: bytes) -> Iterator[str | bytes]:
    stripped = line.strip()
    if stripped.startswith(b'{"Messages"'):
        try:
            messages = _receive_messages(json.loads(stripped))
        except (ValueError, RecursionError):
            messages = None
        if messages is not None:
            yield from messages
            return
    try:
        yield stripped.decode("utf-8")
    except UnicodeDecodeError:
        yield stripped  # the parser quarantines it with the reason; the store keeps the bytes


def _receive_messages(doc: dict) -> list[str] | None:
    """Bodies of a receive-message output, or None if `doc` is not one."""
    messages = doc.get("Messages")
    if not isinstance(messages, list) or set(doc) - {"Messages", "ResponseMetadata"}:
        return None
    out = []
    for item in messages:
        body = item.get("Body") if isinstance(item, dict) else None
        out.append(body if isinstance(body, str) else json.dumps(item, ensure_ascii=False))
    return out


def _array_items(f: BinaryIO) -> Iterator[str]:
    decoder = json.JSONDecoder()
    utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
    buf = utf8.decode(f.read(CHUNK))
    pos = buf.index("[") + 1
    eof = False
    expect_item = True
    while True:
        pos = _skip_space(buf, pos)
        if pos >= len(buf):
            if eof:
                raise BodyFileError("JSON array is not closed")
            buf, pos, eof = _refill(f, utf8, buf, pos)
            continue
        ch = buf[pos]
        if ch == "]":
            return
        if ch == ",":
            if expect_item:
                raise BodyFileError(f"unexpected ',' in JSON array near character {pos}")
            expect_item = True
            pos += 1
            continue
        try:
            value, end = decoder.raw_decode(buf, pos)
        except (json.JSONDecodeError, RecursionError) as exc:
            if not eof:
                buf, pos, eof = _refill(f, utf8, buf, pos)
                continue
            msg = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            raise BodyFileError(f"invalid JSON array item: {msg}") from None
        yield value if isinstance(value, str) else buf[pos:end]
        expect_item = False
        pos = end


def _refill(f: BinaryIO, utf8, buf: str, pos: int) -> tuple[str, int, bool]:
    chunk = f.read(CHUNK)
    eof = not chunk
    return buf[pos:] + utf8.decode(chunk, final=eof), 0, eof


def _skip_space(buf: str, pos: int) -> int:
    n = len(buf)
    while pos < n and buf[pos] in " \t\r\n":
        pos += 1
    return pos


def _peek_nonspace(f: BinaryIO) -> bytes | None:
    """Advance past leading white space (and a UTF-8 BOM); return the first byte without consuming it."""
    while True:
        pos = f.tell()
        chunk = f.read(4096)
        if not chunk:
            return None
        stripped = chunk.lstrip(b" \t\r\n\xef\xbb\xbf")
        if stripped:
            f.seek(pos + len(chunk) - len(stripped))
            return stripped[:1]


def _is_json(line: bytes) -> bool:
    try:
        json.loads(line)
        return True
    except (ValueError, RecursionError):
        return False
