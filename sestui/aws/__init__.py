"""Every boto3 call sestui makes. Knows boto3, not the database."""

from sestui.aws.client import (AccountStatus, Aws, AwsError, DeleteFailure, SqsMessage, StatPoint,
                               Suppression, translate)

__all__ = ["AccountStatus", "Aws", "AwsError", "DeleteFailure", "SqsMessage", "StatPoint", "Suppression",
           "translate"]
