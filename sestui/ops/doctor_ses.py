"""The doctor's SES checks: the configuration set's event destination and reputation metrics,
Virtual Deliverability Manager, the identity, its default set and notifications."""

from __future__ import annotations

from sestui.aws.vdm import ENABLE_COMMAND
from sestui.ops import setup as wiring
from sestui.ops.doctor_base import (
    DISCOVERY_LIMIT,
    FAIL,
    OK,
    SKIP,
    WARN,
    Check,
)


class SesChecks:
    """Checks of `Doctor` (ops/doctor.py), which holds their state: aws, store, options, facts."""

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

    def check_reputation_metrics(self) -> Check:
        """Whether SES publishes the set's own Reputation.* rates (else only sestui's estimate exists for it)."""
        label = "reputation metrics"
        if skip := self._needs(label, "configuration_set"):
            return skip
        cs = self.facts.configuration_set
        found = self.aws.configuration_sets.get(cs)
        if found is None:
            return Check(label, SKIP, f"configuration set {cs} does not exist")
        if found.reputation_metrics_enabled:
            return Check(label, OK, f"{cs}: on (AWS publishes its own bounce and complaint rates)")
        return Check(label, WARN, f"{cs}: off: AWS publishes no rates for it; sestui shows its own estimate",
                     f"{self.setup_command()} (turns them on), or aws sesv2 put-configuration-set-reputation-options "
                     f"--configuration-set-name {cs} --reputation-metrics-enabled")

    def check_vdm(self) -> Check:
        """Virtual Deliverability Manager: optional (and billed); with it the console shows rates per ISP."""
        if self.aws.vdm.state().enabled:
            return Check("VDM", OK, "Virtual Deliverability Manager on: rates per ISP in the reputation pane (i)")
        # OK, with the way to turn it on in the detail: a fix line would read as a problem to solve.
        return Check("VDM", OK, f"Virtual Deliverability Manager off (optional, billed): no rates per ISP; "
                                f"turn it on: {ENABLE_COMMAND}")

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
