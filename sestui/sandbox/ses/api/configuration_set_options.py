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
# v2 destination member -> (its v1 member, {v2 field: v1 field}, or None where the fields are the same)
_V1_DESTINATIONS: dict[str, tuple[str, dict[str, str] | None]] = {
    "SnsDestination": ("SNSDestination", {"TopicArn": "TopicARN"}),
    "CloudWatchDestination": ("CloudWatchDestination", None),
    "KinesisFirehoseDestination": ("KinesisFirehoseDestination",
                                   {"IamRoleArn": "IAMRoleARN", "DeliveryStreamArn": "DeliveryStreamARN"}),
}


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


def _set_reputation_metrics(config_set, enabled) -> dict:
    config_set.reputation_options = {**(config_set.reputation_options or {}), "ReputationMetricsEnabled": bool(enabled)}
    return {}


@handles("sesv2", "PutConfigurationSetReputationOptions")
def put_reputation_options(account: SesAccount, call: Call, p: dict) -> dict:
    return _set_reputation_metrics(_set(account, p), p.get("ReputationMetricsEnabled", False))


@handles("ses", "UpdateConfigurationSetReputationMetricsEnabled")
def update_reputation_metrics_v1(account: SesAccount, call: Call, p: dict) -> dict:
    return _set_reputation_metrics(_set(account, p, v1=True), p.get("Enabled", False))


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
    for kind, (v1_kind, fields) in _V1_DESTINATIONS.items():
        if definition.get(kind):
            value = definition[kind]
            out[v1_kind] = value if fields is None else {v1: value.get(v2) for v2, v1 in fields.items()}
    return out


def _v2_definition(destination: dict) -> dict:
    types = destination.get("MatchingEventTypes") or []
    unknown = [t for t in types if t not in _V2_EVENT_TYPES]
    if not types or unknown:
        raise ApiError("InvalidParameterValue", f"Invalid event type: {(unknown or ['(none)'])[0]}.")
    kind = next((kind for kind, (v1_kind, _) in _V1_DESTINATIONS.items() if destination.get(v1_kind)), None)
    if kind is None:
        raise ApiError("InvalidParameterValue", "An event destination needs exactly one destination.")
    v1_kind, fields = _V1_DESTINATIONS[kind]
    value = destination[v1_kind]
    if kind == "SnsDestination" and not str(value.get("TopicARN", "")).startswith("arn:"):
        raise ApiError("InvalidSNSDestination", "SNSDestination.TopicARN must be an SNS topic ARN.")
    return {"Enabled": bool(destination.get("Enabled", False)),
            "MatchingEventTypes": [_V2_EVENT_TYPES[t] for t in types],
            kind: value if fields is None else {v2: value.get(v1) for v2, v1 in fields.items()}}


def _put_destination_v1(account: SesAccount, p: dict, *, new: bool) -> dict:
    config_set = _set(account, p, v1=True).configuration_set_name
    destination = p.get("EventDestination") or {}
    name = destination.get("Name", "")
    if not account.put_destination(config_set, name, _v2_definition(destination), new=new):
        if new:
            raise ApiError("EventDestinationAlreadyExists", f"Event destination {name} already exists.")
        raise _v1_destination_missing(name)
    return {}


def _v1_destination_missing(name: str) -> ApiError:
    return ApiError("EventDestinationDoesNotExist", f"Event destination {name} does not exist.")


@handles("ses", "CreateConfigurationSetEventDestination")
def create_event_destination_v1(account: SesAccount, call: Call, p: dict) -> dict:
    return _put_destination_v1(account, p, new=True)


@handles("ses", "UpdateConfigurationSetEventDestination")
def update_event_destination_v1(account: SesAccount, call: Call, p: dict) -> dict:
    return _put_destination_v1(account, p, new=False)


@handles("ses", "DeleteConfigurationSetEventDestination")
def delete_event_destination_v1(account: SesAccount, call: Call, p: dict) -> dict:
    name = p.get("EventDestinationName", "")
    if not account.delete_destination(_set(account, p, v1=True).configuration_set_name, name):
        raise _v1_destination_missing(name)
    return {}
