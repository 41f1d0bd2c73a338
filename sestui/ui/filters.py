"""The flow's `/` line: words to find (several words are one substring, as is a "quoted phrase"), and
terms like `type:bounce domain:gmail.com id:0100… set:NAME tag:campaign=x`, parsed into the store's
filter arguments (text, types, configuration set, tag)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sestui.core.events import EVENT_TYPES

# One name per event type everywhere; the short names people type are accepted too.
TYPE_ALIASES = {"delay": "delivery_delay", "dly": "delivery_delay", "bnc": "bounce", "cmp": "complaint",
                "rej": "reject", "dlv": "delivery", "snd": "send", "opn": "open", "clk": "click",
                "renderfail": "rendering_failure", "subscr": "subscription"}
TERMS = ("type", "domain", "id", "set", "tag")
HINT = "type:bounce,complaint domain:x id:… set:NAME tag:KEY=VALUE · any words"  # the / line's, under it
HELP = ("filter: type:bounce,complaint (or bnc, cmp, dly, …) domain:gmail.com id:0100… set:NAME"
        " tag:KEY=VALUE; every other word, together, is one text found in the recipient, subject or message"
        " id (Reset your password); \"quote\" a text with a colon (\"Re:x\")")
_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')  # a quoted phrase (closed or not), or a word
_KEY_LIKE = re.compile(r"[A-Za-z]+:[^/\s]")  # `foo:bar` reads as a key; `Re:` and `https://` do not


@dataclass(frozen=True)
class FlowQuery:
    text: str | None = None
    types: frozenset[str] | None = None
    error: str | None = None
    configuration_set: str | None = None  # the message's, exactly
    tag: tuple[str, str] | None = None  # (key, value): a tag of the message, exactly

    def store_args(self) -> dict[str, Any]:
        """The keyword arguments of Store.flow_page / flow_count for this filter."""
        return {"text": self.text, "types": self.types, "configuration_set": self.configuration_set, "tag": self.tag}


def parse_flow_filter(line: str | None) -> FlowQuery:
    """`type:bounce,complaint` -> types; `domain:x` -> text `@x`; `id:X` -> text X; `set:NAME` -> the
    configuration set; `tag:KEY=VALUE` -> a tag; the other words, and "quoted phrases", in order ->
    one text. The store matches one substring, one set and one tag, so two of a kind are refused, and
    so is a word that reads as a key no filter has (`foo:bar`): quoted, it is text."""
    if not line or not line.strip():
        return FlowQuery()
    words: list[str] = []  # the free text, in order
    texts: list[str] = []  # domain: and id:
    types: set[str] = set()
    sets: set[str] = set()
    tags: set[tuple[str, str]] = set()
    for match in _TOKEN.finditer(line):
        phrase, word = match.groups()
        if word is None:
            if phrase.strip():
                words.append(phrase)
            continue
        name, colon, value = word.partition(":")
        name = name.lower()
        if not colon or name not in TERMS:
            if _KEY_LIKE.match(word):
                known = " ".join(f"{t}:" for t in TERMS)
                return FlowQuery(error=f"unknown filter key {name}: (known: {known}); "
                                       f"to search for the text, quote it: \"{word}\"")
            words.append(word)
            continue
        if not value:
            return FlowQuery(error=f"{name}: needs a value, e.g. {name}:{_EXAMPLES[name]}")
        if name == "type":
            for item in value.lower().split(","):
                kind = TYPE_ALIASES.get(item, item)
                if kind not in EVENT_TYPES:
                    return FlowQuery(error=f"type:{item} is not an event type ({', '.join(EVENT_TYPES)})")
                types.add(kind)
        elif name == "domain":
            texts.append("@" + value.lstrip("@"))
        elif name == "set":
            sets.add(value)
        elif name == "tag":
            key, equals, tag_value = value.partition("=")
            if not key or not equals or not tag_value:
                return FlowQuery(error=f"tag:{value} needs a key and a value, e.g. tag:{_EXAMPLES['tag']}")
            tags.add((key, tag_value))
        else:
            texts.append(value)
    if words:
        texts.append(" ".join(words))
    if len(texts) > 1:
        return FlowQuery(error="one substring at a time (domain:, id: and the other words are one each): "
                               + " ".join(repr(t) for t in texts))
    if len(sets) > 1:
        return FlowQuery(error="one configuration set at a time: " + " ".join(f"set:{s}" for s in sorted(sets)))
    if len(tags) > 1:
        return FlowQuery(error="one tag at a time: " + " ".join(f"tag:{k}={v}" for k, v in sorted(tags)))
    return FlowQuery(texts[0] if texts else None, frozenset(types) if types else None,
                     configuration_set=next(iter(sets), None), tag=next(iter(tags), None))

_EXAMPLES = {"type": "bounce", "domain": "gmail.com", "id": "0100018c…", "set": "NAME", "tag": "campaign=x"}
