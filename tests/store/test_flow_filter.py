"""The flow's text filter: through the full-text index, the same rows as the LIKE scan it replaces."""

from __future__ import annotations

import random
import re

import pytest
from fixtures import raw_delivery, record, sns_envelope

from sestui.core.events import parse_body
from sestui.store import Store, queries

ALPHABET = "abcXYZ019.@-_%\\\" 'éÉßİıΣσ日本😀"


def _word(rng: random.Random, lo: int, hi: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(lo, hi)))


def _bodies(rng: random.Random, n: int) -> list[str]:
    bodies = []
    for i in range(n):
        kind = rng.choice(["delivery", "bounce"])
        rec = record("minimal-delivery" if kind == "delivery" else "event-bounce")
        addr = f"{_word(rng, 1, 8)}{i}@{rng.choice(['Example.ORG', 'example.net', 'corp.io'])}"
        rec["mail"].update(messageId=f"{_word(rng, 2, 6)}-{i:05d}", destination=[addr],
                           commonHeaders={"subject": _word(rng, 0, 20)})
        if kind == "delivery":
            rec["delivery"]["recipients"] = [addr]
            bodies.append(raw_delivery(rec))
        else:
            rec["bounce"]["bouncedRecipients"] = [{"emailAddress": addr, "diagnosticCode": _word(rng, 3, 12)}]
            bodies.append(sns_envelope(rec))
    return bodies


def _like_ids(store: Store, text: str, types=None, after_id=None) -> list[int]:
    """What the flow matched before the index: a LIKE scan over recipient, message id and subject."""
    like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    sql = ("SELECT id FROM events WHERE (recipient LIKE ? ESCAPE '\\' OR message_id LIKE ? ESCAPE '\\'"
           " OR subject LIKE ? ESCAPE '\\')")
    params: list = [like, like, like]
    if types is not None:
        sql += f" AND event_type IN ({', '.join('?' * len(types))})"
        params += types
    if after_id is not None:
        sql += " AND id > ?"
        params.append(after_id)
    return [r[0] for r in store.conn.execute(sql + " ORDER BY id DESC", params)]


def _queries(rng: random.Random, store: Store, n: int) -> list[str]:
    values = [v for row in store.conn.execute("SELECT recipient, message_id, subject FROM events") for v in row if v]
    out = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.6:  # a substring of something stored, in a random letter case
            value = rng.choice(values)
            start = rng.randrange(len(value))
            piece = value[start:start + rng.randint(1, 8)]
            out.append("".join(c.upper() if rng.random() < 0.5 else c.lower() for c in piece))
        else:
            out.append(_word(rng, 1, 6))
    return out + ["%", "_", "\\", '"', '""', "___", "%%%", "a\"b", "{recipient}", "NEAR(a b)", "x OR y", "*"]


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory):
    rng = random.Random(20261201)
    with Store(tmp_path_factory.mktemp("flow") / "events.db") as store:
        bodies = _bodies(rng, 600)
        for i in range(0, len(bodies), 100):
            store.add([(b, parse_body(b)) for b in bodies[i:i + 100]])
        yield store


def test_filtered_flow_equals_the_like_scan_on_a_random_corpus(corpus_store):
    rng = random.Random(7)
    checked = 0
    for text in _queries(rng, corpus_store, 300):
        expected = _like_ids(corpus_store, text)
        got = [r["id"] for r in corpus_store.flow_page(text=text, limit=10_000)]
        assert got == expected, text
        assert corpus_store.flow_count(after_id=0, text=text) == len(expected), text
        checked += bool(expected)
    assert checked > 100  # most queries matched something: the comparison is not between empty lists


def test_filtered_flow_pages_and_types_equal_the_like_scan(corpus_store):
    rng = random.Random(8)
    middle = corpus_store.count("events") // 2
    for text in _queries(rng, corpus_store, 60):
        assert ([r["id"] for r in corpus_store.flow_page(text=text, types=["bounce"], limit=10_000)]
                == _like_ids(corpus_store, text, types=["bounce"])), text
        newer = [r["id"] for r in corpus_store.flow_page(after_id=middle, text=text, limit=10_000)]
        assert newer == sorted(_like_ids(corpus_store, text, after_id=middle)), text
        expected = _like_ids(corpus_store, text)
        pages, before = [], None
        while True:
            page = corpus_store.flow_page(before_id=before, text=text, limit=7)
            if not page:
                break
            pages += [r["id"] for r in page]
            before = page[-1]["id"]
        assert pages == expected, text


def test_the_index_follows_a_prune(corpus_store, tmp_path):
    with Store(tmp_path / "events.db") as store:
        bodies = _bodies(random.Random(3), 50)
        store.add([(b, parse_body(b)) for b in bodies])
        store.prune(10**15)  # everything
        assert store.flow_page(text="example") == [] and store.flow_count(after_id=0, text="example") == 0
        assert store.conn.execute("SELECT count(*) FROM events_fts").fetchone()[0] == 0


def _plan(store: Store, call) -> list[str]:
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        call()
    finally:
        store.conn.set_trace_callback(None)
    return [row[3] for sql in statements if sql.lstrip().upper().startswith("SELECT")
            for row in store.conn.execute("EXPLAIN QUERY PLAN " + sql)]


@pytest.mark.parametrize("call", [
    lambda s: s.flow_page(text="nothing-matches-this"),
    lambda s: s.flow_page(text="nothing-matches-this", types=["bounce"], before_id=10**9),
    lambda s: s.flow_count(after_id=0, text="nothing-matches-this"),
], ids=["first-page", "older-page-of-a-type", "count"])
def test_a_text_filter_reads_the_index_not_the_table(corpus_store, call):
    plan = _plan(corpus_store, lambda: call(corpus_store))
    assert any(re.match(r"SCAN events_fts VIRTUAL TABLE", step) for step in plan), plan
    assert not any(step.startswith("SCAN e") and "events_fts" not in step for step in plan), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan


@pytest.mark.parametrize("rare_share", [1.0, -1.0], ids=["rarest-trigrams", "whole-phrase"])
def test_either_index_query_gives_the_like_scans_rows(corpus_store, monkeypatch, rare_share):
    # The index is asked for the text's rarest trigrams, or for the whole phrase when none is rare:
    # both narrow to a superset that LIKE re-checks, so the rows are LIKE's either way.
    monkeypatch.setattr(queries, "RARE_SHARE", rare_share)
    for text in _queries(random.Random(9), corpus_store, 150):
        expected = _like_ids(corpus_store, text)
        assert [r["id"] for r in corpus_store.flow_page(text=text, limit=10_000)] == expected, text
        assert corpus_store.flow_count(after_id=0, text=text) == len(expected), text


@pytest.fixture(scope="module")
def numbered_store(tmp_path_factory):
    """300 deliveries to user0.smith@example.org .. user299.smith@example.org."""
    with Store(tmp_path_factory.mktemp("numbered") / "events.db") as store:
        bodies = []
        for i in range(300):
            rec = record("minimal-delivery")
            addr = f"user{i}.smith@example.org"
            rec["mail"].update(messageId=f"m-{i:05d}", destination=[addr], commonHeaders={"subject": "Receipt"})
            rec["delivery"]["recipients"] = [addr]
            bodies.append(raw_delivery(rec))
        store.add([(b, parse_body(b)) for b in bodies])
        yield store


def _flow_statements(store: Store, text: str) -> tuple[str, list[str]]:
    """(the flow query's MATCH argument, the trigram probes run before it) for a first page."""
    statements: list[str] = []
    store.conn.set_trace_callback(statements.append)
    try:
        rows = store.flow_page(text=text)
    finally:
        store.conn.set_trace_callback(None)
    assert all(text in r["recipient"] for r in rows)
    flow = [s for s in statements if "JOIN events e" in s]
    assert len(flow) == 1, statements
    probes = [s for s in statements if "LIMIT 64" in s]
    return re.search(r"MATCH '((?:[^']|'')*)'", flow[0]).group(1), probes


def _match_argument(store: Store, text: str) -> str:
    assert store.flow_page(text=text)
    return _flow_statements(store, text)[0]


def test_a_rare_text_asks_the_index_for_its_rarest_trigrams_only(numbered_store):
    # "use", "ser", ".sm", "smi", "mit", "ith" are in every recipient: a phrase costs as much as
    # their lists; "r12", "123", "23." are in a few.
    match = _match_argument(numbered_store, "user123.smith")
    asked = re.fullmatch(r'\{recipient message_id subject\} : \(("[^"]{3}"(?: AND "[^"]{3}")*)\)', match)
    assert asked, match
    trigrams = set(re.findall(r'"([^"]{3})"', asked.group(1)))
    assert trigrams == {"123", "23.", "r12"}, match


def test_a_text_every_row_holds_keeps_the_phrase(numbered_store):
    assert _match_argument(numbered_store, "smith@example") == '{recipient message_id subject} : "smith@example"'


def test_vacuum_merges_the_index_into_one_segment(tmp_path):
    def segments(store: Store) -> int:  # FTS5's own table of its segments' leaf pages
        return store.conn.execute("SELECT count(DISTINCT segid) FROM events_fts_idx").fetchone()[0]

    with Store(tmp_path / "events.db") as store:
        bodies = _bodies(random.Random(4), 400)
        for i in range(0, len(bodies), 20):  # a transaction per batch: a segment each, some merged
            store.add([(b, parse_body(b)) for b in bodies[i:i + 20]])
        before = segments(store)
        expected = {text: _like_ids(store, text) for text in ("example", "Example.ORG", "0@c", "zz-none")}
        store.vacuum()
        assert before > 1 and segments(store) == 1
        assert {text: [r["id"] for r in store.flow_page(text=text, limit=10_000)] for text in expected} == expected


def test_a_trigram_in_no_event_ends_the_probes(numbered_store):
    # "h@q" (the 11th trigram) is in no event: nothing can match, and the trigrams after it are not probed.
    match, probes = _flow_statements(numbered_store, "user1.smith@qux.example")
    assert len(probes) == 11 and '"h@q"' in probes[-1], probes
    assert match.startswith('{recipient message_id subject} : ("h@q" AND '), match
