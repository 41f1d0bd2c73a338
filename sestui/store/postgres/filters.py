"""The flow's `set:NAME` and `tag:KEY=VALUE` filters on PostgreSQL. An event's configuration set
and tags are its message's (identity notifications carry neither: store/rollups.py), so both
look the matching messages up first, through messages_set and the GIN index on the tags."""

from __future__ import annotations

import json
from typing import Any

_SET = "SELECT message_id FROM messages WHERE configuration_set = %s"
_TAG = "SELECT message_id FROM messages WHERE tags::jsonb @> %s::jsonb"


def _tag_json(tag: tuple[str, str]) -> str:
    return json.dumps({tag[0]: [tag[1]]})


def message_filters(configuration_set: str | None, tag: tuple[str, str] | None) -> tuple[list[str], list[Any]]:
    """WHERE clauses (on events) and their parameters."""
    where: list[str] = []
    params: list[Any] = []
    if configuration_set is not None:
        where.append(f"message_id IN ({_SET})")
        params.append(configuration_set)
    if tag is not None:
        where.append(f"message_id IN ({_TAG})")
        params.append(_tag_json(tag))
    return where, params


def any_message_sql(configuration_set: str | None, tag: tuple[str, str] | None) -> tuple[str, list[Any]] | None:
    """A query for whether any message matches both (None: nothing to check). When none does, the
    flow answers from the indexes alone instead of leaving the plan to the row estimates."""
    if configuration_set is None and tag is None:
        return None
    where, params = [], []
    if configuration_set is not None:
        where.append("configuration_set = %s")
        params.append(configuration_set)
    if tag is not None:
        where.append("tags::jsonb @> %s::jsonb")
        params.append(_tag_json(tag))
    return f"SELECT EXISTS (SELECT 1 FROM messages WHERE {' AND '.join(where)}) AS found", params
