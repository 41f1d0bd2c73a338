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

import threading
from typing import Callable, Iterator

from sestui.aws import Aws, AwsError, ErrorKind
from sestui.core.events import Parsed, Verifier
from sestui.ops import setup as wiring
from sestui.ops.collector import Collector
from sestui.ops.doctor_base import (
    FAIL,
    OK,
    SKIP,
    WARN,
    Check,
    DoctorOptions,
    Facts,
    count_text,
    queue_region,
    queue_url_parts,
)
from sestui.ops.doctor_ses import SesChecks
from sestui.store import Store, now_ms
from sestui.ops.doctor_trip import TripChecks


class Doctor(SesChecks, TripChecks):
    """One run of the checks. `cancel` (a threading.Event) stops a round trip that is waiting."""

    # In order: a later check may use what an earlier one found (see Facts).
    CHECKS = ("credentials", "region", "account", "sandbox_mode", "reputation", "vdm", "queue", "subscription",
              "raw_delivery", "queue_policy", "event_destination", "reputation_metrics", "identity",
              "default_configuration_set", "notifications", "dead_letter_queue", "collector", "round_trip", "last_event")

    LABELS = {"default_configuration_set": "default config set", "dead_letter_queue": "dead-letter queue", "vdm": "VDM"}

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
        self._unreachable = False  # a check found AWS unreachable: what it skips says so

    def run(self) -> Iterator[Check]:
        for name in self.CHECKS:
            check = self._guarded(name)
            self.results.append(check)
            yield check

    def _guarded(self, name: str) -> Check:
        label = self.LABELS.get(name, name.replace("_", " "))
        if self.facts.account is None and name != "credentials" and self.results:
            return Check(label, SKIP, "needs AWS to answer (unreachable, above)" if self._unreachable
                         else "needs working credentials")
        try:
            return getattr(self, f"check_{name}")()
        except AwsError as exc:
            self._unreachable = self._unreachable or exc.kind == ErrorKind.UNREACHABLE
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

    def check_reputation(self) -> Check:
        """AWS's own bounce and complaint rates (CloudWatch), which the header and `status` show first."""
        from sestui.core.reputation import BOUNCE, COMPLAINT, OK as LEVEL_OK, level
        from sestui.ops import reputation

        try:
            latest = reputation.latest_points(self.aws, [], self.clock())
        except AwsError as exc:
            fix = (f"allow {reputation.GET_METRIC_DATA} for these credentials (until then sestui shows its own estimate)"
                   if exc.kind == ErrorKind.DENIED else self._aws_fix(exc))
            return Check("reputation", WARN, f"cannot read AWS's rates: {exc}", fix)
        bounce, complaint = latest.get((None, "bounce")), latest.get((None, "complaint"))
        if bounce is None and complaint is None:
            return Check("reputation", OK, "no CloudWatch reputation points yet (AWS publishes them once there are "
                                           "bounces or complaints)")
        shown = ", ".join(f"{name} {value:.3%}" for name, point in (("bounce", bounce), ("complaint", complaint))
                          if point for value in [point[1]])
        worse = [lvl for lvl in (level(bounce[1] if bounce else None, BOUNCE),
                                 level(complaint[1] if complaint else None, COMPLAINT)) if lvl not in (LEVEL_OK, "UNKNOWN")]
        return Check("reputation", WARN if worse else OK, f"AWS's rates (CloudWatch): {shown}",
                     "see pane 4 and `sestui status`: AWS reviews at 5% / 0.1%" if worse else "")

    def check_account(self) -> Check:
        status = self._account_status()
        if status.enforcement_status == "SHUTDOWN":
            return Check("account", FAIL, "enforcement status SHUTDOWN: AWS stopped this account's sending",
                         "read the notice in the SES console (account dashboard) and contact AWS support")
        if status.sending_enabled is False:
            return Check("account", FAIL, "sending is paused for this account",
                         "find out why (SES console, account dashboard), then: "
                         "aws sesv2 put-account-sending-attributes --sending-enabled")
        quota = f"{count_text(status.sent_last_24_hours)} of {count_text(status.max_24_hour_send)} sent in 24h"
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
