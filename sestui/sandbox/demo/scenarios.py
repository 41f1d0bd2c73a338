"""The demo traffic's uncommon sends, so that every SES event type shows up within the first
minutes of `sestui sandbox --rate R` (and keeps showing up now and then):

multi-bounce   one send to two bouncing recipients and a good one: one Bounce record for both
complaint      a newsletter subscriber (a contact of the newsletter list) who marks it as spam;
               in the SES sandbox, where only the simulator can be mailed, complaint@ instead
virus          a message carrying the EICAR test file: Send, then Reject
bad-template   a templated send whose data lacks a variable: Rendering Failure
unsubscribe    a newsletter sent through a contact list, whose recipient then unsubscribes
               (the generator plays the recipient, through UpdateContact): Subscription

Deliveries, delays, opens and clicks come from the ordinary mix (traffic.py) and the simulator.
"""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from ..ses.outbound_mail import SIMULATOR_DOMAIN

# The EICAR anti-virus test file: harmless, and reported as a virus by every scanner.
EICAR = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
TEMPLATE = "sestui-demo-welcome"
CONTACT_LIST = "sestui-demo-newsletter"
TOPIC = "weekly-digest"
OPENING = ("multi-bounce", "virus", "bad-template", "unsubscribe", "complaint")
# Later, one send in EVERY is one of these, in turn.
EVERY = 40


def prepare(sesv2) -> None:
    """The template and the contact list the scenarios use (kept if they exist)."""
    for create, kwargs in (
        (sesv2.create_email_template, {"TemplateName": TEMPLATE, "TemplateContent": {
            "Subject": "Welcome to Example, {{name}}",
            "Text": "Hi {{name}}, your {{plan}} plan is ready.",
            "Html": "<p>Hi {{name}}, your {{plan}} plan is ready.</p>"}}),
        (sesv2.create_contact_list, {"ContactListName": CONTACT_LIST, "Topics": [
            {"TopicName": TOPIC, "DisplayName": "Weekly digest", "DefaultSubscriptionStatus": "OPT_IN"}]}),
    ):
        try:
            create(**kwargs)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "AlreadyExistsException":
                raise


def unsubscribe(sesv2, address: str) -> None:
    """The recipient of an `unsubscribe` newsletter opts out of its topic."""
    sesv2.update_contact(ContactListName=CONTACT_LIST, EmailAddress=address,
                         TopicPreferences=[{"TopicName": TOPIC, "SubscriptionStatus": "OPT_OUT"}])


def newsletter(sesv2, source: str, address: str, content: dict, config: dict) -> None:
    """Mail a contact of the newsletter list (made one first) through the list, as SES list mail is sent."""
    try:
        sesv2.create_contact(ContactListName=CONTACT_LIST, EmailAddress=address)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "AlreadyExistsException":
            raise
    sesv2.send_email(FromEmailAddress=source, Destination={"ToAddresses": [address]}, Content=content,
                     ListManagementOptions={"ContactListName": CONTACT_LIST, "TopicName": TOPIC}, **config)


def run(name: str, sesv2, source: str, n: int, ordinary: str, config: dict) -> str | None:
    """Send scenario `name`; `ordinary` is an address this account may mail (the SES sandbox
    allows only simulator ones), `config` the ConfigurationSetName argument, if any. Returns
    the address that must be unsubscribed later, for `unsubscribe`."""
    simple = {"Simple": {"Subject": {"Data": f"Your weekly digest #{n}"},
                         "Body": {"Text": {"Data": "This week at Example: three new features."}}}}
    if name == "multi-bounce":
        to = [f"bounce+m{n}a@{SIMULATOR_DOMAIN}", f"bounce+m{n}b@{SIMULATOR_DOMAIN}", ordinary]
        sesv2.send_email(FromEmailAddress=source, Destination={"ToAddresses": to}, Content=simple, **config)
    elif name == "complaint":
        if ordinary.endswith(f"@{SIMULATOR_DOMAIN}"):
            sesv2.send_email(FromEmailAddress=source, Destination={"ToAddresses": [f"complaint+m{n}@{SIMULATOR_DOMAIN}"]},
                             Content=simple, **config)
        else:  # the sandbox has `...+complaint@` addresses complain (mailbox_simulator.complains)
            local, _, domain = ordinary.rpartition("@")
            newsletter(sesv2, source, f"{local}+complaint@{domain}", simple, config)
    elif name == "virus":
        content = {"Simple": {"Subject": {"Data": f"Invoice INV-{n}"},
                              "Body": {"Text": {"Data": f"Invoice attached.\n\n{EICAR}\n"}}}}
        sesv2.send_email(FromEmailAddress=source, Destination={"ToAddresses": [ordinary]}, Content=content, **config)
    elif name == "bad-template":
        data = {"name": "Ana"}  # no "plan": the template cannot render
        sesv2.send_email(FromEmailAddress=source, Destination={"ToAddresses": [ordinary]}, Content={
            "Template": {"TemplateName": TEMPLATE, "TemplateData": json.dumps(data)}}, **config)
    elif name == "unsubscribe":
        newsletter(sesv2, source, ordinary, simple, config)
        return ordinary  # the recipient unsubscribes a little later: unsubscribe(sesv2, ordinary)
    else:
        raise ValueError(f"unknown scenario {name!r}")
    return None
