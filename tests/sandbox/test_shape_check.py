"""The output-shape check that every test client applies to the sandbox's answers can fail."""

from __future__ import annotations

from datetime import UTC, datetime

import botocore.session

from shape_check import problems


def output(service: str, operation: str):
    return botocore.session.get_session().get_service_model(service).operation_model(operation).output_shape


def test_a_missing_required_member_and_a_wrong_type_are_found():
    shape = output("sesv2", "GetSuppressedDestination")
    good = {"SuppressedDestination": {"EmailAddress": "a@example.com", "Reason": "BOUNCE",
                                      "LastUpdateTime": datetime.now(UTC)}}
    assert problems(shape, good) == []
    missing = {"SuppressedDestination": {"EmailAddress": "a@example.com", "Reason": "BOUNCE"}}
    assert problems(shape, missing) == ["SuppressedDestination.LastUpdateTime (required) is missing"]
    wrong = {"SuppressedDestination": {**good["SuppressedDestination"], "EmailAddress": 5}}
    assert problems(shape, wrong) == ["SuppressedDestination.EmailAddress: int, not string"]


def test_lists_and_maps_are_walked():
    shape = output("ses", "GetSendStatistics")
    assert problems(shape, {"SendDataPoints": [{"DeliveryAttempts": "7"}]}) == [
        "SendDataPoints[0].DeliveryAttempts: str, not long"]
