"""The flow's `set:NAME` and `tag:KEY=VALUE` filters on PostgreSQL. An event's configuration set
and tags are its message's (identity notifications carry neither: store/rollups.py), so both
look the matching messages up first, through messages_set and the GIN index on the tags.

The planner's estimate for a jsonb containment is a guess, and a wrong one walks every event in
id order probing its message. So the messages are looked up first, up to LOOKUP_MAX: when no more
match, their ids go into the query as an array (their events read through events_identity, then
sorted: cost follows the matches, not history); when more do, matches are common enough that the
walk in id order finds a page quickly (benchmarks/queries_pg.py measures both)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

LOOKUP_MAX = 2000


def _conditions(configuration_set: str | None, tag: tuple[str, str] | None) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if configuration_set is not None:
        where.append("configuration_set = %s")
        params.append(configuration_set)
    if tag is not None:
        where.append("tags::jsonb @> %s::jsonb")
        params.append(json.dumps({tag[0]: [tag[1]]}))
    return where, params


def matching_messages_sql(configuration_set: str | None, tag: tuple[str, str] | None) -> tuple[str, list[Any]]:
    """The ids of up to LOOKUP_MAX + 1 messages with the set and the tag."""
    where, params = _conditions(configuration_set, tag)
    return f"SELECT message_id FROM messages WHERE {' AND '.join(where)} LIMIT {LOOKUP_MAX + 1}", params


def message_filters(configuration_set: str | None, tag: tuple[str, str] | None,
                    message_ids: list[str] | None) -> tuple[list[str], list[Any]]:
    """WHERE clauses (on events) and their parameters: by the ids looked up, or (None: more than
    LOOKUP_MAX messages match) by a subquery."""
    if configuration_set is None and tag is None:
        return [], []
    if message_ids is not None:
        return ["message_id = ANY(%s)"], [message_ids]
    where, params = _conditions(configuration_set, tag)
    return [f"message_id IN (SELECT message_id FROM messages WHERE {' AND '.join(where)})"], params


def narrowed(query: Callable[..., list[dict]], configuration_set: str | None,
             tag: tuple[str, str] | None) -> tuple[bool, list[str], list[Any], str]:
    """(nothing matches, WHERE clauses, parameters, the id order's key) for the flow's query. With
    few messages their events are read by message id and sorted (`id + 0` is not the id index's
    order, so the planner cannot walk that index hoping for a match soon)."""
    if configuration_set is None and tag is None:
        return False, [], [], "id"
    ids: list[str] | None = [r["message_id"] for r in query(*matching_messages_sql(configuration_set, tag))]
    if ids is not None and len(ids) > LOOKUP_MAX:
        ids = None
    where, params = message_filters(configuration_set, tag, ids)
    return ids == [], where, params, "id" if ids is None else "id + 0"
