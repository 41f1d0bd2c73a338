"""`sestui setup`: create or adopt the SES -> SNS -> SQS wiring, idempotently.

Three phases, so that the decisions can be tested without AWS:

    survey(aws, request) -> Current     read what the account holds (read-only calls)
    plan(request, current) -> [Step]    pure: what exists, what to create, what to change
    Setup(aws, request, current).apply(steps) -> [Step]   make the changes, report what was done
                                                          (ops/setup_apply.py)

The wiring, for one identity and one configuration set: an SNS topic (shared by every operator);
per operator, an SQS queue with a dead-letter queue, a queue policy that lets exactly that topic
send, and the queue's subscription to the topic with raw delivery off; the configuration set with
an enabled SNS event destination for every event type and its reputation metrics on (SES then
publishes the set's own Reputation.BounceRate/ComplaintRate to CloudWatch); the set as the identity's default (only
if the identity has none); optionally the identity's Bounce/Complaint/Delivery notifications.
"""

from __future__ import annotations

import getpass
import json
import re
from dataclasses import dataclass, field

from sestui.aws import Aws
from sestui.core.queue_policy import policy_admits, policy_with_topic, statement_id  # noqa: F401 (doctor, tests)

DEFAULT_CONFIGURATION_SET = "sestui"
DEFAULT_TOPIC = "sestui-events"
DLQ_SUFFIX = "-dlq"
MAX_RECEIVE_COUNT = 5
RETENTION_SECONDS = 14 * 86400  # SQS's maximum: the queue is a durable buffer while nobody reads it
NOTIFICATION_TYPES = ("Bounce", "Complaint", "Delivery")
ALL_EVENT_TYPES = ("SEND", "REJECT", "BOUNCE", "COMPLAINT", "DELIVERY", "OPEN", "CLICK", "RENDERING_FAILURE",
                   "DELIVERY_DELAY", "SUBSCRIPTION")
# Without these the console's picture of delivery is wrong; the others (opens, clicks...) are extras.
ESSENTIAL_EVENT_TYPES = ("SEND", "REJECT", "BOUNCE", "COMPLAINT", "DELIVERY", "DELIVERY_DELAY")

EXISTS, CREATE, CHANGE, KEEP = "exists", "create", "change", "keep"
DONE = {EXISTS: "exists", CREATE: "created", CHANGE: "changed", KEEP: "kept"}

_NAME = re.compile(r"[^A-Za-z0-9_-]+")


def default_queue_name() -> str:
    """One queue per operator (`sestui-<login>`): SNS copies every record to each subscribed queue,
    so consoles never take each other's events."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "operator"
    user = _NAME.sub("-", user).strip("-") or "operator"
    return f"sestui-{user}"[: 80 - len(DLQ_SUFFIX)]


def destination_name(topic: str) -> str:
    return (topic if topic.startswith("sestui") else f"sestui-{topic}")[:64]


@dataclass(frozen=True)
class Request:
    """What the operator asked for."""

    identity: str
    configuration_set: str = DEFAULT_CONFIGURATION_SET
    topic: str = DEFAULT_TOPIC
    queue: str = field(default_factory=default_queue_name)
    identity_notifications: bool = False


@dataclass
class Current:
    """What the account holds, as `survey` read it. ARNs are known even for what does not exist
    yet (they follow from partition, region, account and name), so a plan can name them."""

    account: str
    region: str
    partition: str = "aws"
    identity_status: str | None = None  # Success, Pending, Failed, TemporaryFailure, NotStarted; None = absent
    identity_default_set: str | None = None
    notifications: dict = field(default_factory=dict)  # GetIdentityNotificationAttributes for the identity
    topic_arn: str = ""
    topic_exists: bool = False
    queue_url: str | None = None
    queue_arn: str = ""
    queue_attributes: dict = field(default_factory=dict)
    dlq_name: str = ""
    dlq_url: str | None = None
    dlq_arn: str = ""
    subscription: dict | None = None  # SubscriptionArn, PendingConfirmation, RawMessageDelivery, ...
    configuration_set_exists: bool = False
    reputation_metrics: bool = False  # the set's ReputationOptions.ReputationMetricsEnabled
    destinations: list = field(default_factory=list)

    def arn(self, service: str, name: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{name}"


@dataclass(frozen=True)
class Step:
    key: str  # which part of the wiring; Setup.apply dispatches on it
    label: str
    action: str  # exists | create | change | keep (left alone on purpose; the detail says why)
    detail: str


# --- reading the account ---------------------------------------------------------------------------


def survey(aws: Aws, request: Request) -> Current:
    """Read-only: everything `plan` needs."""
    account, caller_arn = aws.caller_identity()
    partition = caller_arn.split(":")[1] if caller_arn.count(":") >= 5 else "aws"
    cur = Current(account=account, region=aws.region, partition=partition)

    verification = aws.ses.identity_verification(request.identity)
    if verification is not None:
        cur.identity_status = verification.get("VerificationStatus")
        cur.identity_default_set = aws.ses.default_configuration_set(request.identity)
        cur.notifications = aws.ses.notifications(request.identity)

    found = aws.sns.find_topic(request.topic)
    cur.topic_arn, cur.topic_exists = found or cur.arn("sns", request.topic), found is not None

    cur.queue_arn = cur.arn("sqs", request.queue)
    cur.queue_url = aws.sqs.find(request.queue)
    if cur.queue_url:
        cur.queue_attributes = aws.sqs.attributes(cur.queue_url)
        cur.queue_arn = cur.queue_attributes.get("QueueArn", cur.queue_arn)
    adopted = redrive_target(cur.queue_attributes)
    cur.dlq_name = adopted.rsplit(":", 1)[-1] if adopted else request.queue + DLQ_SUFFIX
    cur.dlq_arn = adopted or cur.arn("sqs", cur.dlq_name)
    cur.dlq_url = aws.sqs.find(cur.dlq_name)

    if cur.topic_exists:
        cur.subscription = find_subscription(aws, cur.topic_arn, cur.queue_arn)

    found_set = aws.configuration_sets.get(request.configuration_set)
    cur.configuration_set_exists = found_set is not None
    cur.reputation_metrics = bool(found_set and found_set.reputation_metrics_enabled)
    if cur.configuration_set_exists:
        cur.destinations = aws.configuration_sets.event_destinations(request.configuration_set)
    return cur


def find_subscription(aws: Aws, topic_arn: str, queue_arn: str) -> dict | None:
    """The topic's SQS subscription for the queue, with its attributes; a subscription waiting for
    confirmation has no ARN yet, so it comes back as {"PendingConfirmation": "true"}."""
    for sub in aws.sns.subscriptions(topic_arn):
        if sub.get("Protocol") != "sqs" or sub.get("Endpoint") != queue_arn:
            continue
        arn = sub.get("SubscriptionArn", "")
        if not arn.startswith("arn:"):
            return {"PendingConfirmation": "true", "TopicArn": topic_arn, "Endpoint": queue_arn}
        attributes = aws.sns.subscription_attributes(arn)
        if attributes is not None:
            return {"SubscriptionArn": arn, **attributes}
    return None


def redrive_target(queue_attributes: dict) -> str | None:
    """The dead-letter queue ARN of a queue's RedrivePolicy, if it has one."""
    try:
        return json.loads(queue_attributes.get("RedrivePolicy") or "{}").get("deadLetterTargetArn") or None
    except (ValueError, AttributeError):
        return None


# --- queue policies -----------------------------------------------------------------------------


# --- destinations -------------------------------------------------------------------------------


def destinations_to(destinations: list[dict], topic_arn: str) -> list[dict]:
    return [d for d in destinations if (d.get("SnsDestination") or {}).get("TopicArn") == topic_arn]


def missing_event_types(destination: dict, wanted=ALL_EVENT_TYPES) -> list[str]:
    have = set(destination.get("MatchingEventTypes") or [])
    return [t for t in wanted if t not in have]


def best_destination(destinations: list[dict], topic_arn: str) -> dict | None:
    """Of the destinations publishing to the topic, the most complete one (enabled, most types)."""
    mine = destinations_to(destinations, topic_arn)
    return min(mine, key=lambda d: (not d.get("Enabled"), len(missing_event_types(d))), default=None)


# --- planning (pure) ----------------------------------------------------------------------------


def plan(request: Request, cur: Current) -> list[Step]:
    steps = [
        _identity_step(request, cur),
        Step("topic", "topic", EXISTS if cur.topic_exists else CREATE, cur.topic_arn),
        _dlq_step(cur),
        _queue_step(request, cur),
        _policy_step(cur),
        _subscription_step(cur),
        Step("configuration_set", "configuration set", EXISTS if cur.configuration_set_exists else CREATE,
             request.configuration_set),
        _reputation_step(request, cur),
        _destination_step(request, cur),
        _default_set_step(request, cur),
    ]
    if request.identity_notifications:
        steps.append(_notifications_step(request, cur))
    return steps


def _identity_step(request: Request, cur: Current) -> Step:
    status = cur.identity_status
    if status is None:
        return Step("identity", "identity", CREATE, f"{request.identity}: start verification")
    if status == "Success":
        return Step("identity", "identity", EXISTS, f"{request.identity} (verified)")
    if status == "Pending":
        return Step("identity", "identity", KEEP, f"{request.identity}: verification pending ({verify_hint(request.identity)})")
    return Step("identity", "identity", CHANGE, f"{request.identity}: verification {status}; start it again")


def verify_hint(identity: str) -> str:
    if "@" in identity:
        return f"click the link AWS mailed to {identity}"
    return f"publish the TXT record _amazonses.{identity}"


def _dlq_step(cur: Current) -> Step:
    if cur.dlq_url:
        return Step("dlq", "dead-letter queue", EXISTS, cur.dlq_name)
    return Step("dlq", "dead-letter queue", CREATE, f"{cur.dlq_name} (14-day retention)")


def _queue_step(request: Request, cur: Current) -> Step:
    redrive = f"dead-letter queue {cur.dlq_name} after {MAX_RECEIVE_COUNT} receives"
    if not cur.queue_url:
        return Step("queue", "queue", CREATE, f"{request.queue} (14-day retention, {redrive})")
    if redrive_target(cur.queue_attributes) is None:
        return Step("queue", "queue", CHANGE, f"{request.queue}: + redrive to {redrive}")
    return Step("queue", "queue", EXISTS, f"{request.queue} (dead-letter queue {cur.dlq_name} after {_receives(cur)} receives)")


def _receives(cur: Current) -> str:
    try:
        return str(json.loads(cur.queue_attributes["RedrivePolicy"]).get("maxReceiveCount", "?"))
    except (KeyError, ValueError, AttributeError):
        return "?"


def _policy_step(cur: Current) -> Step:
    policy = cur.queue_attributes.get("Policy")
    admits = policy_admits(policy, cur.queue_arn, cur.topic_arn)
    if admits == "topic":
        return Step("policy", "queue policy", EXISTS, "allows the topic (aws:SourceArn)")
    what = "an Allow of sqs:SendMessage for sns.amazonaws.com with aws:SourceArn = the topic"
    if not policy:
        return Step("policy", "queue policy", CREATE, what)
    if admits == "any":
        return Step("policy", "queue policy", CHANGE, f"admitted any topic; + {what}")
    return Step("policy", "queue policy", CHANGE, f"+ {what} (other statements kept)")


def _subscription_step(cur: Current) -> Step:
    sub = cur.subscription
    if sub is None:
        return Step("subscription", "subscription", CREATE, "queue to topic, raw delivery off")
    if str(sub.get("PendingConfirmation", "false")).lower() == "true":
        return Step("subscription", "subscription", KEEP,
                    "pending confirmation: confirm it with the SubscribeURL of the SubscriptionConfirmation "
                    "message in the queue")
    if str(sub.get("RawMessageDelivery", "false")).lower() == "true":
        return Step("subscription", "subscription", CHANGE, "raw delivery on -> off (keep the SNS envelope)")
    return Step("subscription", "subscription", EXISTS, "confirmed, raw delivery off")


def _reputation_step(request: Request, cur: Current) -> Step:
    label = "reputation metrics"
    if cur.reputation_metrics:
        return Step("reputation_metrics", label, EXISTS, f"on: AWS publishes {request.configuration_set}'s own "
                                                         "bounce and complaint rates")
    what = f"AWS publishes {request.configuration_set}'s own bounce and complaint rates (CloudWatch)"
    return Step("reputation_metrics", label, CHANGE if cur.configuration_set_exists else CREATE,
                f"off -> on: {what}" if cur.configuration_set_exists else f"on: {what}")


def _destination_step(request: Request, cur: Current) -> Step:
    best = best_destination(cur.destinations, cur.topic_arn)
    if best is None:
        return Step("destination", "event destination", CREATE,
                    f"{destination_name(request.topic)}: all event types to the topic")
    changes = []
    if not best.get("Enabled"):
        changes.append("disabled -> enabled")
    missing = missing_event_types(best)
    if missing:
        changes.append("+ " + ", ".join(missing))
    if changes:
        return Step("destination", "event destination", CHANGE, f"{best.get('Name')}: " + "; ".join(changes))
    return Step("destination", "event destination", EXISTS, f"{best.get('Name')}: enabled, all event types")


def _default_set_step(request: Request, cur: Current) -> Step:
    label = "default config set"
    current = cur.identity_default_set
    if current == request.configuration_set:
        return Step("default_set", label, EXISTS, f"{request.configuration_set} is the identity's default")
    if current:
        return Step("default_set", label, KEEP, f"the identity's default is {current}: sends must name "
                                                f"--configuration-set {request.configuration_set}")
    return Step("default_set", label, CREATE, f"{request.configuration_set} as the identity's default "
                                              "(so sends that name no set publish events too)")


def _notifications_step(request: Request, cur: Current) -> Step:
    label = "notifications"
    wrong = [k for k in NOTIFICATION_TYPES if cur.notifications.get(f"{k}Topic") != cur.topic_arn]
    headers = [k for k in NOTIFICATION_TYPES if not cur.notifications.get(f"HeadersIn{k}NotificationsEnabled")]
    if not wrong and not headers:
        return Step("notifications", label, EXISTS, "Bounce, Complaint, Delivery to the topic, with headers")
    parts = [f"{', '.join(wrong)} to the topic"] if wrong else []
    if headers:
        parts.append(f"original headers in {', '.join(headers)}")
    return Step("notifications", label, CREATE if cur.identity_status is None else CHANGE, "; ".join(parts))


def changes(steps: list[Step]) -> list[Step]:
    return [s for s in steps if s.action in (CREATE, CHANGE)]
