"""The SQS and SNS requests AWS refuses before doing anything, refused here the same way before
moto sees them: moto lets them through, or refuses them under another code or a garbled message.

SQS: ReceiveMessage's MaxNumberOfMessages (1-10), WaitTimeSeconds (0-20) and VisibilityTimeout
(0-43200) out of range (moto wrote "must be <= 0 and >= 20" inside a nested "An error occurred"
and took a negative visibility timeout); a batch with no entries, more than 10, an Id repeated
or not made of 1-80 letters, digits, hyphens and underscores is refused whole (moto failed
repeated Ids entry by entry and called 11 distinct entries "Id 1 repeated.").
SNS: Publish to a topic that does not exist is NotFound "Topic does not exist" (moto: "Endpoint
does not exist"), an empty message or a Subject with a line break or a control character, or
of 100 characters or more, is refused (Publish's reference: "Subjects must be UTF-8 text with no
line breaks or control characters, and less than 100 characters long"), and a topic's
SignatureVersion is 1 or 2.
CloudWatch: GetMetricStatistics and GetMetricData need StartTime before EndTime, and
GetMetricStatistics returns at most 1,440 datapoints (its reference: "If you request more than
1,440 data points, CloudWatch returns an error"); moto answered both.
"""

from __future__ import annotations

import math
import re

from .protocol import ApiError, Call

_RECEIVE_LIMITS = {  # ReceiveMessage member -> (lowest, highest, AWS's reason)
    "MaxNumberOfMessages": (1, 10, "Must be between 1 and 10, if provided."),
    "WaitTimeSeconds": (0, 20, "Must be >= 0 and <= 20, if provided."),
    "VisibilityTimeout": (0, 43200, "Must be >= 0 and <= 43200, if provided."),
}
_BATCHES = {"SendMessageBatch", "DeleteMessageBatch", "ChangeMessageVisibilityBatch"}
MAX_BATCH_ENTRIES = 10
_BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_SIGNATURE_VERSIONS = ("1", "2")
MAX_STATISTICS_POINTS = 1440
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # line breaks included


def refusal(call: Call, topic_exists) -> ApiError | None:
    """The error AWS answers this request with before acting on it, or None to let it through.
    `topic_exists(arn)` says whether an SNS topic exists."""
    if call.service == "sqs" and (call.operation == "ReceiveMessage" or call.operation in _BATCHES):
        return _sqs(call.operation, _params(call))
    if call.service == "sns" and call.operation in ("Publish", "SetTopicAttributes", "CreateTopic"):
        return _sns(call.operation, _params(call), topic_exists)
    if call.service == "cloudwatch" and call.operation in ("GetMetricStatistics", "GetMetricData"):
        return _cloudwatch(call.operation, _params(call))
    return None


def _params(call: Call) -> dict:
    try:
        return call.params()
    except Exception:  # unparseable: moto answers it as it does
        return {}


def _sqs(operation: str, p: dict) -> ApiError | None:
    if operation == "ReceiveMessage":
        for name, (low, high, reason) in _RECEIVE_LIMITS.items():
            value = p.get(name)
            if isinstance(value, int) and not low <= value <= high:
                return ApiError("InvalidParameterValue", f"Value {value} for parameter {name} is invalid. "
                                                         f"Reason: {reason}")
        return None
    entries = p.get("Entries")
    if not isinstance(entries, list):
        return None
    if not entries:
        return ApiError("EmptyBatchRequest", f"There should be at least one {operation}RequestEntry in the request.")
    if len(entries) > MAX_BATCH_ENTRIES:
        return ApiError("TooManyEntriesInBatchRequest", f"Maximum number of entries per request are "
                                                        f"{MAX_BATCH_ENTRIES}. You have sent {len(entries)}.")
    ids: set[str] = set()
    for entry in entries:
        entry_id = str(entry.get("Id", ""))
        if not _BATCH_ID.match(entry_id):
            return ApiError("InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, "
                                                   "hyphens and underscores. It can be at most 80 letters long.")
        if entry_id in ids:
            return ApiError("BatchEntryIdsNotDistinct", f"Id {entry_id} repeated.")
        ids.add(entry_id)
    return None


def _sns(operation: str, p: dict, topic_exists) -> ApiError | None:
    if operation == "Publish":
        if p.get("TopicArn") and not topic_exists(p["TopicArn"]):
            return ApiError("NotFound", "Topic does not exist")
        if "Message" in p and not p["Message"]:
            return ApiError("InvalidParameter", "Invalid parameter: Empty message")
        subject = p.get("Subject")
        if subject is not None and (len(subject) >= 100 or _CONTROL.search(subject)):
            return ApiError("InvalidParameter", "Invalid parameter: Subject")
        return None
    if operation == "SetTopicAttributes":
        version = p.get("AttributeValue") if p.get("AttributeName") == "SignatureVersion" else None
    else:
        version = (p.get("Attributes") or {}).get("SignatureVersion")
    if version is not None and version not in _SIGNATURE_VERSIONS:
        return ApiError("InvalidParameter", "Invalid parameter: SignatureVersion")
    return None


def _cloudwatch(operation: str, p: dict) -> ApiError | None:
    start, end = p.get("StartTime"), p.get("EndTime")
    if start is None or end is None:
        return None
    if start >= end:
        return ApiError("InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.")
    period = p.get("Period")
    if operation == "GetMetricStatistics" and isinstance(period, int) and period > 0:
        points = math.ceil((end - start).total_seconds() / period)
        if points > MAX_STATISTICS_POINTS:
            return ApiError("InvalidParameterCombination", f"You have requested up to {points:,} datapoints, which "
                                                           f"exceeds the limit of {MAX_STATISTICS_POINTS:,}. You may "
                                                           "reduce the datapoints requested by increasing Period, or "
                                                           "decreasing the time range.")
    return None
