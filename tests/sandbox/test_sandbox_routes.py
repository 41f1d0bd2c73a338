"""Every SDK generation is answered: SESv2 routes that moved between botocore versions, and an
AWS-shaped error (never an HTML 404) for any SES operation the sandbox does not emulate."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

# The routes of ListEmailIdentities / ListConfigurationSets in botocore's SESv2 model before
# 1.43.105 (the AWS CLI v1 1.46.3 bundles botocore 1.43.62) and after it.
OLD_ROUTES = {"ListEmailIdentities": ("GET", "/v2/email/identities"),
              "ListConfigurationSets": ("GET", "/v2/email/configuration-sets")}
NEW_ROUTES = {"ListEmailIdentities": ("POST", "/v2/email/list-identities"),
              "ListConfigurationSets": ("POST", "/v2/email/list-configuration-sets")}


def signed(endpoint: str, method: str, path: str, *, query: dict | None = None, body: bytes = b"",
           headers: dict | None = None, service: str = "ses", region: str = "us-east-1"):
    """Send a SigV4-signed request as an SDK would; returns (status, headers, body)."""
    url = endpoint + path + (f"?{urlencode(query)}" if query else "")
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    SigV4Auth(Credentials("testing", "testing"), service, region).add_auth(request)
    prepared = urllib.request.Request(url, data=body or None, method=method, headers=dict(request.headers.items()))
    try:
        with urllib.request.urlopen(prepared, timeout=10) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers.items()), err.read()


@pytest.fixture(scope="module")
def probe_box():
    """A sandbox of its own: the operation sweep below calls every operation, mutating ones too."""
    from sestui.sandbox import AccountSettings, Sandbox

    box = Sandbox(delay_scale=0, seed=7, account=AccountSettings(max_send_rate=1000, max_24_hour_send=-1))
    box.start()
    yield box
    box.stop()


@pytest.mark.parametrize("operation", sorted(OLD_ROUTES))
def test_the_old_get_routes_list_what_the_new_post_routes_list(sandbox, aws, operation):
    method, path = OLD_ROUTES[operation]
    status, headers, body = signed(sandbox.info.endpoint_url, method, path)
    assert status == 200, body[:300]
    assert headers["Content-Type"].startswith("application/json")
    old = json.loads(body)
    new_method, new_path = NEW_ROUTES[operation]
    status, _, body = signed(sandbox.info.endpoint_url, new_method, new_path, body=b"{}",
                             headers={"Content-Type": "application/json"})
    assert status == 200, body[:300]
    assert json.loads(body) == old
    if operation == "ListEmailIdentities":
        assert sandbox.info.identity in [i["IdentityName"] for i in old["EmailIdentities"]]
    else:
        assert sandbox.info.configuration_set in old["ConfigurationSets"]


def test_the_old_route_pages_with_the_query_string(sandbox, aws):
    aws.ses.verify_email_identity(EmailAddress="pager-a@sestui.test")
    aws.ses.verify_email_identity(EmailAddress="pager-b@sestui.test")
    seen, token = [], None
    for _ in range(20):
        query = {"PageSize": "1", **({"NextToken": token} if token else {})}
        status, _, body = signed(sandbox.info.endpoint_url, "GET", "/v2/email/identities", query=query)
        assert status == 200, body[:300]
        reply = json.loads(body)
        assert len(reply["EmailIdentities"]) == 1
        seen += [i["IdentityName"] for i in reply["EmailIdentities"]]
        token = reply.get("NextToken")
        if not token:
            break
    assert {"pager-a@sestui.test", "pager-b@sestui.test", sandbox.info.identity} <= set(seen)
    assert len(seen) == len(set(seen))


def test_boto3_lists_identities_and_sets_page_by_page(sandbox, aws):
    aws.ses.verify_email_identity(EmailAddress="pager-c@sestui.test")
    pages, token = [], None
    while len(pages) < 20:
        pages.append(aws.sesv2.list_email_identities(PageSize=1, **({"NextToken": token} if token else {})))
        token = pages[-1].get("NextToken")
        if not token:
            break
    assert len(pages) >= 2 and all(len(p["EmailIdentities"]) == 1 for p in pages)
    names = [i["IdentityName"] for p in pages for i in p["EmailIdentities"]]
    assert "pager-c@sestui.test" in names and len(names) == len(set(names))
    sets = aws.sesv2.list_configuration_sets(PageSize=1)
    assert len(sets["ConfigurationSets"]) == 1


def test_v1_list_identities_honours_max_items_and_next_token(sandbox, aws):
    aws.ses.verify_email_identity(EmailAddress="pager-d@sestui.test")
    first = aws.ses.list_identities(MaxItems=1)
    assert len(first["Identities"]) == 1 and first["NextToken"]
    second = aws.ses.list_identities(MaxItems=1, NextToken=first["NextToken"])
    assert len(second["Identities"]) == 1 and second["Identities"] != first["Identities"]
    everything = aws.ses.list_identities()["Identities"]
    assert "pager-d@sestui.test" in everything and "NextToken" not in aws.ses.list_identities()
    domains = aws.ses.list_identities(IdentityType="Domain")["Identities"]
    assert sandbox.info.identity in domains and not [d for d in domains if "@" in d]
    with pytest.raises(ClientError) as caught:
        aws.ses.list_identities(NextToken="not-a-token")
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"


def _dummy(shape, depth: int = 0):
    """A value of `shape` that passes the wire: required members only, enum values where given."""
    kind = shape.type_name
    if kind == "structure":
        return {} if depth > 6 else {name: _dummy(shape.members[name], depth + 1) for name in shape.required_members}
    if kind == "list":
        return [_dummy(shape.member, depth + 1)] if shape.metadata.get("min", 0) > 0 else []
    if kind == "map":
        return {}
    if kind == "string":
        return shape.enum[0] if shape.enum else "sestui-probe"
    if kind in ("integer", "long"):
        return max(1, int(shape.metadata.get("min", 1)))
    if kind in ("double", "float"):
        return 1.0
    if kind == "boolean":
        return True
    if kind == "blob":
        return b"probe"
    if kind == "timestamp":
        return datetime.now(UTC)
    raise AssertionError(f"no dummy for {kind}")


def _every_operation(service: str) -> list[str]:
    import botocore.session

    return sorted(botocore.session.get_session().get_service_model(service).operation_names)


@pytest.mark.parametrize("service", ["sesv2", "ses"])
def test_every_operation_of_the_model_answers_like_aws(probe_box, clients_for, service):
    from botocore.session import get_session

    session = get_session()
    session.set_credentials("testing", "testing")
    client = session.create_client(service, region_name="us-east-1", endpoint_url=probe_box.info.endpoint_url,
                                   config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))
    problems = []
    for name in _every_operation(service):
        operation = client.meta.service_model.operation_model(name)
        params = _dummy(operation.input_shape) if operation.input_shape else {}
        try:
            reply = client._make_api_call(name, params)
            content_type = reply["ResponseMetadata"]["HTTPHeaders"].get("content-type", "")
        except ClientError as err:
            error, meta = err.response.get("Error", {}), err.response["ResponseMetadata"]
            content_type = meta["HTTPHeaders"].get("content-type", "")
            code, message = error.get("Code", ""), error.get("Message", "")
            if not code or code.isdigit() or not message:
                problems.append(f"{name}: HTTP {meta['HTTPStatusCode']} code={code!r} message={message[:60]!r}")
                continue
        except ResponseParserError as err:
            problems.append(f"{name}: unparseable answer {str(err).splitlines()[-1][:80]}")
            continue
        if "html" in content_type:
            problems.append(f"{name}: answered {content_type}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("service, operation, params, code", [
    ("sesv2", "GetDeliverabilityDashboardOptions", {}, "UnknownOperationException"),
    ("sesv2", "ListRecommendations", {}, "UnknownOperationException"),
    ("ses", "DescribeReceiptRule", None, None),  # moto implements it: not the sandbox's error
    ("ses", "ListCustomVerificationEmailTemplates", {}, "InvalidAction"),
])
def test_an_operation_not_emulated_is_a_readable_client_error(probe_box, clients_for, service, operation, params, code):
    client = clients_for(probe_box.info.endpoint_url, "us-east-1", service)
    if params is None:
        with pytest.raises(ClientError) as caught:
            client._make_api_call(operation, {"RuleSetName": "none", "RuleName": "none"})
        assert "sestui sandbox" not in caught.value.response["Error"]["Message"]
        return
    with pytest.raises(ClientError) as caught:
        client._make_api_call(operation, params)
    error, meta = caught.value.response["Error"], caught.value.response["ResponseMetadata"]
    assert error["Code"] == code
    assert meta["HTTPStatusCode"] == 400
    assert "sestui sandbox" in error["Message"] and operation in error["Message"]
    expected_type = "application/json" if service == "sesv2" else "text/xml"
    assert meta["HTTPHeaders"]["content-type"].startswith(expected_type)


def test_an_unknown_v2_route_is_json_not_html(sandbox):
    status, headers, body = signed(sandbox.info.endpoint_url, "GET", "/v2/email/no-such-thing")
    assert status == 400
    assert headers["Content-Type"].startswith("application/json")
    reply = json.loads(body)
    assert "sestui sandbox" in reply.get("message", reply.get("Message", ""))
    assert headers.get("x-amzn-ErrorType", reply.get("__type", "")).startswith("UnknownOperationException")
