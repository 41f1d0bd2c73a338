"""What pane 3 draws of a suppression and of an audit row: table cells and the detail lines."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from rich.style import Style
from rich.text import Text

from sestui.ui.messages import Row
from sestui.ui.text import clock_time, literal
from sestui.ui.widgets.common import address_cell, fitted, share_room


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


def audit_columns(width: int, rows: list[list[Text]]) -> list[tuple[str, str, int]]:
    """The audit's widths from the width and its rows (share_room): the outcome takes what is left."""
    spare = max(24, width - 11 - 12 - 11 - 5 * 2 - 1)
    return share_room(width - 1, [("When UTC", "at", 11), ("Who", "actor", 12), ("Action", "action", 11),
                                  ("Address", "email", spare * 55 // 100),
                                  ("Outcome", "outcome", spare - spare * 55 // 100)], rows)


def detail_text(e: Row, muted: Style | str) -> Text:
    """The detail under the list: the entry, the message that caused it, and what enter and f do."""
    lines = Text.assemble(
        ("Address ", "bold"), literal(e["email"]), ("   reason ", "bold"), e["reason"],
        ("\nLast update ", "bold"), f"{utc(e.get('last_update'))} UTC",
        *((("\nCaused by message ", "bold"), literal(e["message_id"])) if e.get("message_id") else
          (("\nAdded ", "bold"), literal(e["added_by"])) if e.get("added_by") else
          (("\nCaused by message ", "bold"), "not recorded")),
        ("   feedback ", "bold"), literal(e.get("feedback_id") or "-"),
    )
    if e.get("message_id"):
        lines.append("\nenter opens that message's timeline · f this address's events", style=muted)
    else:
        lines.append("\n" + ("" if e.get("checked") else "enter asks SES for the details · ")
                     + "f this address's events", style=muted)
    return lines


def audited_cause(audit: Iterable[Row], email: str) -> dict:
    """What the audit (newest first) says of how `email` came on the list: the message that caused
    it, or who added it ({"added_by": "by hand (console, ops@prod, ... UTC)"}); {} if it says nothing."""
    for row in audit:
        if (row.get("email") or "").lower() != email.lower():
            continue
        if row.get("message_id"):
            return {"message_id": row["message_id"]}
        if row.get("action") == "add" and row.get("outcome") == "ok":
            origin = row.get("origin") or ""
            how = f"by {origin}" if origin.startswith("rule") else "by hand"
            return {"added_by": f"{how} ({origin}, {row.get('actor') or 'who: not recorded'}, {utc(row['at'])} UTC)"}
    return {}


NO_AUDIT = ("No change to the list is recorded yet: what this console, `sestui suppress` and the collector's"
            " policies add or remove is written here.")


def audit_detail_text(row: Row, muted: Style | str) -> Text:
    """The detail under the audit log: the whole of the selected row."""
    lines = Text.assemble(
        ("When ", "bold"), f"{utc(row['at'])} UTC", ("   who ", "bold"), literal(row.get("actor") or "-"),
        ("   origin ", "bold"), literal(row.get("origin") or "-"),
        ("\nAction ", "bold"), literal(row["action"] + (f" {row['reason']}" if row.get("reason") else "")),
        ("   address ", "bold"), literal(row.get("email") or "-"),
        ("\nOutcome ", "bold"), literal(row["outcome"] + (f": {row['detail']}" if row.get("detail") else "")),
    )
    if row.get("message_id"):
        lines.append_text(Text.assemble(("   message ", "bold"), literal(row["message_id"])))
    lines.append("\nf this address's events · y copies it · u back to the list", style=muted)
    return lines
