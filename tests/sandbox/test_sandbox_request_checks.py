"""Requests SQS, SNS and CloudWatch refuse before acting, refused as AWS does (codes and wording from
their API references' error lists and AWS's own answers): raw boto3 and the AWS CLI as clients."""

from __future__ import annotations

import time

import pytest
from aws_errors import error_of


@pytest.fixture
def queue_url(aws) -> str:
    url = aws.sqs.create_queue(QueueName=f"checks-{time.monotonic_ns()}")["QueueUrl"]
    yield url
    aws.sqs.delete_queue(QueueUrl=url)


@pytest.mark.parametrize(("member", "value", "reason"), [
    ("WaitTimeSeconds", 21, "Must be >= 0 and <= 20, if provided."),
    ("WaitTimeSeconds", -1, "Must be >= 0 and <= 20, if provided."),
    ("MaxNumberOfMessages", 11, "Must be between 1 and 10, if provided."),
    ("MaxNumberOfMessages", 0, "Must be between 1 and 10, if provided."),
    ("VisibilityTimeout", 43201, "Must be >= 0 and <= 43200, if provided."),
    ("VisibilityTimeout", -1, "Must be >= 0 and <= 43200, if provided."),
])
def test_receive_message_parameters_out_of_range(aws, queue_url, member, value, reason):
    code, message, status = error_of(aws.sqs.receive_message, QueueUrl=queue_url, **{member: value})
    assert (code, status) == ("InvalidParameterValue", 400)
    assert message == f"Value {value} for parameter {member} is invalid. Reason: {reason}"


def test_batches_are_refused_whole_when_malformed(aws, queue_url):
    aws.sqs.send_message(QueueUrl=queue_url, MessageBody="kept")
    handle = aws.sqs.receive_message(QueueUrl=queue_url, VisibilityTimeout=30)["Messages"][0]["ReceiptHandle"]
    eleven = [{"Id": f"e{n}", "ReceiptHandle": handle} for n in range(11)]
    assert error_of(aws.sqs.delete_message_batch, QueueUrl=queue_url, Entries=eleven) == (
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        "Maximum number of entries per request are 10. You have sent 11.", 400)
    twice = [{"Id": "same", "ReceiptHandle": handle}, {"Id": "same", "ReceiptHandle": handle}]
    assert error_of(aws.sqs.delete_message_batch, QueueUrl=queue_url, Entries=twice) == (
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id same repeated.", 400)
    code, _, status = error_of(aws.sqs.change_message_visibility_batch, QueueUrl=queue_url,
                               Entries=[{**e, "VisibilityTimeout": 0} for e in twice])
    assert (code, status) == ("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400)
    code, _, status = error_of(aws.sqs.delete_message_batch, QueueUrl=queue_url,
                               Entries=[{"Id": "not valid!", "ReceiptHandle": handle}])
    assert (code, status) == ("AWS.SimpleQueueService.InvalidBatchEntryId", 400)
    # Nothing was deleted by the refused batches; a well-formed one still answers per entry.
    answer = aws.sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
        {"Id": "good", "ReceiptHandle": handle}, {"Id": "bad", "ReceiptHandle": "garbage"}])
    assert [s["Id"] for s in answer["Successful"]] == ["good"]
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in answer["Failed"]] == [
        ("bad", "ReceiptHandleIsInvalid", True)]


def test_sns_publish_to_a_missing_topic_or_an_empty_message(aws):
    topic = aws.sns.create_topic(Name=f"checks-{time.monotonic_ns()}")["TopicArn"]
    assert error_of(aws.sns.publish, TopicArn=topic + "-gone", Message="x") == ("NotFound", "Topic does not exist", 404)
    assert error_of(aws.sns.publish, TopicArn=topic, Message="") == (
        "InvalidParameter", "Invalid parameter: Empty message", 400)
    assert aws.sns.publish(TopicArn=topic, Message="x")["MessageId"]


def test_sns_refuses_a_subject_publish_documents_as_invalid(aws):
    topic = aws.sns.create_topic(Name=f"checks-subject-{time.monotonic_ns()}")["TopicArn"]
    for subject in ("two\nlines", "bell\x07", "s" * 100):
        assert error_of(aws.sns.publish, TopicArn=topic, Message="x", Subject=subject) == (
            "InvalidParameter", "Invalid parameter: Subject", 400)
    assert aws.sns.publish(TopicArn=topic, Message="x", Subject="Ação concluída: " + "s" * 83)["MessageId"]


def test_a_refusal_moto_words_reads_as_aws_words_it(aws):
    """moto nests a whole client error in some messages; AWS's is the part after the colon."""
    topic = aws.sns.create_topic(Name=f"checks-long-{time.monotonic_ns()}")["TopicArn"]
    assert error_of(aws.sns.publish, TopicArn=topic, Message="x" * 262145) == (
        "InvalidParameter", "Invalid parameter: Message too long", 400)


def test_a_topic_signs_as_version_1_or_2_only_and_says_which(aws):
    """SetTopicAttributes takes 1 or 2; GetTopicAttributes lists it once set (its reference)."""
    topic = aws.sns.create_topic(Name=f"checks-sig-{time.monotonic_ns()}")["TopicArn"]
    code, _, status = error_of(aws.sns.set_topic_attributes, TopicArn=topic, AttributeName="SignatureVersion",
                               AttributeValue="3")
    assert (code, status) == ("InvalidParameter", 400)
    assert "SignatureVersion" not in aws.sns.get_topic_attributes(TopicArn=topic)["Attributes"]  # absent: 1
    code, _, _ = error_of(aws.sns.create_topic, Name=f"checks-sig3-{time.monotonic_ns()}",
                          Attributes={"SignatureVersion": "SHA256"})
    assert code == "InvalidParameter"
    for version in ("2", "1"):
        aws.sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue=version)
        assert aws.sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SignatureVersion"] == version


def test_the_cli_reads_sqs_refusals_as_aws_words_them(cli, queue_url):
    code, _, err = cli("sqs", "receive-message", "--queue-url", queue_url, "--wait-time-seconds", "30")
    assert code != 0
    assert ("(InvalidParameterValue) when calling the ReceiveMessage operation: Value 30 for parameter "
            "WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.") in err
    assert "&lt;" not in err and err.count("An error occurred") == 1


def test_creating_a_queue_that_exists_with_other_attributes_names_the_attribute(cli, cli_refusal, aws):
    name = f"checks-exists-{time.monotonic_ns()}"
    code, first, err = cli("sqs", "create-queue", "--queue-name", name, "--attributes", "VisibilityTimeout=30")
    assert code == 0, err
    assert cli_refusal("sqs", "create-queue", "--queue-name", name, "--attributes",
                       "VisibilityTimeout=60,DelaySeconds=0") == (
        "QueueAlreadyExists", "A queue already exists with the same name and a different value for attribute "
                              "VisibilityTimeout")
    code, again, err = cli("sqs", "create-queue", "--queue-name", name, "--attributes",
                           "VisibilityTimeout=30,DelaySeconds=0")
    assert code == 0 and again["QueueUrl"] == first["QueueUrl"], err
    aws.sqs.delete_queue(QueueUrl=first["QueueUrl"])


def test_cloudwatch_refuses_a_reversed_range_or_too_many_datapoints(cli, cli_refusal):
    reads = ("--namespace", "AWS/SES", "--metric-name", "Reputation.BounceRate", "--statistics", "Maximum")
    assert cli_refusal("cloudwatch", "get-metric-statistics", *reads, "--start-time", "2026-01-02T00:00:00Z",
                       "--end-time", "2026-01-04T00:00:00Z", "--period", "60") == (
        "InvalidParameterCombination", "You have requested up to 2,880 datapoints, which exceeds the limit of 1,440. "
                                       "You may reduce the datapoints requested by increasing Period, or decreasing "
                                       "the time range.")
    code, out, err = cli("cloudwatch", "get-metric-statistics", *reads, "--start-time", "2026-01-02T00:00:00Z",
                         "--end-time", "2026-01-03T00:00:00Z", "--period", "60")
    assert code == 0 and out["Datapoints"] == [], err
    assert cli_refusal("cloudwatch", "get-metric-statistics", *reads, "--start-time", "2026-01-03T00:00:00Z",
                       "--end-time", "2026-01-02T00:00:00Z", "--period", "3600") == (
        "InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.")
    queries = '[{"Id": "b", "MetricStat": {"Metric": {"Namespace": "AWS/SES", "MetricName": "Reputation.BounceRate"}, ' \
              '"Period": 3600, "Stat": "Average"}}]'
    assert cli_refusal("cloudwatch", "get-metric-data", "--metric-data-queries", queries, "--start-time",
                       "2026-01-03T00:00:00Z", "--end-time", "2026-01-02T00:00:00Z")[0] == "InvalidParameterValue"
