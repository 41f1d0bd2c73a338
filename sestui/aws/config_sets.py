"""SESv2 configuration sets: `aws.configuration_sets` — existence, event destinations, reputation
metrics and sending on/off per set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sestui.aws.ses import utc

if TYPE_CHECKING:
    from sestui.aws.client import Aws


@dataclass(frozen=True)
class ConfigurationSet:
    """What GetConfigurationSet says of a set that sestui acts on."""

    name: str
    sending_enabled: bool
    reputation_metrics_enabled: bool  # SES publishes Reputation.* to CloudWatch for this set
    last_fresh_start: datetime | None  # when its reputation metrics were last reset


class ConfigurationSets:
    def __init__(self, aws: Aws):
        self._aws = aws

    def get(self, name: str) -> ConfigurationSet | None:
        resp = self._aws.call_or_none("sesv2", "GetConfigurationSet", ConfigurationSetName=name)
        if resp is None:
            return None
        reputation = resp.get("ReputationOptions") or {}
        return ConfigurationSet(
            name=resp.get("ConfigurationSetName", name),
            sending_enabled=bool((resp.get("SendingOptions") or {}).get("SendingEnabled", True)),
            reputation_metrics_enabled=bool(reputation.get("ReputationMetricsEnabled", False)),
            last_fresh_start=utc(reputation.get("LastFreshStart")),
        )

    def exists(self, name: str) -> bool:
        return self.get(name) is not None

    def names(self) -> list[str]:
        # botocore has no paginator for sesv2 ListConfigurationSets (client.can_paginate is False).
        names: list[str] = []
        params: dict[str, Any] = {}
        while True:
            resp = self._aws.call("sesv2", "ListConfigurationSets", **params)
            names += resp.get("ConfigurationSets", [])
            if not resp.get("NextToken"):
                return names
            params["NextToken"] = resp["NextToken"]

    def create(self, name: str) -> None:
        self._aws.call("sesv2", "CreateConfigurationSet", ConfigurationSetName=name)

    def set_reputation_metrics(self, name: str, enabled: bool) -> None:
        """Have SES publish (or stop publishing) the set's Reputation.BounceRate/ComplaintRate."""
        self._aws.call("sesv2", "PutConfigurationSetReputationOptions", ConfigurationSetName=name,
                       ReputationMetricsEnabled=enabled)

    def set_sending(self, name: str, enabled: bool) -> None:
        """Pause (False) or resume (True) sending through this set (PutConfigurationSetSendingOptions)."""
        self._aws.call("sesv2", "PutConfigurationSetSendingOptions", ConfigurationSetName=name,
                       SendingEnabled=enabled)

    def event_destinations(self, name: str) -> list[dict[str, Any]]:
        """The set's destinations (Name, Enabled, MatchingEventTypes, SnsDestination...); [] if the set is absent."""
        resp = self._aws.call_or_none("sesv2", "GetConfigurationSetEventDestinations", ConfigurationSetName=name)
        destinations: list[dict[str, Any]] = (resp or {}).get("EventDestinations", [])
        return destinations

    def put_event_destination(self, name: str, destination: str, topic_arn: str, event_types: list[str], *,
                              update: bool) -> None:
        """Create (or, with `update`, replace) an enabled SNS event destination."""
        operation = "UpdateConfigurationSetEventDestination" if update else "CreateConfigurationSetEventDestination"
        self._aws.call("sesv2", operation, ConfigurationSetName=name, EventDestinationName=destination,
                       EventDestination={"Enabled": True, "MatchingEventTypes": list(event_types),
                                         "SnsDestination": {"TopicArn": topic_arn}})
