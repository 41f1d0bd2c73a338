"""Page sizes as each List operation's API reference documents them (the member's documentation
in the SES and SESv2 API references; where it documents no range the sandbox takes 1-1000), and
the 100 identities a v1 attributes read takes at once (each operation's documentation)."""

from __future__ import annotations

import pytest
from aws_errors import error_of


def test_list_identities_max_items_is_1_to_1000(aws):
    assert error_of(aws.ses.list_identities, MaxItems=0)[:2] == (
        "InvalidParameterValue", "MaxItems must be between 1 and 1000.")
    assert len(aws.ses.list_identities(MaxItems=1)["Identities"]) == 1


def test_list_email_identities_takes_a_page_size_of_0_to_1000(aws, sandbox):
    identities = aws.sesv2.list_email_identities(PageSize=0)["EmailIdentities"]
    assert sandbox.info.identity in [i["IdentityName"] for i in identities]
    assert error_of(aws.sesv2.list_email_identities, PageSize=1001)[0] == "BadRequestException"


def test_list_email_templates_takes_a_page_size_of_1_to_100(aws):
    assert error_of(aws.sesv2.list_email_templates, PageSize=101)[:2] == (
        "BadRequestException", "PageSize must be between 1 and 100.")
    assert error_of(aws.sesv2.list_email_templates, PageSize=0)[0] == "BadRequestException"
    assert "TemplatesMetadata" in aws.sesv2.list_email_templates(PageSize=100)


@pytest.mark.parametrize("operation", ["get_identity_verification_attributes", "get_identity_dkim_attributes",
                                       "get_identity_notification_attributes"])
def test_identity_attribute_reads_take_at_most_100_identities(aws, sandbox, operation):
    read = getattr(aws.ses, operation)
    names = [sandbox.info.identity] + [f"nobody{n}@example.com" for n in range(99)]
    assert read(Identities=names)
    code, _, status = error_of(read, Identities=names + ["one-too-many@example.com"])
    assert (code, status) == ("InvalidParameterValue", 400)
