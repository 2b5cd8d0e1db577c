"""The webhook receiver as deployed (`python -m deployments.webhook`, uvicorn) against the session Prefect server."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid

import httpx
import pytest

from deployments.webhook.signatures import github_signature
from tests.prefect.runs import ROOT, flow_run, wait_until
from tests.prefect.webhook_payloads import github_push
from tests.support.net import free_port

pytestmark = [pytest.mark.prefect]

SECRET = "webhook-test-secret-" + uuid.uuid4().hex


@pytest.fixture
def receiver(prefect_api, deployments, tmp_path):
    port = free_port()
    env = {**prefect_api.env, "WERF_PREFECT_WEBHOOK_SECRET": SECRET, "WERF_PREFECT_WEBHOOK_PORT": str(port),
           "WERF_PREFECT_WEBHOOK_MAX_BODY": str(256 * 1024), "WERF_PREFECT_WEBHOOK_LOCAL_ROOTS": str(tmp_path)}
    log = open(tmp_path / "receiver.log", "wb")
    process = subprocess.Popen([sys.executable, "-m", "deployments.webhook"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"

    def healthy():
        assert process.poll() is None, (tmp_path / "receiver.log").read_text()
        try:
            return httpx.get(f"{url}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False
    wait_until(healthy, timeout=60, what="the webhook receiver")
    started: list[str] = []
    yield url, started, tmp_path / "receiver.log"
    process.send_signal(signal.SIGINT)
    process.wait(timeout=20)
    log.close()
    for run_id in started:        # no worker of a later test should pick these up
        httpx.delete(f"{prefect_api.url}/flow_runs/{run_id}", timeout=30)


def post(url: str, body: bytes, *, delivery: str, signature: str | None = None) -> httpx.Response:
    return httpx.post(f"{url}/github", content=body, timeout=60, headers={
        "Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": signature or github_signature(SECRET, body)})


def test_signed_push_starts_one_ci_build_run_per_delivery(prefect_api, deployments, receiver, tmp_path):
    url, started, log_path = receiver
    repository = str(tmp_path / "acme-app")
    body = json.dumps(github_push(ref="refs/heads/main", clone_url=repository)).encode()
    delivery = str(uuid.uuid4())

    first = post(url, body, delivery=delivery)
    assert first.status_code == 202, first.text
    run_id = first.json()["flow_run_id"]
    started.append(run_id)
    run = flow_run(prefect_api, run_id)
    assert run["deployment_id"] == deployments["ci-build"]["id"]
    assert run["parameters"] == {"repository": repository, "ref": "refs/heads/main",
                                 "commit": github_push()["after"], "stages_storage": ":local", "trigger": "webhook"}
    assert run["state_type"] == "SCHEDULED" and {"ci-webhook", "github"} <= set(run["tags"])

    # GitHub redelivers, a CI job is re-run: the same delivery id starts nothing new
    again = post(url, body, delivery=delivery)
    assert again.status_code == 202 and again.json()["flow_run_id"] == run_id
    runs = prefect_api.post("/flow_runs/filter", {"deployments": {"id": {"any_": [deployments["ci-build"]["id"]]}},
                                                  "flow_runs": {"tags": {"all_": ["ci-webhook"]}}})
    assert [r["id"] for r in runs if r["parameters"].get("repository") == repository] == [run_id]

    # the delivery id is not signed: the same body under a new id is the same run (and that id is bound to it) ...
    replayed = post(url, body, delivery=str(uuid.uuid4()) + "-replay")
    assert replayed.status_code == 202 and replayed.json()["flow_run_id"] == run_id
    # ... and a known delivery id with another (validly signed) body is refused, not answered with this run
    other = json.dumps(github_push(ref="refs/heads/other", clone_url=repository)).encode()
    reused = post(url, other, delivery=delivery)
    assert reused.status_code == 409 and "different body" in reused.json()["error"]
    reused = post(url, other, delivery=replayed.request.headers["X-GitHub-Delivery"])
    assert reused.status_code == 409

    # a bad signature and an oversized body are refused before anything reaches Prefect
    forged = post(url, body.replace(b"refs/heads/main", b"refs/heads/evil"), delivery=str(uuid.uuid4()),
                  signature=github_signature(SECRET, body))
    assert forged.status_code == 401
    huge = json.dumps({**github_push(clone_url=repository), "padding": "x" * 300 * 1024}).encode()
    assert post(url, huge, delivery=str(uuid.uuid4())).status_code == 413
    assert SECRET not in log_path.read_text()


def test_the_secret_can_come_from_a_prefect_secret_block(prefect_api):
    from prefect.blocks.system import Secret

    from deployments.webhook.settings import WebhookSettings, WebhookSettingsError
    name = f"werf-webhook-{uuid.uuid4().hex[:8]}"
    Secret(value=SECRET).save(name)
    settings = WebhookSettings.from_env({"WERF_PREFECT_WEBHOOK_SECRET_BLOCK": name})
    assert settings.secret == SECRET and SECRET not in repr(settings)
    with pytest.raises(WebhookSettingsError, match="cannot load the Prefect Secret block"):
        WebhookSettings.from_env({"WERF_PREFECT_WEBHOOK_SECRET_BLOCK": name + "-missing"})
