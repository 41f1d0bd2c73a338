"""An accepted send, in the terms SES records use: source, destinations, headers, tags.

Simple sends (v1 SendEmail, v2 Content.Simple) get the headers SES would write; raw sends keep
the message's own headers, as SES reports them in `mail.headers`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses, parseaddr

SIMULATOR_DOMAIN = "simulator.amazonses.com"
MAX_RECIPIENTS = 50

# Headers SES never passes on: Bcc is removed before sending; the SES control headers are consumed.
_HIDDEN_HEADERS = {"bcc", "x-ses-configuration-set", "x-ses-message-tags", "x-ses-source-arn",
                   "x-ses-from-arn", "x-ses-return-path-arn"}
# The EICAR test file's signature: every virus scanner, SES's included, reports it as a virus.
EICAR_SIGNATURE = "EICAR-STANDARD-ANTIVIRUS-TEST-FILE"
_LINK = re.compile(r"""href\s*=\s*["'](https?://[^"']+)["']""", re.IGNORECASE)


def ses_id(when: datetime) -> str:
    """An id in SES's format: 0100 + 12 hex digits of epoch milliseconds, a UUID, -000000."""
    return f"0100{int(when.timestamp() * 1000):012x}-{uuid.uuid4()}-000000"


def address_of(text: str) -> str:
    """The bare address of `Name <addr@example.com>`."""
    return parseaddr(text)[1]


def simulator_scenario(address: str) -> str | None:
    """success / bounce / ooto / complaint / suppressionlist for mailbox-simulator addresses
    (`+label` allowed, case-insensitive), None for any other address."""
    local, _, domain = address_of(address).lower().rpartition("@")
    if domain != SIMULATOR_DOMAIN:
        return None
    scenario = local.partition("+")[0]
    return scenario if scenario in ("success", "bounce", "ooto", "complaint", "suppressionlist") else None


@dataclass
class OutboundMail:
    message_id: str
    timestamp: datetime  # when SES accepted it, aware UTC
    source: str  # as given, possibly "Name <addr>"
    destinations: list[str]  # every recipient: To, Cc and Bcc
    to: list[str]
    subject: str | None
    headers: list[tuple[str, str]]
    html: str | None
    configuration_set: str | None = None
    tags: dict[str, list[str]] = field(default_factory=dict)
    contains_virus: bool = False  # SES rejects it after accepting it (a Reject event)
    rendering_failure: dict | None = None  # a templated send whose data lacked a variable
    list_management: dict | None = None  # ListManagementOptions: ContactListName, TopicName

    @property
    def source_address(self) -> str:
        return address_of(self.source)

    @property
    def links(self) -> list[str]:
        return _LINK.findall(self.html or "")


def simple_mail(
    *,
    when: datetime,
    source: str,
    to: list[str],
    cc: list[str],
    bcc: list[str],
    reply_to: list[str],
    subject: str | None,
    text: str | None,
    html: str | None,
    configuration_set: str | None,
    tags: dict[str, list[str]],
) -> OutboundMail:
    message_id = ses_id(when)
    headers = [("From", source)]
    if reply_to:
        headers.append(("Reply-To", ", ".join(reply_to)))
    if to:
        headers.append(("To", ", ".join(to)))
    if cc:
        headers.append(("Cc", ", ".join(cc)))
    headers += [
        ("Subject", subject or ""),
        ("MIME-Version", "1.0"),
        ("Date", format_datetime(when)),
        ("Message-ID", f"<{message_id}@email.amazonses.com>"),
    ]
    if text and html:
        headers.append(("Content-Type", f'multipart/alternative; boundary="----=_Part_{uuid.uuid4().hex[:12]}"'))
    else:
        headers.append(("Content-Type", f"text/{'html' if html else 'plain'}; charset=UTF-8"))
    return OutboundMail(
        message_id=message_id,
        timestamp=when,
        source=source,
        destinations=list(dict.fromkeys(to + cc + bcc)),
        to=to,
        subject=subject,
        headers=headers,
        html=html,
        configuration_set=configuration_set,
        tags=tags,
        contains_virus=any(EICAR_SIGNATURE in (part or "") for part in (subject, text, html)),
    )


def raw_mail(
    *,
    when: datetime,
    data: bytes,
    source: str | None,
    destinations: list[str],
    configuration_set: str | None,
    tags: dict[str, list[str]],
) -> OutboundMail:
    """A raw MIME message. Recipients come from `destinations` or else the To/Cc/Bcc headers;
    the X-SES-CONFIGURATION-SET and X-SES-MESSAGE-TAGS headers work as in SES."""
    message = BytesParser(policy=policy.default).parsebytes(data)
    to = [a for _, a in getaddresses([str(v) for v in message.get_all("To", [])]) if a]
    if not destinations:
        fields = [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
        destinations = [a for _, a in getaddresses(fields) if a]
    header_tags = _parse_tag_header(str(message.get("X-SES-MESSAGE-TAGS", "")))
    html, virus = None, EICAR_SIGNATURE.encode() in data
    for part in message.walk():
        if html is None and part.get_content_type() == "text/html":
            html = part.get_content()
        payload = None if part.is_multipart() else part.get_payload(decode=True)
        virus = virus or (isinstance(payload, bytes) and EICAR_SIGNATURE.encode() in payload)
    message_id = ses_id(when)
    headers = [(name, str(value)) for name, value in message.items() if name.lower() not in _HIDDEN_HEADERS]
    subject = message.get("Subject")
    return OutboundMail(
        message_id=message_id,
        timestamp=when,
        source=source or str(message.get("From", "")),
        destinations=list(dict.fromkeys(destinations)),
        to=to,
        subject=str(subject) if subject is not None else None,
        headers=headers,
        html=html,
        configuration_set=configuration_set or _opt(message.get("X-SES-CONFIGURATION-SET")),
        tags={**header_tags, **tags},
        contains_virus=virus,
    )


def _parse_tag_header(value: str) -> dict[str, list[str]]:
    tags: dict[str, list[str]] = {}
    for pair in value.split(","):
        name, sep, tag_value = pair.partition("=")
        if sep and name.strip():
            tags[name.strip()] = [tag_value.strip()]
    return tags


def _opt(value) -> str | None:
    if value is None:
        return None
    return str(value).strip() or None
