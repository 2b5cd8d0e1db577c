"""The receiver's HTTP side (Starlette): `POST /github`, `POST /gitlab`, `GET /health`.

Answers: 202 with the flow run when a build was started (or had been started for this delivery already), 200
`ignored` for events that do not build, 401 for a bad signature/token, 413 for a body over the limit (checked on
`Content-Length` and again while streaming, for chunked requests), 415 for anything but JSON, 422 for malformed
payloads or values the build flow would refuse, 503 when the Prefect API cannot take the run. Cheap checks come
first: nothing is parsed before the delivery is authenticated.
"""

from __future__ import annotations

import hashlib
import json
import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from deployments.webhook.events import BuildTrigger, Ignored, MalformedPayload, github_trigger, gitlab_trigger
from deployments.webhook.settings import WebhookSettings
from deployments.webhook.signatures import github_signature_valid, gitlab_token_valid
from deployments.webhook.starter import RunStarter
from flows.params import ParameterError, check_commit, check_ref, check_repository

log = logging.getLogger("werf_prefect.webhook")


class Rejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def create_app(settings: WebhookSettings, starter: RunStarter) -> Starlette:
    async def github(request: Request) -> JSONResponse:
        return await _handle(request, "github", settings, starter)

    async def gitlab(request: Request) -> JSONResponse:
        return await _handle(request, "gitlab", settings, starter)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "deployment": settings.deployment})

    return Starlette(routes=[Route("/github", github, methods=["POST"]), Route("/gitlab", gitlab, methods=["POST"]),
                             Route("/health", health, methods=["GET"])])


async def _handle(request: Request, provider: str, settings: WebhookSettings, starter: RunStarter) -> JSONResponse:
    headers = request.headers
    try:
        _check_declared_size(headers.get("content-length"), settings.max_body)
        _check_content_type(headers.get("content-type"))
        if provider == "gitlab" and not gitlab_token_valid(settings.secret, headers.get("x-gitlab-token")):
            raise Rejected(401, "bad or missing X-Gitlab-Token")
        body = await _read_body(request, settings.max_body)
        if provider == "github" and not github_signature_valid(settings.secret, body,
                                                               headers.get("x-hub-signature-256")):
            raise Rejected(401, "bad or missing X-Hub-Signature-256")
        try:
            payload = json.loads(body)
        except ValueError:
            raise Rejected(422, "the body is not valid JSON") from None
        if provider == "github":
            event = headers.get("x-github-event", "")
            outcome = github_trigger(event, payload, url_field=settings.github_url_field)
            delivery = headers.get("x-github-delivery")
        else:
            event = headers.get("x-gitlab-event", "")
            outcome = gitlab_trigger(event, payload, url_field=settings.gitlab_url_field)
            delivery = headers.get("x-gitlab-event-uuid") or headers.get("idempotency-key")
        if isinstance(outcome, Ignored):
            log.info("%s delivery %s ignored: %s", provider, delivery, outcome.reason)
            return JSONResponse({"status": "ignored", "reason": outcome.reason}, status_code=200)
        parameters = _checked_parameters(outcome, settings)
    except Rejected as err:
        log.warning("%s delivery rejected (%d): %s", provider, err.status, err.message)
        return JSONResponse({"status": "rejected", "error": err.message}, status_code=err.status)
    except MalformedPayload as err:
        return JSONResponse({"status": "rejected", "error": f"malformed {provider} payload: {err}"}, status_code=422)

    # without a delivery id, a re-sent identical body still maps to the same run
    key = f"{provider}-{delivery or hashlib.sha256(body).hexdigest()}"
    try:
        run = await starter.start(parameters, idempotency_key=key, tags=["ci-webhook", provider])
    except Exception as err:
        log.error("%s delivery %s: could not start %s: %s", provider, delivery, settings.deployment, err)
        return JSONResponse({"status": "error", "error": "the build could not be started; retry later"},
                            status_code=503)
    log.info("%s delivery %s (%s): started flow run %s (%s)", provider, delivery, outcome.description, run.id,
             run.name)
    return JSONResponse({"status": "started", "flow_run_id": run.id, "flow_run_name": run.name,
                         "deployment": settings.deployment, "parameters": parameters,
                         "trigger": outcome.description}, status_code=202)


def _check_declared_size(value: str | None, limit: int) -> None:
    if value is None:
        return
    try:
        size = int(value)
    except ValueError:
        raise Rejected(400, "Content-Length is not a number") from None
    if size > limit:
        raise Rejected(413, f"the body ({size} bytes) is larger than the limit of {limit} bytes")


def _check_content_type(value: str | None) -> None:
    media_type = (value or "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise Rejected(415, f"content type {media_type or '(none)'} is not accepted: send application/json "
                            "(GitHub: webhook setting 'Content type: application/json')")


async def _read_body(request: Request, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Rejected(413, f"the body is larger than the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _checked_parameters(trigger: BuildTrigger, settings: WebhookSettings) -> dict:
    try:
        return {"repository": check_repository(trigger.repository, local_roots=list(settings.local_roots)),
                "ref": check_ref(trigger.ref), "commit": check_commit(trigger.commit), "trigger": "webhook"}
    except ParameterError as err:
        raise Rejected(422, err.message) from None
