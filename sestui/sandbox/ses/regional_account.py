"""One region of the emulated SES account and the life of the mail it accepts.

Identities and configuration sets themselves live in moto's SES backend (shared by v1 and v2);
this object keeps what moto lacks: notification topics, configuration-set event destinations,
the suppression list, quota use and statistics, and the timeline each accepted send plays out.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial

from moto.ses.models import ses_backends

from . import sns_publisher
from .deliverability_metrics import DeliverabilityMetrics
from .mailbox_simulator import Engagement, Step, event_detail, mta_ip, plan
from .outbound_mail import MAX_RECIPIENTS, OutboundMail, address_of, simulator_scenario
from .records import (
    EVENT_KINDS,
    EVENT_PUBLISHING_SUBJECT,
    NOTIFICATION_TYPES,
    Origin,
    event_record,
    notification_record,
)
from .reputation_metrics import ReputationMetrics
from .scheduler import Scheduler
from .sending_ledger import SendingLedger
from .settings import CALLER_IDENTITY, AccountSettings
from .suppression_list import SuppressionList, is_email_address

_LIST_MAIL_KEPT = 10000  # (contact list, address) -> last mail, for Subscription events


@dataclass
class Simulation:
    """Knobs shared by every region: how fast and how engaged the simulated world is."""

    delay_scale: float = 1.0
    engagement: Engagement = field(default_factory=Engagement)
    rng: random.Random = field(default_factory=random.Random)


@dataclass
class NotificationSettings:
    """SetIdentityNotificationTopic and friends, for one identity."""

    topics: dict[str, str] = field(default_factory=dict)  # Bounce/Complaint/Delivery -> topic ARN
    with_headers: set[str] = field(default_factory=set)
    forwarding_enabled: bool = True

    def set_topic(self, kind: str, topic: str | None) -> None:
        if topic:
            self.topics[kind] = topic
        else:
            self.topics.pop(kind, None)

    def include_headers(self, kind: str, enabled: bool) -> None:
        if enabled:
            self.with_headers.add(kind)
        else:
            self.with_headers.discard(kind)


def configuration_set_sending_enabled(config_set) -> bool:
    """moto keeps a set's sending switch as a dict, a bool, or {} for "never set" (enabled)."""
    enabled = config_set.enabled
    if isinstance(enabled, dict):
        return bool(enabled.get("SendingEnabled", True)) if enabled else True
    return bool(enabled)


class SendRefused(Exception):
    """A send SES does not accept. `kind` is one of invalid, paused, not-verified,
    no-config-set, default-config-set-gone, config-set-paused, daily, rate; the API layer turns it into the
    version's error code."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


class SesAccount:
    def __init__(self, account_id: str, region: str, settings: AccountSettings,
                 scheduler: Scheduler, simulation: Simulation):
        self.account_id = account_id
        self.region = region
        self.settings = settings
        self.ledger = SendingLedger()
        self.suppression = SuppressionList()
        self.notifications: dict[str, NotificationSettings] = {}
        # configuration set name -> event destination name -> EventDestinationDefinition
        self.destinations: dict[str, dict[str, dict]] = {}
        self.lock = threading.RLock()
        self._list_mail: dict[tuple[str, str], tuple[OutboundMail, Origin]] = {}
        self._scheduler = scheduler
        self._simulation = simulation
        self.reputation = ReputationMetrics(account_id, region, scheduler.call_later, self._reputation_sets)
        self.vdm = DeliverabilityMetrics()

    @property
    def moto(self):
        """moto's SES backend for this account and region (identities, configuration sets)."""
        return ses_backends[self.account_id][self.region]

    def identity_for(self, address: str) -> str | None:
        """The verified identity that covers an address: the address itself, else its domain."""
        address = address_of(address).lower()
        names = {name.lower(): name for name in self.moto.email_identities}
        return names.get(address) or names.get(address.rpartition("@")[2])

    def identity_exists(self, identity: str) -> bool:
        return identity.lower() in {name.lower() for name in self.moto.email_identities}

    def configuration_set_exists(self, name: str) -> bool:
        return name in self.moto.config_sets

    def notification_settings(self, identity: str) -> NotificationSettings:
        with self.lock:
            return self.notifications.setdefault(identity.lower(), NotificationSettings())

    def forget_identity(self, identity: str) -> None:
        with self.lock:
            self.notifications.pop(identity.lower(), None)

    def put_destination(self, config_set: str, name: str, definition: dict, *, new: bool) -> bool:
        """Create (`new`) or replace a configuration set's event destination; False, and nothing
        changed, when it already exists (`new`) or does not (replace)."""
        with self.lock:
            existing = self.destinations.setdefault(config_set, {}) if new else self.destinations.get(config_set, {})
            if (name in existing) == new:
                return False
            existing[name] = definition
            return True

    def delete_destination(self, config_set: str, name: str) -> bool:
        with self.lock:
            return self.destinations.get(config_set, {}).pop(name, None) is not None

    def send(self, mail: OutboundMail, source_ip: str) -> str:
        """Accept a send (or raise SendRefused) and schedule what happens to it."""
        _check_addresses(mail)
        settings = self.settings
        if settings.sending_paused:
            raise SendRefused("paused", "Sending paused for this account. For more information, please check "
                                        "the inbox of the email address associated with your AWS account.")
        identity = self._authorizing_identity(mail)
        configuration_set = mail.configuration_set or self._default_configuration_set(identity)
        if configuration_set and not self.configuration_set_exists(configuration_set):
            if mail.configuration_set:
                raise SendRefused("no-config-set", f"Configuration set <{configuration_set}> does not exist.")
            # SES keeps a deleted default set on the identity, and refuses the identity's sends.
            raise SendRefused("default-config-set-gone", f"The default configuration set <{configuration_set}> "
                                                         f"of identity <{identity}> does not exist.")
        if configuration_set and not configuration_set_sending_enabled(self.moto.config_sets[configuration_set]):
            raise SendRefused("config-set-paused", f"Sending is paused for configuration set <{configuration_set}>.")
        counted = sum(1 for a in mail.destinations if simulator_scenario(a) is None)
        problem = self.ledger.admit(len(mail.destinations), settings, time.time(), counted)
        if problem == "daily":
            raise SendRefused("daily", "Daily message quota exceeded.")
        if problem == "rate":
            raise SendRefused("rate", "Maximum sending rate exceeded.")

        self.reputation.sent(mail.message_id, configuration_set,
                             [address_of(a) for a in mail.destinations if simulator_scenario(a) is None])
        if len(mail.destinations) == 1 and simulator_scenario(mail.destinations[0]) is None:
            self.vdm.sent(mail.message_id, datetime.now(UTC), identity, configuration_set,
                          address_of(mail.destinations[0]), html=bool(mail.html), links=bool(mail.links))
        origin = Origin(self.account_id, self.region, identity, source_ip, CALLER_IDENTITY, configuration_set)
        if mail.list_management and mail.list_management.get("ContactListName"):
            with self.lock:
                for address in mail.destinations:
                    self._list_mail[(mail.list_management["ContactListName"], address_of(address).lower())] = (
                        mail, origin)
                    while len(self._list_mail) > _LIST_MAIL_KEPT:
                        self._list_mail.pop(next(iter(self._list_mail)))
        simulation = self._simulation
        steps = plan(mail, lambda a: self.suppression.get(address_of(a)) is not None,
                     simulation.engagement, simulation.rng)
        for step in steps:
            self._scheduler.call_later(step.after * simulation.delay_scale, partial(self._happen, mail, origin, step))
        return mail.message_id

    def _reputation_sets(self) -> set[str]:
        """Configuration sets whose reputation metrics are enabled."""
        return {name for name, config_set in list(self.moto.config_sets.items())
                if (getattr(config_set, "reputation_options", None) or {}).get("ReputationMetricsEnabled")}

    def _authorizing_identity(self, mail: OutboundMail) -> str:
        """The verified identity the source belongs to. In the SES sandbox every recipient must be
        verified too, or a mailbox-simulator address."""
        identity = self.identity_for(mail.source)
        unverified = [] if identity else [mail.source_address]
        if not self.settings.production_access_enabled:
            unverified += [address_of(a) for a in mail.destinations
                           if simulator_scenario(a) is None and self.identity_for(a) is None]
        if unverified:
            raise SendRefused("not-verified", "Email address is not verified. The following identities failed the "
                                              f"check in region {self.region.upper()}: {', '.join(unverified)}")
        return identity

    def _default_configuration_set(self, identity: str) -> str | None:
        record = self.moto.email_identities.get(identity)
        return getattr(record, "configuration_set_name", None)

    def _happen(self, mail: OutboundMail, origin: Origin, step: Step) -> None:
        now = datetime.now(UTC)
        detail = event_detail(step, mail, now, self.region, self._simulation.rng)
        # Mailbox-simulator mail counts toward neither the bounce nor the complaint statistics.
        counted = [r for r in step.recipients if simulator_scenario(r) is None]
        if step.kind == "Bounce" and step.outcome in ("hard", "no-domain", "permanent"):
            for _ in counted:
                self.ledger.record_bounce(now.timestamp())
            self.reputation.hard_bounced(mail.message_id, [address_of(r) for r in counted])
        elif step.kind == "Complaint":
            for _ in counted:
                self.ledger.record_complaint(now.timestamp())
            self.reputation.complained(mail.message_id, [address_of(r) for r in counted])
        elif step.kind == "Reject":
            self.ledger.record_reject(now.timestamp())
        self.vdm.happened(mail.message_id, now, step.kind, step.outcome)
        extra_tags = {}
        if step.kind == "Delivery" and (ip := mta_ip(detail.get("reportingMTA", ""))):
            extra_tags["ses:outgoing-ip"] = [ip]
        self.publish(step.kind, detail, mail, origin, extra_tags)

    def publish(self, kind: str, detail: dict, mail: OutboundMail, origin: Origin,
                extra_tags: dict | None = None) -> None:
        """Publish one record: to the identity's notification topic (Bounce, Complaint, Delivery)
        and to every enabled event destination of the mail's configuration set that matches."""
        with self.lock:
            notification = self.notifications.get(origin.identity.lower())
            topic = notification.topics.get(kind) if notification else None
            with_headers = notification is not None and kind in notification.with_headers
            destinations = list(self.destinations.get(origin.configuration_set or "", {}).values())
        if kind in NOTIFICATION_TYPES and topic:
            sns_publisher.publish(topic, notification_record(kind, detail, mail, origin, with_headers))
        event_type = EVENT_KINDS[kind][1]
        for definition in destinations:
            sns = definition.get("SnsDestination") or {}
            if definition.get("Enabled") and event_type in definition.get("MatchingEventTypes", ()) and sns.get("TopicArn"):
                sns_publisher.publish(sns["TopicArn"], event_record(kind, detail, mail, origin, extra_tags),
                                      subject=EVENT_PUBLISHING_SUBJECT)

    def publish_soon(self, kind: str, detail: dict, mail: OutboundMail, origin: Origin) -> None:
        """publish(), from the simulator's thread, after what is already due (as SES publishes
        asynchronously, never inside the API call that caused it)."""
        self._scheduler.call_later(0.0, partial(self.publish, kind, detail, mail, origin))

    def list_mail(self, contact_list: str, address: str) -> tuple[OutboundMail, Origin] | None:
        """The last mail sent to `address` through `contact_list` (ListManagementOptions)."""
        with self.lock:
            return self._list_mail.get((contact_list, address_of(address).lower()))


def _check_addresses(mail: OutboundMail) -> None:
    for address in [mail.source, *mail.destinations]:
        if not is_email_address(address_of(address)):
            raise SendRefused("invalid", "Missing final '@domain'" if "@" not in address else f"Illegal address: {address}")
    if not mail.destinations:
        raise SendRefused("invalid", "Missing required header 'To'.")
    if len(mail.destinations) > MAX_RECIPIENTS:
        raise SendRefused("invalid", f"Recipient count exceeds {MAX_RECIPIENTS}.")
