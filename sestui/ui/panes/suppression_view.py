"""What pane 3 draws of a suppression and of an audit row: table cells and the detail lines."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.style import Style
from rich.text import Text

from sestui.ui.messages import Row
from sestui.ui.text import clock_time, literal
from sestui.ui.widgets.common import address_cell, fitted


def utc(ms: int | None) -> str:
    return "-" if ms is None else datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def list_cells(row: Row, reason_style: Style | str) -> list[Text]:
    """Address, reason, last update: a row of the list."""
    return [address_cell(row["email"]), Text(row["reason"], style=reason_style), Text(utc(row["last_update"]))]


def audit_cells(row: Row, now_ms: int, outcome_style: Style | str) -> list[Text]:
    """When, who, action (and reason), address, outcome (and detail): a row of the audit log."""
    outcome = row["outcome"] + (f": {row['detail']}" if row.get("detail") else "")
    return [Text(clock_time(row["at"], now_ms)), fitted(row["actor"] or ""),
            Text(f"{row['action']}{' ' + row['reason'] if row.get('reason') else ''}"),
            address_cell(row["email"] or ""), fitted(outcome, style=outcome_style)]


def detail_text(e: Row, muted: Style | str) -> Text:
    """The detail under the list: the entry, the message that caused it, and what enter and f do."""
    lines = Text.assemble(
        ("Address ", "bold"), literal(e["email"]), ("   reason ", "bold"), e["reason"],
        ("\nLast update ", "bold"), f"{utc(e.get('last_update'))} UTC",
        ("\nCaused by message ", "bold"), literal(e.get("message_id") or "not recorded"),
        ("   feedback ", "bold"), literal(e.get("feedback_id") or "-"),
    )
    if e.get("message_id"):
        lines.append("\nenter opens that message's timeline · f this address's events", style=muted)
    else:
        lines.append("\n" + ("" if e.get("checked") else "enter asks SES for the details · ")
                     + "f this address's events", style=muted)
    return lines
