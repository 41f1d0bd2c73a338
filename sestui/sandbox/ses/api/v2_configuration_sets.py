"""SESv2 (REST-JSON): configuration sets and their event destinations."""

from __future__ import annotations

from ...http.protocol import ApiError, Call
from ..regional_account import SesAccount
from .names import check_name
from .registry import (
    DESTINATION_KINDS,
    EVENT_TYPES,
    configuration_set,
    handles,
    v2_page,
)


def _event_destination(p: dict) -> dict:
    definition = dict(p.get("EventDestination") or {})
    types = definition.get("MatchingEventTypes") or []
    if not types:
        raise ApiError("BadRequestException", "MatchingEventTypes must contain at least one event type.")
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise ApiError("BadRequestException", f"Invalid event type: {unknown[0]}.")
    kinds = [k for k in DESTINATION_KINDS if definition.get(k)]
    if len(kinds) != 1:
        raise ApiError("BadRequestException", "An event destination needs exactly one destination.")
    if kinds == ["SnsDestination"] and not str(definition["SnsDestination"].get("TopicArn", "")).startswith("arn:"):
        raise ApiError("BadRequestException", "SnsDestination.TopicArn must be an SNS topic ARN.")
    definition["Enabled"] = bool(definition.get("Enabled", False))
    return definition


def _destination_missing(config_set: str, name: str) -> ApiError:
    return ApiError("NotFoundException", f"Event destination <{name}> does not exist in configuration set <{config_set}>.")


@handles("sesv2", "CreateConfigurationSetEventDestination")
def create_event_destination(account: SesAccount, call: Call, p: dict) -> dict:
    config_set, name = configuration_set(account, p), p.get("EventDestinationName", "")
    check_name("event destination", name, "BadRequestException")
    if not account.put_destination(config_set, name, _event_destination(p), new=True):
        raise ApiError("AlreadyExistsException",
                       f"Event destination <{name}> already exists in configuration set <{config_set}>.")
    return {}


@handles("sesv2", "GetConfigurationSetEventDestinations")
def get_event_destinations(account: SesAccount, call: Call, p: dict) -> dict:
    config_set = configuration_set(account, p)
    with account.lock:
        items = account.destinations.get(config_set, {}).items()
        return {"EventDestinations": [{"Name": name, **definition} for name, definition in items]}


@handles("sesv2", "UpdateConfigurationSetEventDestination")
def update_event_destination(account: SesAccount, call: Call, p: dict) -> dict:
    config_set, name = configuration_set(account, p), p.get("EventDestinationName", "")
    if not account.put_destination(config_set, name, _event_destination(p), new=False):
        raise _destination_missing(config_set, name)
    return {}


@handles("sesv2", "DeleteConfigurationSetEventDestination")
def delete_event_destination(account: SesAccount, call: Call, p: dict) -> dict:
    config_set, name = configuration_set(account, p), p.get("EventDestinationName", "")
    if not account.delete_destination(config_set, name):
        raise _destination_missing(config_set, name)
    return {}


@handles("sesv2", "CreateConfigurationSet")
def create_configuration_set(account: SesAccount, call: Call, p: dict) -> dict | None:
    name = p.get("ConfigurationSetName", "")
    check_name("configuration set", name, "BadRequestException")
    if account.configuration_set_exists(name):
        raise ApiError("AlreadyExistsException", f"Configuration set <{name}> already exists.")
    return None  # moto creates it


@handles("sesv2", "DeleteConfigurationSet")
def delete_configuration_set(account: SesAccount, call: Call, p: dict) -> dict:
    config_set = configuration_set(account, p)
    with account.lock:
        del account.moto.config_sets[config_set]
        account.destinations.pop(config_set, None)
        # Identities keep naming it as their default: SES then refuses their sends (BadRequest).
    return {}


@handles("sesv2", "ListConfigurationSets")
def list_configuration_sets(account: SesAccount, call: Call, p: dict) -> dict:
    names, token = v2_page(list(account.moto.config_sets), p)
    return {"ConfigurationSets": names, **({"NextToken": token} if token else {})}
