"""The rich output of the CLI: report lines plain (byte for byte) off a terminal and with NO_COLOR,
coloured on one; the ingest progress bar only on a terminal and only for big inputs."""

from __future__ import annotations

import io

import pytest

from sestui.cli.output import IngestProgress, Report


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


PLAIN = ("OK      credentials         account 123456789012\n"
         "FAIL    queue               no queue https://sqs.example/q\n"
         "                            fix: sestui setup --identity example.com\n"
         "created topic               sestui-events\n"
         "exists  a-very-long-check-name-indeed  x\n")


def report_to(out) -> str:
    report = Report(out)
    report.line("OK", "credentials", "account 123456789012")
    report.line("FAIL", "queue", "no queue https://sqs.example/q", "sestui setup --identity example.com")
    report.line("created", "topic", "sestui-events")
    report.line("exists", "a-very-long-check-name-indeed", "x")
    return out.getvalue()


def test_off_a_terminal_the_report_is_plain_text(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich would colour a pipe with it; the report does not
    assert report_to(io.StringIO()) == PLAIN


def test_on_a_terminal_the_words_are_coloured_and_the_text_is_the_same(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    shown = report_to(Terminal())
    assert "\x1b[32mOK\x1b[0m" in shown and "\x1b[1;31mFAIL\x1b[0m" in shown
    import re
    assert re.sub("\x1b\\[[0-9;]*m", "", shown) == PLAIN


def test_no_color_on_a_terminal_is_plain(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert report_to(Terminal()) == PLAIN


def test_a_long_line_is_never_wrapped():
    out = io.StringIO()
    Report(out).line("WARN", "dlq", "x" * 300)
    assert out.getvalue() == f"WARN    dlq                 {'x' * 300}\n"


class Total:
    def summary(self) -> str:
        return "stored=1 duplicates=0 quarantined=0"


@pytest.mark.parametrize("size, terminal, drawn", [
    (IngestProgress.MIN_BYTES, True, True),
    (IngestProgress.MIN_BYTES - 1, True, False),
    (IngestProgress.MIN_BYTES, False, False),
])
def test_the_progress_bar_is_for_big_inputs_on_a_terminal(tmp_path, size, terminal, drawn):
    path = tmp_path / "big.jsonl"
    with open(path, "wb") as f:
        f.truncate(size)
    out = Terminal() if terminal else io.StringIO()
    with open(path, "rb") as f:
        progress = IngestProgress("big\x1b]0;x\x07.jsonl", f, file=out)
        f.seek(size // 2)
        progress.update(Total())
        progress.done()
    shown = out.getvalue()
    assert bool(shown) == drawn
    if drawn:
        assert "big\\x1b]0;x\\x07.jsonl" in shown and "\x07" not in shown
