"""The receiver's HTTP side (Starlette): `POST /github`, `POST /gitlab`, `GET /health`.

Answers: 202 with the flow run when a build was started (or had been started for this body already), 200
`ignored` for events that do not build, 400 for a malformed delivery id, 401 for a bad signature/token, 408 when the
body does not arrive within the body timeout, 409 for a delivery id reused with a different body, 413 for a body
over the limit (checked on `Content-Length` and again while streaming, for chunked requests), 415 for anything but
JSON, 422 for malformed payloads (including JSON nested deeper than `MAX_JSON_DEPTH`) or values the build flow would
refuse, 503 when the Prefect API cannot take the run. Cheap checks come first: nothing is parsed before the delivery
is authenticated.

Replays: the delivery id header is not covered by the signature, so runs are keyed on the signed content — the
idempotency key is the provider plus the SHA-256 of the body: the same body again gives the same run, whatever its
delivery id. The delivery id is recorded as a tag of the run (`delivery:<provider>:<id>`); a delivery id that already
belongs to a run of another body is refused (409) instead of being answered with that run.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections import OrderedDict

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

MAX_JSON_DEPTH = 64               # GitHub/GitLab payloads nest about 8 levels
_DELIVERY_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class Rejected(Exception):
    def __init__(self, status: int, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.hint = hint


class _DeliveryLocks:
    """One lock per delivery id being handled, so two concurrent deliveries with one id cannot both pass the check."""

    def __init__(self, limit: int = 4096) -> None:
        self._locks: OrderedDict[str, asyncio.Lock] = OrderedDict()
        self._limit = limit

    def get(self, key: str) -> asyncio.Lock:
        lock = self._locks.pop(key, None) or asyncio.Lock()
        self._locks[key] = lock
        while len(self._locks) > self._limit:
            oldest, old_lock = next(iter(self._locks.items()))
            if old_lock.locked():
                break
            del self._locks[oldest]
        return lock


def create_app(settings: WebhookSettings, starter: RunStarter) -> Starlette:
    locks = _DeliveryLocks()

    async def github(request: Request) -> JSONResponse:
        return await _handle(request, "github", settings, starter, locks)

    async def gitlab(request: Request) -> JSONResponse:
        return await _handle(request, "gitlab", settings, starter, locks)

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "deployment": settings.deployment})

    return Starlette(routes=[Route("/github", github, methods=["POST"]), Route("/gitlab", gitlab, methods=["POST"]),
                             Route("/health", health, methods=["GET"])])


async def _handle(request: Request, provider: str, settings: WebhookSettings, starter: RunStarter,
                  locks: _DeliveryLocks) -> JSONResponse:
    headers = request.headers
    try:
        _check_declared_size(headers.get("content-length"), settings.max_body)
        _check_content_type(headers.get("content-type"))
        if provider == "gitlab" and not gitlab_token_valid(settings.secret, headers.get("x-gitlab-token")):
            raise Rejected(401, "bad or missing X-Gitlab-Token")
        try:
            body = await asyncio.wait_for(_read_body(request, settings.max_body), timeout=settings.body_timeout)
        except TimeoutError:
            raise Rejected(408, f"the body was not received within {settings.body_timeout:g}s") from None
        if provider == "github" and not github_signature_valid(settings.secret, body,
                                                               headers.get("x-hub-signature-256")):
            raise Rejected(401, "bad or missing X-Hub-Signature-256")
        payload = _parse_json(body)
        if provider == "github":
            event = headers.get("x-github-event", "")
            delivery = headers.get("x-github-delivery")
        else:
            event = headers.get("x-gitlab-event", "")
            delivery = headers.get("x-gitlab-event-uuid") or headers.get("idempotency-key")
        if delivery is not None and not _DELIVERY_ID.match(delivery):
            raise Rejected(400, "the delivery id header is not a delivery id (letters, digits, . _ : -; at most 128)")
        if provider == "github":
            outcome = github_trigger(event, payload, url_field=settings.github_url_field)
        else:
            outcome = gitlab_trigger(event, payload, url_field=settings.gitlab_url_field)
        if isinstance(outcome, Ignored):
            log.info("%s delivery %s ignored: %s", provider, delivery, outcome.reason)
            return JSONResponse({"status": "ignored", "reason": outcome.reason}, status_code=200)
        parameters = _checked_parameters(outcome, settings)
    except Rejected as err:
        log.warning("%s delivery rejected (%d): %s", provider, err.status, err.message)
        return _rejected(err.status, err.message, err.hint)
    except MalformedPayload as err:
        return _rejected(422, f"malformed {provider} payload: {err}")

    # the signed content decides the run: a replayed body maps to its run whatever the delivery id says
    key = f"{provider}-{hashlib.sha256(body).hexdigest()}"
    tags = ["ci-webhook", provider]
    delivery_tag = f"delivery:{provider}:{delivery}" if delivery else None
    try:
        async with locks.get(delivery_tag or key):
            if delivery_tag is not None:
                tags.append(delivery_tag)
                if any(other != key for other in await starter.keys_for_tag(delivery_tag)):
                    log.warning("%s delivery %s refused: that delivery id belongs to a run of another body",
                                provider, delivery)
                    return _rejected(409, f"delivery id {delivery} was already used for a different body; "
                                          "a new delivery needs a new id")
            run = await starter.start(parameters, idempotency_key=key, tags=tags)
    except Exception as err:
        log.error("%s delivery %s: could not start %s: %s", provider, delivery, settings.deployment, err)
        return JSONResponse({"status": "error", "error": "the build could not be started; retry later"},
                            status_code=503)
    log.info("%s delivery %s (%s): started flow run %s (%s)", provider, delivery, outcome.description, run.id,
             run.name)
    return JSONResponse({"status": "started", "flow_run_id": run.id, "flow_run_name": run.name,
                         "deployment": settings.deployment, "parameters": parameters,
                         "trigger": outcome.description}, status_code=202)


def _rejected(status: int, message: str, hint: str | None = None) -> JSONResponse:
    headers = {"connection": "close"} if status in (408, 413) else None   # the rest of the body is not read
    content = {"status": "rejected", "error": message, **({"hint": hint} if hint else {})}
    return JSONResponse(content, status_code=status, headers=headers)


def _parse_json(body: bytes) -> object:
    """JSON of bounded nesting: deeper documents get 422 (never a RecursionError and a 500)."""
    try:
        payload = json.loads(body)
    except RecursionError:
        raise Rejected(422, f"the JSON body is nested too deeply (more than {MAX_JSON_DEPTH} levels)") from None
    except (ValueError, UnicodeDecodeError):
        raise Rejected(422, "the body is not valid JSON") from None
    if _depth_exceeds(payload, MAX_JSON_DEPTH):
        raise Rejected(422, f"the JSON body is nested too deeply (more than {MAX_JSON_DEPTH} levels)")
    return payload


def _depth_exceeds(value: object, limit: int) -> bool:
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: list[object]
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


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
        raise Rejected(422, err.message, err.hint) from None
