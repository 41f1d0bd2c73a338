"""What SES would refuse is said before anything is sent or suppressed (ops.suppressions.email_problem)."""

import pytest

from sestui.ops.suppressions import email_problem


@pytest.mark.parametrize("address", ["a@example.com", "first.last+tag@mail.example.co.uk", "x" * 64 + "@example.com",
                                     "a@" + "d" * 63 + ".com", "a@xn--jgeva-dua.ee"])
def test_an_address_ses_takes_has_no_problem(address):
    assert email_problem(address) is None


@pytest.mark.parametrize(("address", "said"), [
    ("", "an email address is required"),
    ("no-at-sign", "not an email address: 'no-at-sign'"),
    ("a\x1b[2J@example.com", "an address holds no control characters: 'a\\x1b[2J@example.com'"),
    ("jürgen@example.com", "SES takes only 7-bit ASCII before the @"),
    ("safe@jõgeva.ee", "write the domain in Punycode: safe@xn--jgeva-dua.ee"),
    ("x" * 65 + "@example.com", "the part before the @ is longer than 64 characters"),
    ("a@" + "d" * 64 + ".com", "a part of the domain is longer than 63 characters"),
])
def test_an_address_ses_refuses_says_why_in_one_line(address, said):
    assert email_problem(address) == said
