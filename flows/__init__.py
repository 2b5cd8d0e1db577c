"""Prefect flows: build, build-and-publish, stages sync."""

from werf_core.git.credentials import capture_environment
from werf_core.redaction import install_log_redaction

# every log record of a process that runs flows (workers included) is redacted before Prefect ships it to the API
install_log_redaction()
# a worker's WERF_GIT_HTTP_PASSWORD leaves os.environ before any werf.yaml template could read it with `env`
capture_environment()
