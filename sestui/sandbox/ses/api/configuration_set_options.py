"""A configuration set's options, the same whichever API version reads or writes them: sending,
reputation metrics, tracking, delivery, and (v1) its event destinations, which v1 and v2 share."""

from __future__ import annotations

from datetime import datetime

from ...http.protocol import ApiError, Call
from ..records import EVENT_KINDS
from ..regional_account import SesAccount, configuration_set_sending_enabled
from .registry import handles

# v2 EventType -> v1 EventType
_V1_EVENT_TYPES = {enum: key if key != "failure" else "renderingFailure" for key, enum in EVENT_KINDS.values()}
_V2_EVENT_TYPES = {v1: v2 for v2, v1 in _V1_EVENT_TYPES.items()}


def _set(account: SesAccount, p: dict, v1: bool = False):
    name = p.get("ConfigurationSetName", "")
    config_set = account.moto.config_sets.get(name)
    if config_set is None:
        raise ApiError("ConfigurationSetDoesNotExist" if v1 else "NotFoundException",
                       f"Configuration set <{name}> does not exist.")
    return config_set


def _reputation(config_set) -> dict:
    options = config_set.reputation_options or {}
    result = {"ReputationMetricsEnabled": bool(options.get("ReputationMetricsEnabled", False))}
    if isinstance(options.get("LastFreshStart"), datetime):
        result["LastFreshStart"] = options["LastFreshStart"]
    return result


@handles("sesv2", "GetConfigurationSet")
def get_configuration_set(account: SesAccount, call: Call, p: dict) -> dict:
    config_set = _set(account, p)
    result = {
        "ConfigurationSetName": config_set.configuration_set_name,
        "DeliveryOptions": {"TlsPolicy": "OPTIONAL", **(config_set.delivery_options or {})},
        "ReputationOptions": _reputation(config_set),
        "SendingOptions": {"SendingEnabled": configuration_set_sending_enabled(config_set)},
        "Tags": list(config_set.tags or []),
    }
    tracking = config_set.tracking_options or {}
    if tracking.get("CustomRedirectDomain"):  # CustomRedirectDomain is required in TrackingOptions
        result["TrackingOptions"] = dict(tracking)
    for key, value in (("SuppressionOptions", config_set.suppression_options),
                       ("VdmOptions", config_set.vdm_options)):
        if value:
            result[key] = value
    return result


@handles("sesv2", "PutConfigurationSetSendingOptions")
def put_sending_options(account: SesAccount, call: Call, p: dict) -> dict:
    _set(account, p).enabled = {"SendingEnabled": bool(p.get("SendingEnabled", False))}
    return {}


@handles("ses", "UpdateConfigurationSetSendingEnabled")
def update_sending_enabled_v1(account: SesAccount, call: Call, p: dict) -> dict:
    _set(account, p, v1=True).enabled = {"SendingEnabled": bool(p.get("Enabled", False))}
    return {}


@handles("sesv2", "PutConfigurationSetReputationOptions")
def put_reputation_options(account: SesAccount, call: Call, p: dict) -> dict:
    config_set = _set(account, p)
    config_set.reputation_options = {**(config_set.reputation_options or {}),
                                     "ReputationMetricsEnabled": bool(p.get("ReputationMetricsEnabled", False))}
    return {}


@handles("ses", "UpdateConfigurationSetReputationMetricsEnabled")
def update_reputation_metrics_v1(account: SesAccount, call: Call, p: dict) -> dict:
    config_set = _set(account, p, v1=True)
    config_set.reputation_options = {**(config_set.reputation_options or {}),
                                     "ReputationMetricsEnabled": bool(p.get("Enabled", False))}
    return {}


@handles("sesv2", "PutConfigurationSetTrackingOptions")
def put_tracking_options(account: SesAccount, call: Call, p: dict) -> dict:
    config_set = _set(account, p)
    if p.get("CustomRedirectDomain"):
        config_set.tracking_options = {k: p[k] for k in ("CustomRedirectDomain", "HttpsPolicy") if p.get(k)}
    else:
        config_set.tracking_options = {}
    return {}


@handles("ses", "DescribeConfigurationSet")
def describe_configuration_set_v1(account: SesAccount, call: Call, p: dict) -> dict:
    config_set = _set(account, p, v1=True)
    wanted = set(p.get("ConfigurationSetAttributeNames") or [])
    result: dict = {"ConfigurationSet": {"Name": config_set.configuration_set_name}}
    if "eventDestinations" in wanted:
        with account.lock:
            items = list(account.destinations.get(config_set.configuration_set_name, {}).items())
        result["EventDestinations"] = [_v1_destination(name, d) for name, d in items]
    if "trackingOptions" in wanted and (config_set.tracking_options or {}).get("CustomRedirectDomain"):
        result["TrackingOptions"] = {"CustomRedirectDomain": config_set.tracking_options["CustomRedirectDomain"]}
    if "deliveryOptions" in wanted:
        result["DeliveryOptions"] = {"TlsPolicy": (config_set.delivery_options or {}).get("TlsPolicy", "Optional")
                                     .capitalize()}
    if "reputationOptions" in wanted:
        result["ReputationOptions"] = {"SendingEnabled": configuration_set_sending_enabled(config_set),
                                       **_reputation(config_set)}
    return result


def _v1_destination(name: str, definition: dict) -> dict:
    out: dict = {"Name": name, "Enabled": bool(definition.get("Enabled")),
                 "MatchingEventTypes": [_V1_EVENT_TYPES[t] for t in definition.get("MatchingEventTypes", [])]}
    if definition.get("SnsDestination"):
        out["SNSDestination"] = {"TopicARN": definition["SnsDestination"]["TopicArn"]}
    if definition.get("CloudWatchDestination"):
        out["CloudWatchDestination"] = definition["CloudWatchDestination"]
    if definition.get("KinesisFirehoseDestination"):
        firehose = definition["KinesisFirehoseDestination"]
        out["KinesisFirehoseDestination"] = {"IAMRoleARN": firehose.get("IamRoleArn"),
                                             "DeliveryStreamARN": firehose.get("DeliveryStreamArn")}
    return out


def _v2_definition(destination: dict) -> dict:
    types = destination.get("MatchingEventTypes") or []
    unknown = [t for t in types if t not in _V2_EVENT_TYPES]
    if not types or unknown:
        raise ApiError("InvalidParameterValue", f"Invalid event type: {(unknown or ['(none)'])[0]}.")
    definition: dict = {"Enabled": bool(destination.get("Enabled", False)),
                        "MatchingEventTypes": [_V2_EVENT_TYPES[t] for t in types]}
    if destination.get("SNSDestination"):
        topic = str(destination["SNSDestination"].get("TopicARN", ""))
        if not topic.startswith("arn:"):
            raise ApiError("InvalidSNSDestination", "SNSDestination.TopicARN must be an SNS topic ARN.")
        definition["SnsDestination"] = {"TopicArn": topic}
    elif destination.get("CloudWatchDestination"):
        definition["CloudWatchDestination"] = destination["CloudWatchDestination"]
    elif destination.get("KinesisFirehoseDestination"):
        firehose = destination["KinesisFirehoseDestination"]
        definition["KinesisFirehoseDestination"] = {"IamRoleArn": firehose.get("IAMRoleARN"),
                                                    "DeliveryStreamArn": firehose.get("DeliveryStreamARN")}
    else:
        raise ApiError("InvalidParameterValue", "An event destination needs exactly one destination.")
    return definition


@handles("ses", "CreateConfigurationSetEventDestination")
def create_event_destination_v1(account: SesAccount, call: Call, p: dict) -> dict:
    config_set = _set(account, p, v1=True).configuration_set_name
    destination = p.get("EventDestination") or {}
    name, definition = destination.get("Name", ""), _v2_definition(destination)
    with account.lock:
        existing = account.destinations.setdefault(config_set, {})
        if name in existing:
            raise ApiError("EventDestinationAlreadyExists", f"Event destination {name} already exists.")
        existing[name] = definition
    return {}


@handles("ses", "UpdateConfigurationSetEventDestination")
def update_event_destination_v1(account: SesAccount, call: Call, p: dict) -> dict:
    config_set = _set(account, p, v1=True).configuration_set_name
    destination = p.get("EventDestination") or {}
    name, definition = destination.get("Name", ""), _v2_definition(destination)
    with account.lock:
        existing = account.destinations.get(config_set, {})
        if name not in existing:
            raise ApiError("EventDestinationDoesNotExist", f"Event destination {name} does not exist.")
        existing[name] = definition
    return {}


@handles("ses", "DeleteConfigurationSetEventDestination")
def delete_event_destination_v1(account: SesAccount, call: Call, p: dict) -> dict:
    config_set = _set(account, p, v1=True).configuration_set_name
    name = p.get("EventDestinationName", "")
    with account.lock:
        if account.destinations.get(config_set, {}).pop(name, None) is None:
            raise ApiError("EventDestinationDoesNotExist", f"Event destination {name} does not exist.")
    return {}
