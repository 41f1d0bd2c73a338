"""Read SQS message bodies from files, streaming: the three shapes `sestui ingest` accepts.

* JSON Lines, one body per line (a line may also be one `aws sqs receive-message` output);
* a JSON array whose items are bodies, as decoded objects or as strings;
* the output of `aws sqs receive-message`: {"Messages": [{"Body": "..."}, ...]}, pretty-printed or not.

Bodies are yielded as text exactly as found (a line, an array item's source text, a `Body` string);
whether they are SES events is for `events.parse_body` to say. Nothing is read whole: an array is
read item by item (a bad item is yielded as its text, for the parser to quarantine, and the next
follows), and a body larger than SQS allows comes back as `Oversized`, skipped unread.
"""

from __future__ import annotations

import codecs
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

CHUNK = 1 << 20
MAX_BODY = 1 << 20  # characters: SQS allows a body of 1 MiB; a bigger item is skipped unread
HEAD = 4096  # characters of a skipped body kept in the quarantine
_DECODER = json.JSONDecoder()
WHOLE_DOCUMENT_LIMIT = 64 << 20  # a pretty-printed document is read whole only up to this size


class BodyFileError(Exception):
    """The file cannot be read as any of the accepted shapes (from the point given on)."""


def iter_bodies(f: BinaryIO) -> Iterator[str | bytes | Oversized]:
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
    first_line = f.readline(MAX_BODY + 2)
    if len(first_line) > MAX_BODY + 1 and not first_line.endswith(b"\n"):  # no document, no body
        f.seek(start)
        yield from _lines(f)
        return
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


def _lines(f: BinaryIO) -> Iterator[str | bytes | Oversized]:
    while line := f.readline(MAX_BODY + 2):
        if len(line) > MAX_BODY + 1 and not line.endswith(b"\n"):
            yield _skip_line(f, line)
            continue
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


def _skip_line(f: BinaryIO, start: bytes) -> Oversized:
    """The rest of a line too long to be a body, read a chunk at a time and dropped."""
    size = len(start)
    while more := f.readline(CHUNK):
        size += len(more)
        if more.endswith(b"\n"):
            size -= 1
            break
    return Oversized(start[:HEAD].decode("utf-8", "replace"), size)


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


@dataclass(frozen=True)
class Oversized:
    """A body larger than SQS allows, skipped without being read whole: its first characters and
    its size. Ingest quarantines it (with `head` as the kept body)."""

    head: str
    size: int  # characters (bytes for a line that is not UTF-8)

    @property
    def reason(self) -> str:
        return (f"body too large: {self.size:,} characters, more than SQS allows (1 MiB); skipped unread, "
                f"its first {len(self.head):,} kept")


_STRUCT = re.compile(r'["{}\[\]]')
_STRING_STOP = re.compile(r'["\\]')
_SCALAR_END = re.compile(r"[,\]\s]")


class _Extent:
    """Where a JSON value ends, fed the text piece by piece: tracks strings, escapes and nesting
    only (whether the value is valid JSON is for the decoder). scan() returns the index just past
    the value, or None when the text ends first (call again with the next piece)."""

    def __init__(self) -> None:
        self.depth = 0
        self.in_string = False
        self.skip = 0  # an escape's character that fell in the next piece
        self.scalar: bool | None = None

    def scan(self, buf: str, i: int) -> int | None:
        n = len(buf)
        if self.scalar is None:
            self.scalar = buf[i] not in '{["'
        if self.scalar:
            m = _SCALAR_END.search(buf, i)
            return m.start() if m else None
        i += self.skip
        self.skip = 0
        while i < n:
            if self.in_string:
                m = _STRING_STOP.search(buf, i)
                if m is None:
                    return None
                if m.group() == "\\":
                    i = m.end() + 1
                    if i > n:
                        self.skip = i - n
                        return None
                    continue
                i, self.in_string = m.end(), False
                if self.depth == 0:
                    return i
                continue
            m = _STRUCT.search(buf, i)
            if m is None:
                return None
            c, i = m.group(), m.end()
            if c == '"':
                self.in_string = True
            elif c in "{[":
                self.depth += 1
            else:
                self.depth -= 1
                if self.depth <= 0:
                    return i
        return None


class _Text:
    """The file as text, a chunk at a time: `buf[pos:]` is what is not consumed yet."""

    def __init__(self, f: BinaryIO):
        self.f = f
        self.utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.buf = self.utf8.decode(f.read(CHUNK))
        self.pos = 0
        self.eof = False
        self._base = 0  # bytes before buf[0]

    def offset(self, index: int) -> int:
        """The byte offset in the file of buf[index]."""
        return self._base + len(self.buf[:index].encode("utf-8", "surrogatepass"))

    def refill(self, keep_from: int) -> None:
        """Drop buf[:keep_from] and append the next chunk (indexes shift by keep_from)."""
        chunk = self.f.read(CHUNK)
        self.eof = not chunk
        self._base += len(self.buf[:keep_from].encode("utf-8", "surrogatepass"))
        self.buf = self.buf[keep_from:] + self.utf8.decode(chunk, final=self.eof)
        self.pos -= keep_from

    def skip_space(self) -> bool:
        """Past white space; False at the end of the file."""
        while True:
            self.pos = _skip_space(self.buf, self.pos)
            if self.pos < len(self.buf):
                return True
            if self.eof:
                return False
            self.refill(self.pos)

    def item(self) -> str | Oversized:
        """The JSON value at pos (its text, or the string itself); a value that is not valid JSON
        comes back as its text, for the parser to quarantine."""
        start = self.pos
        try:
            value, end = _DECODER.raw_decode(self.buf, start)
        except (json.JSONDecodeError, RecursionError):
            pass
        else:
            if end - start <= MAX_BODY:
                self.pos = end
                return value if isinstance(value, str) else self.buf[start:end]
        at = self.offset(start)
        extent, i = _Extent(), start
        while (stop := extent.scan(self.buf, i)) is None:
            if self.eof:
                raise BodyFileError(f"JSON array item at byte {at} is not closed")
            if len(self.buf) - start > MAX_BODY:
                return self._skip(start, extent)
            i = len(self.buf) - start
            self.refill(start)
            start = 0
        self.pos = stop
        text = self.buf[start:stop]
        if stop - start > MAX_BODY:
            return Oversized(text[:HEAD], stop - start)
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            return text.strip()
        return value if isinstance(value, str) else text

    def _skip(self, start: int, extent: _Extent) -> Oversized:
        at = self.offset(start)
        head, size = self.buf[start:start + HEAD], len(self.buf) - start
        while True:
            if self.eof:
                raise BodyFileError(f"JSON array item at byte {at} is not closed")
            self.refill(len(self.buf))
            end = extent.scan(self.buf, 0)
            if end is not None:
                self.pos = end
                return Oversized(head, size + end)
            size += len(self.buf)


def _array_items(f: BinaryIO) -> Iterator[str | Oversized]:
    """Each item of a JSON array, read a chunk at a time: a bad item comes back as its text (the
    parser quarantines it) and the next follows; an item over MAX_BODY is skipped unread; a break
    in the array itself stops with its byte offset."""
    text = _Text(f)
    text.pos = text.buf.index("[") + 1
    expect_item = True
    while True:
        if not text.skip_space():
            raise BodyFileError("JSON array is not closed")
        ch = text.buf[text.pos]
        if ch == "]":
            return
        if ch == ",":
            if expect_item:
                raise BodyFileError(f"unexpected ',' in JSON array at byte {text.offset(text.pos)}")
            expect_item = True
            text.pos += 1
            continue
        if not expect_item:
            raise BodyFileError(f"expected ',' or ']' in JSON array at byte {text.offset(text.pos)}")
        yield text.item()
        expect_item = False


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
