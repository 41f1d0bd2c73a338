"""Account suppression-list edits, shared by the console, `sestui suppress` and the policies.

Every change goes to AWS first, then to the local cache, and always to the audit table, whether it
worked or not, so an operator can later see who changed what and why it failed.
"""

from __future__ import annotations

import csv
import getpass
import re
from dataclasses import dataclass
from typing import IO, Iterable

from sestui.aws import Aws, AwsError, ErrorKind
from sestui.private_file import open_private
from sestui.store import Store, now_ms, to_ms

REASONS = ("BOUNCE", "COMPLAINT")
# Deliberately simple: one @, no spaces, a dot in the domain. SES does the strict check.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def email_problem(email: str) -> str | None:
    """Why an address cannot be suppressed, or None."""
    if not email:
        return "an email address is required"
    if len(email) > 320:
        return "address is longer than 320 characters"
    if not _EMAIL.match(email):
        return f"not an email address: {email!r}"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in email):
        return f"an address holds no control characters: {email!r}"
    local, domain = email.rsplit("@", 1)
    # SES does not speak SMTPUTF8 (RFC 6531): the local part must be 7-bit ASCII, and a domain
    # with other characters is given in its Punycode form; RFC 5321 limits the lengths.
    if not local.isascii():
        return "SES takes only 7-bit ASCII before the @"
    if not domain.isascii():
        try:
            return f"write the domain in Punycode: {local}@{domain.encode('idna').decode()}"
        except UnicodeError:
            return f"not a domain SES can send to: {domain!r}"
    if len(local) > 64:
        return "the part before the @ is longer than 64 characters"
    if any(len(label) > 63 for label in domain.split(".")):
        return "a part of the domain is longer than 63 characters"
    return None


def actor(profile: str | None) -> str:
    try:
        user = getpass.getuser()
    except Exception:
        user = "unknown"
    return f"{user}@{profile or 'default'}"


def plain_reason(exc: AwsError, email: str) -> str:
    """AWS's refusal in words an operator acts on."""
    text = str(exc)
    if exc.kind is ErrorKind.DENIED:
        return text
    if "sandbox" in text.lower():
        return f"SES refuses suppression-list changes while the account is in the sandbox: {text}"
    if exc.kind is ErrorKind.NOT_FOUND:
        return f"{email} is not on the suppression list"
    return text


def add(aws: Aws, store: Store, email: str, reason: str, *, origin: str,
        message_id: str | None = None, detail: str | None = None, who: str | None = None) -> None:
    email = email.strip()
    reason = reason.upper()
    problem = email_problem(email) or (None if reason in REASONS else f"reason must be BOUNCE or COMPLAINT, not {reason!r}")
    if problem:
        raise ValueError(problem)
    who = who or actor(aws.profile)
    try:
        aws.suppressions.put(email, reason)
    except AwsError as exc:
        store.add_audit(action="add", origin=origin, outcome="failed", email=email, reason=reason, actor=who,
                        detail=plain_reason(exc, email), message_id=message_id)
        raise
    store.cache_suppression(email, reason, now_ms(), now_ms(), message_id=message_id)
    store.add_audit(action="add", origin=origin, outcome="ok", email=email, reason=reason, actor=who,
                    detail=detail, message_id=message_id)


def remove(aws: Aws, store: Store, email: str, *, origin: str) -> bool:
    """Remove an address; False if it was not listed (recorded in the audit as such)."""
    who = actor(aws.profile)
    try:
        removed = aws.suppressions.delete(email)
    except AwsError as exc:
        store.add_audit(action="remove", origin=origin, outcome="failed", email=email, actor=who,
                        detail=plain_reason(exc, email))
        raise
    store.uncache_suppression(email)
    store.add_audit(action="remove", origin=origin, outcome="ok" if removed else "not listed", email=email,
                    actor=who)
    return removed


def refresh(aws: Aws, store: Store) -> int:
    """Reload the whole list from SES (every page) into the local cache; returns the count."""
    entries = [(s.email, s.reason, to_ms(s.last_update) if s.last_update else None)
               for s in aws.suppressions.entries()]
    return store.replace_suppressions(entries, now_ms())


def details(aws: Aws, store: Store, email: str) -> dict | None:
    """GetSuppressedDestination, cached (it carries the message id that caused the entry)."""
    entry = aws.suppressions.get(email)
    if entry is None:
        store.uncache_suppression(email)
        return None
    updated = to_ms(entry.last_update) if entry.last_update else None
    store.cache_suppression(entry.email, entry.reason, updated, now_ms(), entry.message_id, entry.feedback_id)
    return {"email": entry.email, "reason": entry.reason, "last_update": updated,
            "message_id": entry.message_id, "feedback_id": entry.feedback_id}


# --- CSV -----------------------------------------------------------------------------------------

CSV_FIELDS = ("email", "reason", "last_update")


@dataclass
class CsvRow:
    line: int
    email: str
    reason: str


def read_csv(f: IO[str], default_reason: str = "BOUNCE") -> tuple[list[CsvRow], list[str]]:
    """Rows to import and one error line per unusable row. A header row is optional; a bare list
    of addresses is accepted (reason defaults to BOUNCE). An address again (in any case: the list
    ignores it) is an error line, so that every row imported is one more entry."""
    rows: list[CsvRow] = []
    errors: list[str] = []
    first_line: dict[str, int] = {}
    reader = csv.reader(f)
    for number, record in enumerate(reader, start=1):
        if not record or not "".join(record).strip():
            continue
        email = record[0].strip()
        reason = (record[1].strip().upper() if len(record) > 1 and record[1].strip() else default_reason)
        if number == 1 and email.lower() in ("email", "emailaddress", "email_address", "address"):
            continue
        problem = email_problem(email) or (None if reason in REASONS else f"unknown reason {reason!r}")
        if not problem and (seen := first_line.setdefault(email.lower(), number)) != number:
            problem = f"{email} again (line {seen}; the suppression list ignores case)"
        if problem:
            errors.append(f"line {number}: {problem}")
            continue
        rows.append(CsvRow(number, email, reason))
    return rows, errors


def write_csv(f: IO[str], entries: Iterable[dict]) -> int:
    from sestui.store import iso_ms

    writer = csv.writer(f)
    writer.writerow(CSV_FIELDS)
    count = 0
    for entry in entries:
        updated = entry.get("last_update")
        writer.writerow([entry["email"], entry["reason"], iso_ms(updated) if updated else ""])
        count += 1
    return count


def write_csv_file(path: str, entries: Iterable[dict]) -> int:
    """write_csv into PATH, readable by its owner only (addresses are personal data, as in the
    database, which is 0600); a file it replaces is made 0600 too. OSError as open() raises it."""
    with open_private(path, "w", newline="") as f:
        return write_csv(f, entries)
