"""The flow's `/` line: a substring, or terms like `type:bounce domain:gmail.com id:0100… set:NAME
tag:campaign=x`, parsed into the store's filter arguments (text, types, configuration set, tag)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sestui.core.events import EVENT_TYPES

# One name per event type everywhere; the short names people type are accepted too.
TYPE_ALIASES = {"delay": "delivery_delay", "dly": "delivery_delay", "bnc": "bounce", "cmp": "complaint",
                "rej": "reject", "dlv": "delivery", "snd": "send", "opn": "open", "clk": "click",
                "renderfail": "rendering_failure", "subscr": "subscription"}
TERMS = ("type", "domain", "id", "set", "tag")


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
    configuration set; `tag:KEY=VALUE` -> a tag; any other word -> text. The store matches one
    substring, one set and one tag, so two of a kind are refused."""
    if not line or not line.strip():
        return FlowQuery()
    texts: list[str] = []
    types: set[str] = set()
    sets: set[str] = set()
    tags: set[tuple[str, str]] = set()
    for word in line.split():
        name, colon, value = word.partition(":")
        name = name.lower()
        if not colon or name not in TERMS:
            texts.append(word)
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
    if len(texts) > 1:
        return FlowQuery(error="one substring at a time (domain: and id: count as one): " + " ".join(texts))
    if len(sets) > 1:
        return FlowQuery(error="one configuration set at a time: " + " ".join(f"set:{s}" for s in sorted(sets)))
    if len(tags) > 1:
        return FlowQuery(error="one tag at a time: " + " ".join(f"tag:{k}={v}" for k, v in sorted(tags)))
    return FlowQuery(texts[0] if texts else None, frozenset(types) if types else None,
                     configuration_set=next(iter(sets), None), tag=next(iter(tags), None))


_EXAMPLES = {"type": "bounce", "domain": "gmail.com", "id": "0100018c…", "set": "NAME", "tag": "campaign=x"}
