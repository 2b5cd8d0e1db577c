"""No credential in anything a build leaves behind: flow-run parameters, state messages, logs, task runs,
artifacts, events (read back through the Prefect API), CLI output, report files, the werf home.

A unique marker is the secret; every check greps for it. Repositories are served over https on loopback with basic
auth (`git http-backend`), so a build only succeeds when the credentials really reached git.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.prefect.runs import SMALL_PROJECT, finished_flow_run, flow_run, start_deployment_run, wait_until
from tests.support.git_http_server import GitHttpServer, self_signed_certificate
from tests.support.project import make_project, run_werf, werf_env

pytestmark = [pytest.mark.prefect, pytest.mark.docker, pytest.mark.slow]

USER = "ci-bot"


@pytest.fixture
def marker() -> str:
    return "mk" + uuid.uuid4().hex


@pytest.fixture
def https_origin(tmp_path, make_git_repo, project_name, marker, monkeypatch):
    """(server, origin repo) — a small werf project served at https://127.0.0.1:PORT/app.git for USER:marker."""
    import subprocess
    origin = make_git_repo("origin")
    make_project(origin, SMALL_PROJECT.format(project=project_name, install="cat /app/VERSION > /installed"),
                 {"src/VERSION": "1\n"})
    root = tmp_path / "served"
    root.mkdir()
    subprocess.run(["git", "clone", "--bare", "--quiet", str(origin.path), str(root / "app.git")], check=True)
    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv("GIT_SSL_CAINFO", str(cert))
    with GitHttpServer(root, username=USER, password=marker, tls=(cert, key)) as server:
        yield server, origin


def everything_prefect_holds(api, flow_run_id: str, since: str) -> str:
    """The flow run, its task runs, logs, artifacts, and every event since `since`, as one text."""
    parts = [flow_run(api, flow_run_id),
             api.post("/task_runs/filter", {"flow_runs": {"id": {"any_": [flow_run_id]}}, "limit": 200}),
             api.post("/logs/filter", {"logs": {"flow_run_id": {"any_": [flow_run_id]}}, "limit": 200}),
             api.post("/artifacts/filter", {"artifacts": {"flow_run_id": {"any_": [flow_run_id]}}, "limit": 200}),
             events(api, {"occurred": {"since": since}})]
    return json.dumps(parts)


def events(api, event_filter: dict) -> list[dict]:
    """Every event matching the filter (the API pages them by 50)."""
    import httpx
    page = api.post("/events/filter", {"filter": event_filter, "limit": 50})
    found = list(page["events"])
    while page.get("next_page"):
        response = httpx.get(page["next_page"], timeout=30)
        response.raise_for_status()
        page = response.json()
        found.extend(page["events"])
    return found


def wait_for_events_of(api, flow_run_id: str, since: str, final: str) -> None:
    def check():
        found = events(api, {"occurred": {"since": since},
                             "any_resource": {"id": [f"prefect.flow-run.{flow_run_id}"]}})
        return any(e["event"] == f"prefect.flow-run.{final}" for e in found)
    wait_until(check, timeout=30, interval=0.5, what=f"the {final} event of flow run {flow_run_id}")


def files_containing(root: Path, needle: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and needle.encode() in p.read_bytes()]


def now() -> str:
    return datetime.now(UTC).isoformat()


@pytest.mark.parametrize("template", ["https://{u}:{m}@git.example.com/acme/app.git",
                                      "https://ghp_{m}@github.com/acme/app.git",
                                      "https://git.example.com/acme/app.git?private_token={m}",
                                      "ssh://git:{m}@git.example.com/acme/app.git"])
def test_a_credential_bearing_repository_parameter_is_refused_and_scrubbed_from_the_server(
        prefect_api, werf_home, marker, template):
    from flows.build import build
    since = now()
    state = build(repository=template.format(u=USER, m=marker), ref="main", return_state=True)
    assert state.is_failed()
    assert "carries credentials" in state.message and "Secret block" in state.message
    run_id = str(state.state_details.flow_run_id)
    wait_for_events_of(prefect_api, run_id, since, "Failed")
    held = everything_prefect_holds(prefect_api, run_id, since)
    assert marker not in held
    assert "***" in json.dumps(flow_run(prefect_api, run_id)["parameters"])   # scrubbed, not just refused
    assert files_containing(werf_home, marker) == []


def test_a_deployment_run_with_credentials_in_the_url_leaves_no_trace(prefect_api, deployments, start_worker,
                                                                      werf_home, marker, tmp_path):
    since = now()
    worker = start_worker()
    run_id = start_deployment_run("werf-build/ci-build", {
        "repository": f"https://{USER}:{marker}@git.example.com/acme/app.git", "ref": "main"})
    run = finished_flow_run(prefect_api, run_id, workers=[worker])
    assert run["state_type"] == "FAILED" and "carries credentials" in run["state"]["message"]
    wait_for_events_of(prefect_api, run_id, since, "Failed")
    assert marker not in everything_prefect_holds(prefect_api, run_id, since)
    assert marker not in worker.log_tail() and files_containing(werf_home, marker) == []


def test_a_build_with_a_git_credentials_block_clones_and_keeps_the_token_secret(prefect_api, https_origin, werf_home,
                                                                                 marker, docker_client, project_name,
                                                                                 busybox_image):
    from prefect.blocks.system import Secret

    from flows.build import build
    server, origin = https_origin
    block = f"git-{uuid.uuid4().hex[:10]}"
    Secret(value={"username": USER, "password": marker}).save(block)
    since = now()
    state = build(repository=server.url("app.git"), ref="main", git_credentials_block=block,
                  project_name=project_name, return_state=True)
    assert state.is_completed(), state.message
    assert server.authorizations                            # the token reached git through askpass
    report = state.result()
    assert report["images"]["app"]["stages"]
    run_id = str(state.state_details.flow_run_id)
    wait_for_events_of(prefect_api, run_id, since, "Completed")
    held = everything_prefect_holds(prefect_api, run_id, since)
    assert marker not in held and block in held             # the parameter names the block, never the token
    assert files_containing(werf_home, marker) == []


def test_a_wrong_token_from_the_block_fails_cleanly_without_showing_it(prefect_api, https_origin, werf_home):
    from prefect.blocks.system import Secret

    from flows.build import build
    server, _ = https_origin
    wrong = "wrong" + uuid.uuid4().hex
    block = f"git-{uuid.uuid4().hex[:10]}"
    Secret(value=wrong).save(block)                        # a bare token: for the repository's own host
    since = now()
    state = build(repository=server.url("app.git"), ref="main", git_credentials_block=block, return_state=True)
    assert state.is_failed() and "cannot clone" in state.message
    run_id = str(state.state_details.flow_run_id)
    wait_for_events_of(prefect_api, run_id, since, "Failed")
    assert wrong not in everything_prefect_holds(prefect_api, run_id, since)
    assert files_containing(werf_home, wrong) == []


def test_werf_build_with_a_credential_bearing_git_mapping_leaks_nothing(https_origin, git_repo, werf_home, marker,
                                                                        project_name, tmp_path, docker_client,
                                                                        busybox_image, monkeypatch):
    """The CLI (no Prefect): a werf.yaml remote mapping with user:token in its URL — stdout, stderr, the report,
    the werf home and the remote's cached clone hold no token; with a wrong token, the error shows none either."""
    server, _ = https_origin
    url = server.url("app.git").replace("https://", f"https://{USER}:{marker}@")
    werf_yaml = f"""
    project: {project_name}
    configVersion: 1
    ---
    image: app
    from: werf-prefect/busybox:latest
    git:
    - url: {url}
      branch: main
      herebyIAdmitThatBranchMightBreakReproducibility: true
      add: /src
      to: /app
    shell:
      install:
      - cat /app/VERSION
    """
    make_project(git_repo, werf_yaml)
    report = tmp_path / "report.json"
    env = werf_env(werf_home, GIT_SSL_CAINFO=os.environ["GIT_SSL_CAINFO"])
    result = run_werf(["build", "--dir", str(git_repo.path), "--stages-storage", ":local", "--report-path",
                       str(report), "--log-verbose"], env=env)
    assert marker not in result.stdout + result.stderr
    assert marker not in report.read_text() and files_containing(werf_home, marker) == []
    plan = run_werf(["config", "render", "--dir", str(git_repo.path)], env=env, check=False)
    assert marker not in plan.stdout + plan.stderr

    wrong = "wrong" + uuid.uuid4().hex
    make_project(git_repo, werf_yaml.replace(marker, wrong), message="wrong token")
    failed = run_werf(["build", "--dir", str(git_repo.path), "--stages-storage", ":local"], env=env, check=False)
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert wrong not in failed.stdout + failed.stderr and files_containing(werf_home, wrong) == []
