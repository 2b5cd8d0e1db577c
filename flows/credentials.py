"""Secrets in flow runs: git credentials from a Prefect Secret block, and nothing secret left in the stored run.

Flow parameters are stored by the Prefect server and shown in its UI, API and events, so credentials are never
parameters: a parameter only *names* a Secret block (`git_credentials_block`), loaded on the worker when the run
starts. A run that was nevertheless created with a credential-bearing value (a custom run typed into the UI) is
refused by the parameter checks — and its stored parameters are overwritten with the redacted values first, so the
token does not stay in the server's database either.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from werf_core.errors import WerfError
from werf_core.redaction import redact

log = logging.getLogger("werf_prefect.credentials")


class CredentialsError(WerfError):
    """The git credentials block cannot be used."""


def _redacted(value: object) -> object:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    return value


def scrub_stored_parameters() -> bool:
    """Replace credential-bearing values in this flow run's stored parameters by their redacted form.

    Returns whether anything was replaced. Best effort: failing to reach the API must not hide the actual error.
    """
    from prefect.runtime import flow_run
    run_id = flow_run.id
    parameters = dict(flow_run.parameters or {})
    cleaned = {name: _redacted(value) for name, value in parameters.items()}
    if not run_id or cleaned == parameters:
        return False
    try:
        from prefect.client.orchestration import get_client
        with get_client(sync_client=True) as client:
            client.update_flow_run(run_id, parameters=cleaned)
    except Exception as err:
        log.warning("could not remove credentials from the stored parameters of flow run %s: %s", run_id,
                    redact(str(err)))
    return True


@contextmanager
def git_credentials_from_block(block: str | None, repository: str) -> Iterator[None]:
    """Within the context, git calls to the repository's host (or the block's `host`) use the block's token."""
    if not block:
        yield
        return
    from prefect.blocks.system import Secret

    from flows.params import check_block_name
    from werf_core.git.credentials import credentials_from_secret_value, use_credentials
    check_block_name(block)
    try:
        value = Secret.load(block, _sync=True).get()  # type: ignore[call-arg, union-attr]
    except ValueError as err:
        raise CredentialsError(f"cannot load the Prefect Secret block {block!r}: {redact(str(err))}",
                               hint="create it in the Prefect UI (Blocks → Secret) or with "
                                    "`Secret(value=...).save(name)`; its value: a token, or "
                                    '{"host": ..., "username": ..., "password": ...}') from None
    host = None
    if repository.startswith(("https://", "http://")):
        parts = urlsplit(repository)
        host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    credentials = credentials_from_secret_value(value, default_host=host)
    with use_credentials(credentials):
        yield
