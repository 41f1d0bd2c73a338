"""Every boto3 call sestui makes. Knows boto3, not the database. See client.py for the call style."""

from sestui.aws.client import Aws
from sestui.aws.cloudwatch import ReputationSeries
from sestui.aws.config_sets import ConfigurationSet
from sestui.aws.contacts import Contact
from sestui.aws.errors import AwsError, ErrorKind, translate
from sestui.aws.ses import AccountStatus, StatPoint, quota_frees_at
from sestui.aws.sqs import HandleFailure, Redrive, SqsMessage
from sestui.aws.suppression import Suppression

DeleteFailure = HandleFailure  # the name before ChangeMessageVisibilityBatch shared it

__all__ = ["AccountStatus", "Aws", "AwsError", "ConfigurationSet", "Contact", "DeleteFailure", "ErrorKind",
           "HandleFailure", "Redrive", "ReputationSeries", "SqsMessage", "StatPoint", "Suppression",
           "quota_frees_at", "translate"]
