"""Prefect flows: build, build-and-publish, stages sync."""

from werf_core.redaction import install_log_redaction

# every log record of a process that runs flows (workers included) is redacted before Prefect ships it to the API
install_log_redaction()
