"""The emulated SES: account settings, quotas and statistics, suppression list, mailbox simulator,
records, their publishing to SNS, and the operations answered here (`api`)."""
