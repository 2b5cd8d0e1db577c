"""The CI webhook receiver's HTTP contract, with a fake run starter (the real one is tested against a server)."""

from __future__ import annotations

import hashlib
import json

import pytest
from starlette.testclient import TestClient

from deployments.webhook.app import create_app
from deployments.webhook.settings import WebhookSettings, WebhookSettingsError
from deployments.webhook.signatures import github_signature, github_signature_valid, gitlab_token_valid
from deployments.webhook.starter import StartedRun
from tests.prefect.webhook_payloads import SHA, github_pull_request, github_push, gitlab_merge_request, gitlab_push

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

SECRET = "s3cr3t-webhook-value"


class FakeStarter:
    """Behaves like the Prefect server: one run per idempotency key; the tags of every start are kept on it."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[dict] = []
        self.fail = fail
        self.runs: dict[str, tuple[str, set[str]]] = {}     # idempotency key -> (run id, tags)

    async def start(self, parameters: dict, *, idempotency_key: str, tags: list[str]) -> StartedRun:
        if self.fail:
            raise ConnectionError("Prefect API unreachable")
        self.calls.append({"parameters": parameters, "key": idempotency_key, "tags": tags})
        run_id, run_tags = self.runs.setdefault(idempotency_key, (f"run-{len(self.runs) + 1}", set()))
        run_tags.update(tags)
        return StartedRun(id=run_id, name="build-app-main")

    async def keys_for_tag(self, tag: str) -> list[str]:
        return [key for key, (_, tags) in self.runs.items() if tag in tags]


@pytest.fixture
def starter() -> FakeStarter:
    return FakeStarter()


def client_for(starter, **settings) -> TestClient:
    return TestClient(create_app(WebhookSettings(secret=SECRET, **settings), starter))


@pytest.fixture
def client(starter) -> TestClient:
    return client_for(starter, max_body=64 * 1024)


def github_post(client, payload, *, event="push", delivery="d-1", secret=SECRET, body: bytes | None = None,
                headers: dict | None = None):
    body = json.dumps(payload).encode() if body is None else body
    sent = {"Content-Type": "application/json", "X-GitHub-Event": event, "X-GitHub-Delivery": delivery,
            "X-Hub-Signature-256": github_signature(secret, body), **(headers or {})}
    return client.post("/github", content=body, headers=sent)


def gitlab_post(client, payload, *, event="Push Hook", token=SECRET, uuid="u-1"):
    return client.post("/gitlab", content=json.dumps(payload).encode(),
                       headers={"Content-Type": "application/json", "X-Gitlab-Event": event,
                                "X-Gitlab-Token": token, "X-Gitlab-Event-UUID": uuid})


# ---------------------------------------------------------------- accepted deliveries
def test_signed_github_push_starts_a_run_with_repository_ref_and_commit(client, starter):
    response = github_post(client, github_push(), delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958")
    assert response.status_code == 202
    assert response.json()["flow_run_id"] == "run-1"
    body = json.dumps(github_push()).encode()
    assert starter.calls == [{"parameters": {"repository": "https://github.com/acme/app.git",
                                             "ref": "refs/heads/main", "commit": SHA, "trigger": "webhook"},
                              "key": "github-" + hashlib.sha256(body).hexdigest(),
                              "tags": ["ci-webhook", "github", "delivery:github:72d3162e-cc78-11e3-81ab-4c9367dc0958"]}]


def test_github_pull_request_builds_the_head_commit_from_the_base_repository(client, starter):
    response = github_post(client, github_pull_request(action="opened", number=42), event="pull_request")
    assert response.status_code == 202
    assert starter.calls[0]["parameters"] == {"repository": "https://github.com/acme/app.git",
                                              "ref": "refs/pull/42/head", "commit": SHA, "trigger": "webhook"}


def test_gitlab_push_and_merge_request(client, starter):
    assert gitlab_post(client, gitlab_push(ref="refs/tags/v1.0", event="Tag Push Hook"),
                       event="Tag Push Hook", uuid="u-7").status_code == 202
    assert gitlab_post(client, gitlab_merge_request(iid=3), event="Merge Request Hook").status_code == 202
    assert [c["parameters"] for c in starter.calls] == [
        {"repository": "https://gitlab.example.com/group/app.git", "ref": "refs/tags/v1.0", "commit": SHA, "trigger": "webhook"},
        {"repository": "https://gitlab.example.com/group/app.git", "ref": "refs/merge-requests/3/head",
         "commit": SHA, "trigger": "webhook"}]
    assert starter.calls[0]["key"].startswith("gitlab-") and "delivery:gitlab:u-7" in starter.calls[0]["tags"]


def test_ssh_clone_urls_when_configured(starter):
    client = client_for(starter, clone_url="ssh")
    github_post(client, github_push())
    gitlab_post(client, gitlab_push())
    assert [c["parameters"]["repository"] for c in starter.calls] == ["git@github.com:acme/app.git",
                                                                     "git@gitlab.example.com:group/app.git"]


def test_a_delivery_without_id_is_keyed_by_its_body(client, starter):
    body = json.dumps(github_push()).encode()
    headers = {"Content-Type": "application/json", "X-GitHub-Event": "push",
               "X-Hub-Signature-256": github_signature(SECRET, body)}
    client.post("/github", content=body, headers=headers)
    client.post("/github", content=body, headers=headers)
    keys = [c["key"] for c in starter.calls]
    assert keys[0] == keys[1] and keys[0].startswith("github-") and len(keys[0]) == len("github-") + 64


# ---------------------------------------------------------------- 401
@pytest.mark.parametrize("headers", [{"X-Hub-Signature-256": "sha256=" + "0" * 64},
                                     {"X-Hub-Signature-256": "sha1=abc"}, {"X-Hub-Signature-256": ""}])
def test_github_bad_signature_is_401_and_starts_nothing(client, starter, headers):
    response = github_post(client, github_push(), headers=headers)
    assert response.status_code == 401
    assert SECRET not in response.text
    assert starter.calls == []


def test_github_signature_over_a_different_body_is_401(client, starter):
    body = json.dumps(github_push()).encode()
    tampered = body.replace(b"refs/heads/main", b"refs/heads/evil")
    response = client.post("/github", content=tampered, headers={
        "Content-Type": "application/json", "X-GitHub-Event": "push",
        "X-Hub-Signature-256": github_signature(SECRET, body)})
    assert response.status_code == 401 and starter.calls == []


@pytest.mark.parametrize("token", ["wrong", "", SECRET + "x"])
def test_gitlab_bad_token_is_401(client, starter, token):
    assert gitlab_post(client, gitlab_push(), token=token).status_code == 401
    assert starter.calls == []


def test_signature_helpers():
    body = b'{"a": 1}'
    assert github_signature_valid(SECRET, body, github_signature(SECRET, body))
    assert not github_signature_valid(SECRET, body, github_signature("other", body))
    assert not github_signature_valid("", body, github_signature("", body))   # no secret: nothing is valid
    assert not github_signature_valid(SECRET, body, None)
    assert gitlab_token_valid(SECRET, SECRET) and not gitlab_token_valid(SECRET, None)
    assert not gitlab_token_valid("", "")


# ---------------------------------------------------------------- 413 / 415
def test_declared_oversized_body_is_413(client, starter):
    response = github_post(client, None, body=b"{" + b" " * (64 * 1024) + b"}")
    assert response.status_code == 413 and starter.calls == []


def test_streamed_oversized_body_without_content_length_is_413(client, starter):
    def chunks():
        for _ in range(20):
            yield b" " * 8192

    response = client.post("/github", content=chunks(), headers={
        "Content-Type": "application/json", "X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=00"})
    assert response.status_code == 413 and starter.calls == []


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", None])
def test_non_json_content_type_is_415(client, starter, content_type):
    body = b"payload=%7B%7D"
    headers = {"X-GitHub-Event": "push", "X-Hub-Signature-256": github_signature(SECRET, body)}
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post("/github", content=body, headers=headers)
    assert response.status_code == 415
    assert "application/json" in response.json()["error"]


def test_json_with_charset_is_fine(client, starter):
    body = json.dumps(github_push()).encode()
    response = client.post("/github", content=body, headers={
        "Content-Type": "application/json; charset=utf-8", "X-GitHub-Event": "push",
        "X-Hub-Signature-256": github_signature(SECRET, body)})
    assert response.status_code == 202


# ---------------------------------------------------------------- 422
@pytest.mark.parametrize("payload, fragment", [
    ({"ref": "refs/heads/main"}, "repository.clone_url"),
    ({**github_push(), "ref": 5}, "ref"),
    ({**github_push(), "after": None}, "after"),
    ([1, 2], "JSON object"),
    (github_push(ref="refs/heads/x;reboot"), "ref"),
    (github_push(ref="--upload-pack=id"), "ref"),
    (github_push(after="HEAD~1"), "commit"),
    (github_push(clone_url="file:///etc/passwd"), "scheme file://"),
    (github_push(clone_url="/srv/git/app"), "none configured"),
    (github_push(clone_url="ext::sh -c id"), "not accepted"),
])
def test_malformed_or_hostile_github_payloads_are_422(client, starter, payload, fragment):
    response = github_post(client, payload)
    assert response.status_code == 422, response.text
    assert fragment in response.json()["error"]
    assert starter.calls == []


def test_invalid_json_is_422(client, starter):
    assert github_post(client, None, body=b"{not json").status_code == 422


def test_gitlab_merge_request_without_commit_is_422(client, starter):
    payload = gitlab_merge_request()
    del payload["object_attributes"]["last_commit"]
    assert gitlab_post(client, payload, event="Merge Request Hook").status_code == 422


def test_local_repository_paths_are_allowed_under_configured_roots(starter):
    client = client_for(starter, local_roots=("/srv/git",))
    assert github_post(client, github_push(clone_url="/srv/git/app")).status_code == 202
    assert github_post(client, github_push(clone_url="/etc/app"), delivery="d-2").status_code == 422


# ---------------------------------------------------------------- 200 ignored
@pytest.mark.parametrize("event, payload", [
    ("ping", {"zen": "Keep it logically awesome.", "hook_id": 1}),
    ("issues", {"action": "opened"}),
    ("push", github_push(deleted=True)),
    ("pull_request", github_pull_request(action="closed")),
    ("pull_request", github_pull_request(action="labeled")),
])
def test_github_events_that_do_not_build_are_ignored(client, starter, event, payload):
    response = github_post(client, payload, event=event)
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert starter.calls == []


@pytest.mark.parametrize("event, payload", [
    ("Pipeline Hook", {"object_kind": "pipeline"}),
    ("Push Hook", {**gitlab_push(), "checkout_sha": None, "after": "0" * 40}),
    ("Merge Request Hook", gitlab_merge_request(action="close")),
    ("Merge Request Hook", gitlab_merge_request(action="update", oldrev=None)),   # a title edit, no new commits
])
def test_gitlab_events_that_do_not_build_are_ignored(client, starter, event, payload):
    response = gitlab_post(client, payload, event=event)
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert starter.calls == []


# ---------------------------------------------------------------- other
def test_unreachable_prefect_api_is_503_without_details():
    client = client_for(FakeStarter(fail=True))
    response = github_post(client, github_push())
    assert response.status_code == 503
    assert "unreachable" not in response.text


def test_only_post_on_the_hook_paths(client):
    assert client.get("/github").status_code == 405
    assert client.get("/health").json()["status"] == "ok"


def test_settings_from_the_environment():
    settings = WebhookSettings.from_env({"WERF_PREFECT_WEBHOOK_SECRET": SECRET,
                                         "WERF_PREFECT_WEBHOOK_DEPLOYMENT": "werf-build/nightly",
                                         "WERF_PREFECT_WEBHOOK_MAX_BODY": "1000",
                                         "WERF_PREFECT_WEBHOOK_LOCAL_ROOTS": "/srv/git:/data/repos"})
    assert (settings.deployment, settings.max_body, settings.local_roots) == (
        "werf-build/nightly", 1000, ("/srv/git", "/data/repos"))
    assert SECRET not in repr(settings)


@pytest.mark.parametrize("env, fragment", [
    ({}, "no secret"),
    ({"WERF_PREFECT_WEBHOOK_SECRET": "x", "WERF_PREFECT_WEBHOOK_DEPLOYMENT": "nodeployment"}, "DEPLOYMENT"),
    ({"WERF_PREFECT_WEBHOOK_SECRET": "x", "WERF_PREFECT_WEBHOOK_MAX_BODY": "-1"}, "MAX_BODY"),
    ({"WERF_PREFECT_WEBHOOK_SECRET": "x", "WERF_PREFECT_WEBHOOK_CLONE_URL": "ftp"}, "CLONE_URL"),
    ({"WERF_PREFECT_WEBHOOK_SECRET": "x", "WERF_PREFECT_WEBHOOK_LOCAL_ROOTS": "relative"}, "absolute"),
])
def test_bad_settings_refuse_to_start(env, fragment):
    with pytest.raises(WebhookSettingsError) as err:
        WebhookSettings.from_env(env)
    assert fragment in err.value.render()
