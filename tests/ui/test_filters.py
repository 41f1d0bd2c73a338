"""The flow filter's line as the parser reads it: words and quoted phrases are one substring, `set:`
and `tag:` terms become the store's arguments, and a bad term is refused with a one-line reason."""

from __future__ import annotations

import pytest

from sestui.ui.filters import parse_flow_filter


@pytest.mark.parametrize("line, text", [
    ("Reset your password", "Reset your password"),
    ('"Reset your password"', "Reset your password"),
    ('type:bounce Winter  sale', "Winter sale"),
    ('"foo:bar" baz', "foo:bar baz"),
    ("Re: hello", "Re: hello"),  # a subject's Re: is not a key
    ("https://example.com/offer", "https://example.com/offer"),
    ("tag:ses:configuration-set=bulk", None),
])
def test_several_words_or_a_quoted_phrase_are_one_substring(line, text):
    parsed = parse_flow_filter(line)
    assert parsed.error is None and parsed.text == text


@pytest.mark.parametrize("line,expected", [
    ("set:marketing", {"configuration_set": "marketing"}),
    ("tag:campaign=spring", {"tag": ("campaign", "spring")}),
    ("tag:ses:configuration-set=bulk", {"tag": ("ses:configuration-set", "bulk")}),
    ("tag:k=a=b", {"tag": ("k", "a=b")}),
    ("SET:Marketing type:bounce rossi", {"configuration_set": "Marketing", "types": frozenset({"bounce"}),
                                         "text": "rossi"}),
    ("set:tx set:tx tag:c=x tag:c=x", {"configuration_set": "tx", "tag": ("c", "x")}),
])
def test_set_and_tag_terms_become_the_stores_arguments(line, expected):
    parsed = parse_flow_filter(line)
    assert parsed.error is None
    assert parsed.store_args() == {"text": None, "types": None, "configuration_set": None, "tag": None, **expected}


@pytest.mark.parametrize("line, says", [
    # a word that reads as an unknown key: refused with the known ones
    ("foo:bar", "unknown filter key foo: (known: type: domain: id: set: tag:)"),
    ("Subject:x", "unknown filter key subject:"),
    ("domain:example.org bob", "one substring at a time"),
    # bad set: and tag: terms
    ("set:", "set: needs a value"),
    ("tag:", "tag: needs a value"),
    ("tag:campaign", "needs a key and a value"),
    ("tag:=x", "needs a key and a value"),
    ("tag:campaign=", "needs a key and a value"),
    ("set:a set:b", "one configuration set at a time"),
    ("tag:c=a tag:c=b", "one tag at a time"),
])
def test_a_bad_term_is_refused_saying_why_in_one_line(line, says):
    error = parse_flow_filter(line).error
    assert error and says in error and "\n" not in error
