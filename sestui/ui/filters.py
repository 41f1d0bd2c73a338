"""The flow's `/` line: a substring, or terms like `type:bounce domain:gmail.com id:0100…`, parsed
into the store's filter arguments (text, types)."""

from __future__ import annotations

from dataclasses import dataclass

from sestui.core.events import EVENT_TYPES

# One name per event type everywhere; the short names people type are accepted too.
TYPE_ALIASES = {"delay": "delivery_delay", "dly": "delivery_delay", "bnc": "bounce", "cmp": "complaint",
                "rej": "reject", "dlv": "delivery", "snd": "send", "opn": "open", "clk": "click",
                "renderfail": "rendering_failure", "subscr": "subscription"}
NOT_YET = ("set", "tag")  # the store cannot filter by these yet


@dataclass(frozen=True)
class FlowQuery:
    text: str | None = None
    types: frozenset[str] | None = None
    error: str | None = None


def parse_flow_filter(line: str | None) -> FlowQuery:
    """`type:bounce,complaint` -> types; `domain:x` -> text `@x`; `id:X` -> text X; any other word
    -> text. The store matches one substring, so two text terms are refused, as are set:/tag:."""
    if not line or not line.strip():
        return FlowQuery()
    texts: list[str] = []
    types: set[str] = set()
    for word in line.split():
        name, colon, value = word.partition(":")
        name = name.lower()
        if not colon or name not in ("type", "domain", "id", *NOT_YET):
            texts.append(word)
            continue
        if not value:
            return FlowQuery(error=f"{name}: needs a value, e.g. {name}:{_EXAMPLES[name]}")
        if name in NOT_YET:
            return FlowQuery(error=f"{name}: filters are not supported yet; use a substring or type:/domain:/id:")
        if name == "type":
            for item in value.lower().split(","):
                kind = TYPE_ALIASES.get(item, item)
                if kind not in EVENT_TYPES:
                    return FlowQuery(error=f"type:{item} is not an event type ({', '.join(EVENT_TYPES)})")
                types.add(kind)
        elif name == "domain":
            texts.append("@" + value.lstrip("@"))
        else:
            texts.append(value)
    if len(texts) > 1:
        return FlowQuery(error="one substring at a time (domain: and id: count as one): " + " ".join(texts))
    return FlowQuery(texts[0] if texts else None, frozenset(types) if types else None)


_EXAMPLES = {"type": "bounce", "domain": "gmail.com", "id": "0100018c…", "set": "NAME", "tag": "campaign=x"}
