"""`sestui doctor`: is the SES -> SNS -> SQS -> sestui wiring sound, and if not, which piece is not.

Every check is a small method returning `Check(name, status, detail, fix)`; `Doctor.run()` yields
them in order, so a terminal or the console's doctor pane can show each as it completes. A check
that needs what an earlier one could not find is SKIP, not a second FAIL for the same cause.

The round trip sends one message to success@simulator.amazonses.com (naming the configuration
set) and waits for its Delivery event. It never takes events from a running collector: when a
collector with a fresh heartbeat is reading this queue into this database, the doctor only watches
the database. Otherwise it receives from the queue itself and stores every body through the
collector's own path (`Collector.process`: verify, store, then delete), so whatever it receives on the way
is kept exactly as the collector would have kept it.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

from sestui.ops import setup as wiring
from sestui.aws import Aws, AwsError
from sestui.core.events import Parsed, Verifier
from sestui.core.fmt import duration
from sestui.core.health import HEARTBEAT_STALE_MS
from sestui.ops.collector import Collector, CollectorOptions
from sestui.store import Store, now_ms

OK, WARN, FAIL, SKIP = "OK", "WARN", "FAIL", "SKIP"
SIMULATOR_SUCCESS = "success@simulator.amazonses.com"
STALE_EVENTS_MS = 24 * 3600 * 1000
DISCOVERY_LIMIT = 25  # configuration sets or identities examined when the operator named none

_QUEUE_URL_REGION = (
    re.compile(r"^https?://sqs[.-]([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"),
    re.compile(r"^https?://([a-z0-9-]+)\.queue\.amazonaws\.com(?:\.cn)?/"),
)


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # OK | WARN | FAIL | SKIP
    detail: str
    fix: str = ""


@dataclass
class DoctorOptions:
    queue_url: str | None
    identity: str | None = None
    configuration_set: str | None = None
    topic_arn: str | None = None
    send: bool = True
    timeout: float = 60.0
    verify_signatures: bool = False
    not_sent: str = "not sent (--no-send)"  # the round trip's SKIP detail when `send` is off


@dataclass
class Facts:
    """What the checks found, for the later checks (and the caller's summary line)."""

    account: str | None = None
    queue_arn: str | None = None
    queue_attributes: dict = field(default_factory=dict)
    topic_arn: str | None = None
    topic_source: str = ""
    subscription: dict | None = None
    configuration_set: str | None = None
    identity: str | None = None
    identity_verified: bool = False
    collector_live: bool = False
    round_trip_ms: int | None = None


def queue_region(queue_url: str) -> str | None:
    """The region an AWS queue URL names (None for an emulator's URL)."""
    if re.match(r"^https?://queue\.amazonaws\.com/", queue_url):
        return "us-east-1"
    for pattern in _QUEUE_URL_REGION:
        match = pattern.match(queue_url)
        if match:
            return match.group(1)
    return None


def queue_url_parts(queue_url: str) -> tuple[str | None, str]:
    """(account id, queue name) from a queue URL's path."""
    parts = [p for p in queue_url.split("?")[0].split("/") if p]
    name = parts[-1] if parts else queue_url
    account = parts[-2] if len(parts) >= 2 and parts[-2].isdigit() else None
    return account, name


def failed(checks: list[Check]) -> bool:
    return any(c.status == FAIL for c in checks)


class Doctor:
    """One run of the checks. `cancel` (a threading.Event) stops a round trip that is waiting."""

    # In order: a later check may use what an earlier one found (see Facts).
    CHECKS = ("credentials", "region", "account", "sandbox_mode", "queue", "subscription", "raw_delivery",
              "queue_policy", "event_destination", "identity", "default_configuration_set", "notifications",
              "dead_letter_queue", "collector", "round_trip", "last_event")

    LABELS = {"default_configuration_set": "default config set", "dead_letter_queue": "dead-letter queue"}

    def __init__(self, aws: Aws, store: Store, options: DoctorOptions, *, verify: Verifier | None = None,
                 on_commit: Callable[[list[Parsed]], None] | None = None, clock: Callable[[], int] = now_ms,
                 collector: Collector | None = None):
        """`collector` (from ops.build.build_collector, not started) is the path the round trip
        stores through; without one, a plain collector with `verify` and `on_commit` is made."""
        self.aws, self.store, self.options = aws, store, options
        self.verify, self.on_commit, self.clock = verify, on_commit, clock
        self.collector = collector
        self.facts = Facts(topic_arn=options.topic_arn, configuration_set=options.configuration_set,
                           identity=options.identity)
        if options.topic_arn:
            self.facts.topic_source = "configured"
        self.cancel = threading.Event()
        self.round_trip_problem: str | None = None  # what the round trip could not store or verify
        self.results: list[Check] = []
        self._status = None

    def run(self) -> Iterator[Check]:
        for name in self.CHECKS:
            check = self._guarded(name)
            self.results.append(check)
            yield check

    def _guarded(self, name: str) -> Check:
        label = self.LABELS.get(name, name.replace("_", " "))
        if self.facts.account is None and name != "credentials" and self.results:
            return Check(label, SKIP, "needs working credentials")
        try:
            return getattr(self, f"check_{name}")()
        except AwsError as exc:
            return Check(label, FAIL, str(exc), self._aws_fix(exc))

    def _aws_fix(self, exc: AwsError) -> str:
        return exc.advice(setup=self.setup_command())

    def setup_command(self) -> str:
        """The `sestui setup` invocation that would create or repair this wiring."""
        parts = ["sestui setup", f"--identity {self.facts.identity or 'DOMAIN_OR_ADDRESS'}"]
        cs = self.facts.configuration_set
        if cs and cs != wiring.DEFAULT_CONFIGURATION_SET:
            parts.append(f"--configuration-set {cs}")
        if self.facts.topic_arn:
            topic = self.facts.topic_arn.rsplit(":", 1)[-1]
            if topic != wiring.DEFAULT_TOPIC:
                parts.append(f"--topic {topic}")
        if self.options.queue_url:
            name = queue_url_parts(self.options.queue_url)[1]
            if name != wiring.default_queue_name():
                parts.append(f"--queue {name}")
        return " ".join(parts)

    # -- account --------------------------------------------------------------------------------

    def check_credentials(self) -> Check:
        account, arn = self.aws.caller_identity()
        self.facts.account = account
        return Check("credentials", OK, f"account {account} as {arn}")

    def check_region(self) -> Check:
        region = self.aws.region
        url = self.options.queue_url
        if not url:
            return Check("region", OK, region)
        where = queue_region(url)
        if where and where != region:
            return Check("region", FAIL, f"the queue is in {where} but sestui uses {region}",
                         f"pass --region {where} (or set region = \"{where}\" in the config)")
        owner = queue_url_parts(url)[0]
        if owner and owner != self.facts.account:
            return Check("region", WARN, f"{region}; the queue belongs to account {owner}, the credentials to "
                                         f"{self.facts.account}", "use credentials of the queue's account (--profile)")
        return Check("region", OK, region + (", same as the queue" if where else ""))

    def _account_status(self):
        # GetSendQuota allows one request a second: read the account once per run.
        if self._status is None:
            try:
                self._status = self.aws.ses.account_status()
            except AwsError as exc:
                self._status = exc
        if isinstance(self._status, AwsError):
            raise self._status
        return self._status

    def check_account(self) -> Check:
        status = self._account_status()
        if status.enforcement_status == "SHUTDOWN":
            return Check("account", FAIL, "enforcement status SHUTDOWN: AWS stopped this account's sending",
                         "read the notice in the SES console (account dashboard) and contact AWS support")
        if status.sending_enabled is False:
            return Check("account", FAIL, "sending is paused for this account",
                         "find out why (SES console, account dashboard), then: "
                         "aws sesv2 put-account-sending-attributes --sending-enabled")
        quota = f"{_count(status.sent_last_24_hours)} of {_count(status.max_24_hour_send)} sent in 24h"
        if status.enforcement_status == "PROBATION":
            return Check("account", WARN, f"enforcement status PROBATION (under review); {quota}",
                         "bring the bounce and complaint rates down: see the reputation pane (4)")
        if status.max_24_hour_send and status.max_24_hour_send > 0 and \
                (status.sent_last_24_hours or 0) >= status.max_24_hour_send:
            return Check("account", WARN, f"24-hour quota used up: {quota}",
                         "wait, or ask AWS for a higher quota (Service Quotas console)")
        return Check("account", OK, f"sending enabled, {status.enforcement_status or 'status unknown'}; {quota}")

    def check_sandbox_mode(self) -> Check:
        if isinstance(self._status, AwsError):
            return Check("sandbox mode", SKIP, "needs the account status")
        status = self._account_status()
        if status.production_access is False:
            return Check("sandbox mode", WARN, "the account is in the SES sandbox: mail only to verified addresses "
                                               "and the mailbox simulator",
                         "request production access: SES console, account dashboard")
        return Check("sandbox mode", OK, "production access")

    # -- queue and subscription -----------------------------------------------------------------

    def check_queue(self) -> Check:
        url = self.options.queue_url
        if any(c.name == "region" and c.status == FAIL for c in self.results):
            return Check("queue", SKIP, "needs the queue's region")
        if not url:
            return Check("queue", FAIL, "no queue configured",
                         f"create the wiring with `{self.setup_command()}` (it writes queue_url), or pass --queue-url")
        attributes = self.aws.sqs.attributes(url)
        self.facts.queue_attributes = attributes
        self.facts.queue_arn = attributes.get("QueueArn")
        name = queue_url_parts(url)[1]
        waiting = int(attributes.get("ApproximateNumberOfMessages", 0))
        in_flight = int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0))
        self._discover()
        return Check("queue", OK, f"{name}: {waiting} waiting, {in_flight} in flight")

    def _discover(self) -> None:
        """Fill in what the operator did not name (topic, configuration set, identity) from the
        account, so that every later check and fix can name them. A failure here is left for the
        check that needs the answer to report."""
        try:
            self._find_topic()
            if not self.facts.configuration_set:
                self._find_configuration_set()
            if not self.facts.identity:
                self._find_identity()
        except AwsError:
            pass

    def _find_topic(self) -> None:
        """The topic feeding the queue: as configured, or the one its subscriptions name
        (preferring one the configuration set publishes to)."""
        if self.facts.topic_arn or not self.facts.queue_arn:
            return
        subs = self.aws.sns.endpoint_subscriptions(self.facts.queue_arn)
        topics = list(dict.fromkeys(s["TopicArn"] for s in subs if s.get("Protocol") == "sqs"))
        if self.facts.configuration_set and len(topics) > 1:
            published = {(d.get("SnsDestination") or {}).get("TopicArn")
                         for d in self.aws.configuration_sets.event_destinations(self.facts.configuration_set)}
            topics.sort(key=lambda t: t not in published)
        if topics:
            self.facts.topic_arn, self.facts.topic_source = topics[0], "the queue's subscription"

    def _needs(self, label: str, *what: str) -> Check | None:
        missing = [w for w in what if not getattr(self.facts, w)]
        if not missing:
            return None
        words = {"queue_arn": "a queue", "topic_arn": "a topic", "subscription": "a subscription",
                 "configuration_set": "a configuration set", "identity": "an identity"}
        return Check(label, SKIP, "needs " + " and ".join(words[w] for w in missing))

    def check_subscription(self) -> Check:
        if skip := self._needs("subscription", "queue_arn"):
            return skip
        topic = self.facts.topic_arn
        if not topic:
            return Check("subscription", FAIL, "no SNS topic delivers to this queue", self.setup_command())
        sub = wiring.find_subscription(self.aws, topic, self.facts.queue_arn)
        short = topic.rsplit(":", 1)[-1]
        if sub is None:
            return Check("subscription", FAIL, f"the queue is not subscribed to topic {short}", self.setup_command())
        self.facts.subscription = sub
        if str(sub.get("PendingConfirmation", "false")).lower() == "true":
            return Check("subscription", FAIL, f"the subscription to {short} is pending confirmation",
                         "confirm it: open the SubscribeURL of the SubscriptionConfirmation message in the queue, "
                         "or subscribe with the topic owner's credentials")
        if sub.get("FilterPolicy") not in (None, "", "{}"):
            return Check("subscription", WARN, f"confirmed, but a filter policy drops records from {short}",
                         f"aws sns set-subscription-attributes --subscription-arn {sub['SubscriptionArn']} "
                         "--attribute-name FilterPolicy --attribute-value '{}'")
        return Check("subscription", OK, f"confirmed, topic {short} ({self.facts.topic_source or 'configured'})")

    def check_raw_delivery(self) -> Check:
        if skip := self._needs("raw delivery", "subscription"):
            return skip
        sub = self.facts.subscription
        if str(sub.get("RawMessageDelivery", "false")).lower() != "true":
            return Check("raw delivery", OK, "off: bodies arrive in the SNS envelope")
        fix = (f"aws sns set-subscription-attributes --subscription-arn {sub.get('SubscriptionArn')} "
               f"--attribute-name RawMessageDelivery --attribute-value false (or {self.setup_command()})")
        if self.options.verify_signatures:
            return Check("raw delivery", FAIL, "on: bodies carry no SNS signature, so verify_signatures "
                                               "rejects every one", fix)
        return Check("raw delivery", WARN, "on: bodies arrive without the SNS envelope (sestui reads them, "
                                           "but cannot verify signatures or see the topic)", fix)

    def check_queue_policy(self) -> Check:
        if skip := self._needs("queue policy", "queue_arn", "topic_arn"):
            return skip
        policy = self.facts.queue_attributes.get("Policy")
        short = self.facts.topic_arn.rsplit(":", 1)[-1]
        admits = wiring.policy_admits(policy, self.facts.queue_arn, self.facts.topic_arn)
        if admits == "topic":
            return Check("queue policy", OK, f"allows topic {short} to send (aws:SourceArn)")
        fix = (f"{self.setup_command()} (adds an Allow of sqs:SendMessage for sns.amazonaws.com "
               "with aws:SourceArn = the topic)")
        if admits == "any":
            return Check("queue policy", WARN, "allows SNS without an aws:SourceArn condition: any topic may send",
                         fix)
        if not policy:
            return Check("queue policy", FAIL, "the queue has no policy: SNS cannot deliver to it", fix)
        return Check("queue policy", FAIL, f"the policy does not allow topic {short} to send", fix)

    # -- SES ------------------------------------------------------------------------------------

    def check_event_destination(self) -> Check:
        label = "event destination"
        if not self.facts.configuration_set:
            self._find_configuration_set()
        cs = self.facts.configuration_set
        if not cs:
            return Check(label, FAIL, "no configuration set given, and none publishes to the queue's topic",
                         f"pass --configuration-set NAME, or {self.setup_command()}")
        if not self.aws.configuration_sets.exists(cs):
            return Check(label, FAIL, f"configuration set {cs} does not exist in {self.aws.region}",
                         self.setup_command())
        if not self.facts.topic_arn:
            return Check(label, SKIP, f"{cs}: needs a topic")
        destinations = self.aws.configuration_sets.event_destinations(cs)
        best = wiring.best_destination(destinations, self.facts.topic_arn)
        fix = self.setup_command()
        if best is None:
            elsewhere = [d["SnsDestination"]["TopicArn"].rsplit(":", 1)[-1] for d in destinations
                         if (d.get("SnsDestination") or {}).get("TopicArn")]
            also = f" (its SNS destinations go to {', '.join(elsewhere)})" if elsewhere else ""
            return Check(label, FAIL, f"no event destination of {cs} publishes to the topic{also}", fix)
        name = best.get("Name")
        if not best.get("Enabled"):
            return Check(label, FAIL, f"{cs}/{name} is disabled: SES publishes nothing through it",
                         f"{fix} (or enable it: aws sesv2 update-configuration-set-event-destination)")
        essential = wiring.missing_event_types(best, wiring.ESSENTIAL_EVENT_TYPES)
        if essential:
            return Check(label, FAIL, f"{cs}/{name} does not publish {', '.join(essential)}", fix)
        others = wiring.missing_event_types(best)
        if others:
            return Check(label, WARN, f"{cs}/{name} does not publish {', '.join(others)}", fix)
        kms = (self.aws.sns.topic_attributes(self.facts.topic_arn) or {}).get("KmsMasterKeyId")
        if kms:
            return Check(label, WARN, f"{cs}/{name}: the topic is encrypted with KMS key {kms}",
                         "the key policy must allow ses.amazonaws.com kms:GenerateDataKey* and kms:Decrypt")
        return Check(label, OK, f"{cs}/{name}: enabled, all event types")

    def _find_configuration_set(self) -> None:
        if not self.facts.topic_arn:
            return
        for name in self.aws.configuration_sets.names()[:DISCOVERY_LIMIT]:
            if wiring.destinations_to(self.aws.configuration_sets.event_destinations(name), self.facts.topic_arn):
                self.facts.configuration_set = name
                return

    def check_identity(self) -> Check:
        if not self.facts.identity:
            self._find_identity()
        identity = self.facts.identity
        if not identity:
            return Check("identity", WARN, "no identity given: the round trip and identity checks need one",
                         "pass --identity DOMAIN_OR_ADDRESS (`sestui setup` records it in the config)")
        verification = self.aws.ses.identity_verification(identity)
        if verification is None:
            return Check("identity", FAIL, f"{identity} is not an identity of this account in {self.aws.region}",
                         f"{self.setup_command()} (starts its verification)")
        status = verification.get("VerificationStatus")
        if status == "Success":
            self.facts.identity_verified = True
            return Check("identity", OK, f"{identity}: verified")
        how = (f"click the link AWS mailed to {identity}" if "@" in identity else
               f"publish TXT _amazonses.{identity} = {verification.get('VerificationToken', '(token)')}")
        if status == "Pending":
            return Check("identity", FAIL, f"{identity}: verification pending", how)
        return Check("identity", FAIL, f"{identity}: verification {status}",
                     f"{self.setup_command()} starts it again; then {how}")

    def _find_identity(self) -> None:
        """The verified identity that has the configuration set as its default, or the only one."""
        identities = self.aws.ses.verified_identities()
        cs = self.facts.configuration_set
        if cs:
            for name in identities[:DISCOVERY_LIMIT]:
                if self.aws.ses.default_configuration_set(name) == cs:
                    self.facts.identity = name
                    return
        if len(identities) == 1:
            self.facts.identity = identities[0]

    def check_default_configuration_set(self) -> Check:
        label = "default config set"
        if skip := self._needs(label, "identity", "configuration_set"):
            return skip
        identity, cs = self.facts.identity, self.facts.configuration_set
        current = self.aws.ses.default_configuration_set(identity)
        if current == cs:
            return Check(label, OK, f"{cs} is {identity}'s default")
        if current:
            return Check(label, WARN, f"{identity}'s default is {current}: sends that name no set publish there, "
                                      "not here",
                         f"name --configuration-set {cs} in every send, or make it the default: aws sesv2 "
                         f"put-email-identity-configuration-set-attributes --email-identity {identity} "
                         f"--configuration-set-name {cs}")
        return Check(label, WARN, f"{identity} has no default configuration set: only sends that name {cs} "
                                  "publish events",
                     f"name --configuration-set {cs} in every send, or {self.setup_command()} (makes it the default)")

    def check_notifications(self) -> Check:
        if skip := self._needs("notifications", "identity"):
            return skip
        attributes = self.aws.ses.notifications(self.facts.identity)
        topics = {k: attributes.get(f"{k}Topic") for k in wiring.NOTIFICATION_TYPES}
        if not any(topics.values()):
            return Check("notifications", OK, "none set (the configuration set carries the events)")
        ours = [k for k, t in topics.items() if t and t == self.facts.topic_arn]
        gone = [f"{k} -> {t.rsplit(':', 1)[-1]}" for k, t in topics.items()
                if t and t != self.facts.topic_arn and self.aws.sns.topic_attributes(t) is None]
        if gone:
            return Check("notifications", WARN, f"to a topic that no longer exists: {', '.join(gone)}",
                         f"{self.setup_command()} --identity-notifications, or clear them: aws ses "
                         f"set-identity-notification-topic --identity {self.facts.identity} --notification-type TYPE")
        others = [f"{k} -> {t.rsplit(':', 1)[-1]}" for k, t in topics.items() if t and t != self.facts.topic_arn]
        parts = [f"{', '.join(ours)} to the topic too (a record that comes twice is stored once)"] if ours else []
        if others:
            parts.append(f"{', '.join(others)} (elsewhere; not read here)")
        return Check("notifications", OK, "; ".join(parts))

    # -- the queue's health -----------------------------------------------------------------------

    def check_dead_letter_queue(self) -> Check:
        label = "dead-letter queue"
        if skip := self._needs(label, "queue_arn"):
            return skip
        target = wiring.redrive_target(self.facts.queue_attributes)
        if not target:
            return Check(label, WARN, "none: a body that keeps failing is retried until it expires",
                         f"{self.setup_command()} (adds one)")
        name = target.rsplit(":", 1)[-1]
        url = self.aws.sqs.find(name)
        if url is None:
            return Check(label, WARN, f"{name} (the queue's redrive target) does not exist", self.setup_command())
        depth = self.aws.sqs.depth(url)
        count = depth["visible"] + depth["in_flight"] + depth["delayed"]
        if count:
            return Check(label, WARN, f"{name} holds {count} message{'s' if count != 1 else ''} that were received "
                                      "too often without being deleted",
                         f"look at them (aws sqs receive-message --queue-url {url}), then move them back: "
                         f"aws sqs start-message-move-task --source-arn {target}")
        return Check(label, OK, f"{name}: empty")

    def check_collector(self) -> Check:
        if skip := self._needs("collector", "queue_arn"):
            return skip
        now = self.clock()
        rows = [r for r in self.store.collector_states(now - HEARTBEAT_STALE_MS)
                if r["queue_url"] == self.options.queue_url and r["state"] == "running"]
        waiting = int(self.facts.queue_attributes.get("ApproximateNumberOfMessages", 0))
        if not rows:
            if waiting:
                return Check("collector", WARN, f"none reads this queue into {self.store.path}; {waiting} waiting",
                             "run `sestui collect` (or the console) with this queue and database")
            return Check("collector", OK, "none running on this database (the round trip reads the queue itself)")
        row = rows[0]
        self.facts.collector_live = True
        if row["last_error"] and (row["last_success"] or 0) < (row["last_error_at"] or 0):
            return Check("collector", FAIL, f"running but failing: {row['last_error']}",
                         "fix what the error names; the collector retries by itself")
        return Check("collector", OK, f"running, {row['stored']} stored since it started")

    # -- the round trip ---------------------------------------------------------------------------

    def check_round_trip(self) -> Check:
        label = "round trip"
        if not self.options.send:
            return Check(label, SKIP, self.options.not_sent)
        if failed(self.results):
            return Check(label, SKIP, "not sent: fix the failures above first")
        if skip := self._needs(label, "queue_arn", "identity", "configuration_set"):
            return skip
        identity = self.facts.identity
        sender = identity if "@" in identity else f"sestui-doctor@{identity}"
        started = time.monotonic()
        try:
            message_id = self.aws.ses.send_email(
                sender=sender, to=[SIMULATOR_SUCCESS], subject="sestui doctor round trip",
                body="Sent by `sestui doctor` to prove that SES events reach this queue.",
                configuration_set=self.facts.configuration_set, tags={"sestui": "doctor"})
        except AwsError as exc:
            return Check(label, FAIL, f"SES refused the test message from {sender}: {exc}",
                         self._aws_fix(exc) or "the sender must belong to a verified identity of this region")
        deadline = started + self.options.timeout
        how = "stored by the running collector" if self.facts.collector_live else "read from the queue"
        arrived = self._wait_db(message_id, deadline) if self.facts.collector_live else \
            self._receive_until(message_id, deadline)
        seconds = time.monotonic() - started
        if arrived:
            self.facts.round_trip_ms = int(seconds * 1000)
            return Check(label, OK, f"Delivery of {message_id} arrived after {seconds:.1f}s ({how})")
        if self.cancel.is_set():
            return Check(label, SKIP, f"sent {message_id}; stopped waiting")
        seen = sorted({e["event_type"] for e in self.store.timeline(message_id)})
        so_far = f"; only {', '.join(seen)} arrived" if seen else "; nothing of it arrived"
        if self.round_trip_problem:
            so_far += f" ({self.round_trip_problem})"
        return Check(label, FAIL, f"sent {message_id}; no Delivery within {self.options.timeout:g}s{so_far}",
                     "SES must be allowed to publish to the topic (its access policy, its KMS key); "
                     "if it is, try again with --timeout 180")

    def _delivered(self, message_id: str) -> bool:
        return any(e["event_type"] == "delivery" for e in self.store.timeline(message_id))

    def _wait_db(self, message_id: str, deadline: float) -> bool:
        while not self._delivered(message_id):
            if time.monotonic() >= deadline or self.cancel.wait(0.25):
                return False
        return True

    def _receive_until(self, message_id: str, deadline: float) -> bool:
        """Receive and hand each batch to the collector's own path (verify, store, delete; nothing
        deleted before it is committed, nothing undecided deleted) until the Delivery is stored
        or the deadline passes."""
        url = self.options.queue_url
        collector = self.collector or Collector(self.aws, self.store, CollectorOptions(url), verify=self.verify,
                                                on_commit=self.on_commit)
        while not self._delivered(message_id):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.cancel.is_set():
                return False
            messages = self.aws.receive(url, wait_seconds=max(0, min(5, int(remaining))),
                                        visibility_timeout=collector.options.visibility_timeout)
            if messages:
                self.round_trip_problem = collector.process(messages) or self.round_trip_problem
        return True

    def check_last_event(self) -> Check:
        latest = self.store.latest(1)
        if not latest:
            return Check("last event", FAIL, f"no events stored in {self.store.path}",
                         "run `sestui collect` (or the console) on this queue; `sestui doctor` without "
                         "--no-send sends a test message")
        age_ms = self.clock() - latest[0]["ts"]
        age = duration(age_ms)
        if age_ms > STALE_EVENTS_MS:
            return Check("last event", WARN, f"the newest event is {age} old ({latest[0]['event_type']})",
                         "if mail was sent since, events are not arriving: see the checks above")
        return Check("last event", OK, f"{age} ago ({latest[0]['event_type']})")


def _count(n: float | None) -> str:
    if n is None:
        return "?"
    return "unlimited" if n < 0 else f"{int(n):,}"
