"""The ready-made CI pipelines in deployments/ci: valid YAML, only real `werf` commands and flags, a distributed-mode
environment when their scripts run, and webhook calls a receiver can verify."""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import json
import os
import re
import shlex
import subprocess
import sys
import threading
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from tests.ci_env.conftest import GITHUB_PUSH_WORKFLOW, GITLAB_BRANCH_PIPELINE
from werf_cli.main import COMMANDS
from werf_core.ci_env import CI_SYSTEMS

CI_DIR = Path(__file__).resolve().parents[2] / "deployments" / "ci"
WERF_BIN = Path(sys.executable).parent / "werf"

# Commands the pipelines may run. Those not registered in COMMANDS yet are checked against werf v1.1's flags.
EXPECTED_COMMANDS = {"version", "ci-env", "build-and-publish"}
WERF_V11_FLAGS = {
    "build-and-publish": {"--stages-storage", "--images-repo", "--synchronization", "--tag-by-stages-signature",
                          "--tag-git-branch", "--tag-git-tag", "--tag-git-commit", "--tag-custom", "--dir",
                          "--config", "--introspect-error", "--log-verbose", "--parallel", "--publish-report-path"},
}
DISTRIBUTED = {".gitlab-ci.yml": "gitlab", "github-actions.yml": "github"}
WEBHOOK = {".gitlab-ci-webhook.yml": "gitlab", "github-actions-webhook.yml": "github"}
SYNC_ADDRESS = re.compile(r'export WERF_SYNCHRONIZATION="kubernetes://werf-synchronization@base64:'
                          r'\$\{KUBECONFIG_BASE64:\?[^}]+\}"')


def load(name: str) -> dict:
    return yaml.safe_load((CI_DIR / name).read_text())


def scripts(name: str) -> list[str]:
    """Every shell script of the file: GitLab before_script/script joined per job, GitHub `run` steps."""
    data = load(name)
    if "jobs" in data:
        return [step["run"] for job in data["jobs"].values() for step in job["steps"] if "run" in step]
    found = []
    for job in data.values():
        if isinstance(job, dict) and "script" in job:
            found.append("\n".join(job.get("before_script", []) + job["script"]))
    return found


def without_heredocs(script: str) -> str:
    return re.sub(r"<<'(\w+)'\n.*?\n\1(\n|$)", "\n", script, flags=re.DOTALL)


def werf_invocations(script: str) -> list[list[str]]:
    """Argument lists of every `werf ...` call, including inside $(...)."""
    calls = []
    for match in re.finditer(r"(?<![\w/.$-])werf\s+([^;&|)\n]*)", without_heredocs(script)):
        calls.append(shlex.split(match.group(1)))
    return calls


def click_flags(command_name: str) -> set[str]:
    module, attr = COMMANDS[command_name].split(":")
    command = getattr(importlib.import_module(module), attr)
    return {opt for param in command.params for opt in param.opts if opt.startswith("-")}


def test_every_pipeline_file_is_present_and_valid_yaml():
    for name in [*DISTRIBUTED, *WEBHOOK]:
        assert isinstance(load(name), dict), name
    assert (CI_DIR / "README.md").is_file()


@pytest.mark.parametrize("name", [*DISTRIBUTED, *WEBHOOK])
def test_scripts_are_valid_bash(name):
    for script in scripts(name):
        done = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("name", [*DISTRIBUTED, *WEBHOOK])
def test_only_real_werf_commands_and_flags(name):
    for script in scripts(name):
        for args in werf_invocations(script):
            command, rest = args[0], args[1:]
            assert command in EXPECTED_COMMANDS, f"{name}: `werf {command}` is not a werf-prefect command"
            flags = {arg.split("=", 1)[0] for arg in rest if arg.startswith("-")}
            if command in COMMANDS:
                assert flags <= click_flags(command), f"{name}: unknown flags {flags - click_flags(command)}"
            else:
                assert flags <= WERF_V11_FLAGS[command], f"{name}: {flags - WERF_V11_FLAGS[command]}"
            if command == "ci-env":
                positional = [a for a in rest if not a.startswith("-")]
                assert positional[:1] == [DISTRIBUTED.get(name) or WEBHOOK.get(name)]
                assert positional[0] in CI_SYSTEMS


def test_ci_env_is_registered_already():
    assert "ci-env" in COMMANDS and "--as-file" in click_flags("ci-env")


@pytest.mark.parametrize("name", DISTRIBUTED)
def test_distributed_pipelines_source_ci_env_then_build_and_publish_with_kubernetes_sync(name):
    (script,) = [s for s in scripts(name) if "build-and-publish" in s]
    commands = [args[0] for args in werf_invocations(script)]
    assert commands.index("ci-env") < commands.index("build-and-publish")
    assert f". $(werf ci-env {DISTRIBUTED[name]} --as-file)" in script
    assert SYNC_ADDRESS.search(script)


def test_gitlab_pipeline_clones_full_history():
    assert load(".gitlab-ci.yml")["variables"]["GIT_DEPTH"] == "0"


def test_github_workflow_gives_the_token_and_full_history():
    data = load("github-actions.yml")
    job = data["jobs"]["build-and-publish"]
    checkout = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    build = next(s for s in job["steps"] if "build-and-publish" in s.get("run", ""))
    assert build["env"]["GITHUB_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
    assert build["env"]["KUBECONFIG_BASE64"] == "${{ secrets.KUBECONFIG_BASE64 }}"
    assert data["permissions"]["packages"] == "write"
    assert data[True]["push"]  # PyYAML reads the `on:` key as YAML 1.1's boolean


@pytest.mark.parametrize("name", WEBHOOK)
def test_webhook_pipelines_do_not_build_themselves(name):
    for script in scripts(name):
        assert not werf_invocations(script)
    text = (CI_DIR / name).read_text()
    assert "docker" not in " ".join(scripts(name)).lower()
    assert "WERF_PREFECT_WEBHOOK_URL" in text


# ------------------------------------------------------------ running the distributed scripts

SHIM = """#!/bin/sh
# Test double for commands that must not really run here: record the environment `werf build-and-publish` gets.
if [ "$1" = "build-and-publish" ]; then env -0 > "$RECORD"; exit 0; fi
exec {werf} "$@"
"""


@pytest.mark.parametrize("name", DISTRIBUTED)
def test_distributed_script_gives_build_and_publish_a_distributed_environment(name, clean_env, tmp_path):
    shim_dir = tmp_path / "bin"
    shim_dir.mkdir()
    (shim_dir / "werf").write_text(SHIM.format(werf=shlex.quote(str(WERF_BIN))))
    (shim_dir / "werf").chmod(0o755)
    kubeconfig = base64.b64encode(b"apiVersion: v1\nkind: Config\n").decode()
    ci = GITLAB_BRANCH_PIPELINE if DISTRIBUTED[name] == "gitlab" else GITHUB_PUSH_WORKFLOW
    workdir = tmp_path / "checkout"
    workdir.mkdir()
    (workdir / "werf.yaml").write_text("configVersion: 1\nproject: shop\n---\nimage: api\nfrom: alpine\n")
    env = {**os.environ, **ci, "PATH": f"{shim_dir}:{os.environ['PATH']}", "RECORD": str(tmp_path / "env"),
           "KUBECONFIG_BASE64": kubeconfig}
    if name == "github-actions.yml":
        env.update(load(name)["jobs"]["build-and-publish"]["env"])
        env["WERF_PREFECT_PIP_SPEC"] = "unused"
    (script,) = [s for s in scripts(name) if "build-and-publish" in s]
    # Installing werf-prefect is the only part left out: the werf on PATH is this checkout's.
    script = "\n".join(line for line in script.splitlines() if "pip" not in line and "venv" not in line
                       and not line.startswith("export PATH="))
    done = subprocess.run(["bash", "-e", "-c", script], env=env, cwd=workdir, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    recorded = dict(item.split("=", 1) for item in (tmp_path / "env").read_text().split("\0") if "=" in item)
    assert recorded["WERF_SYNCHRONIZATION"] == f"kubernetes://werf-synchronization@base64:{kubeconfig}"
    from werf_core.sync.address import parse_synchronization_address
    address = parse_synchronization_address(recorded["WERF_SYNCHRONIZATION"])  # what --synchronization accepts
    assert address.namespace == "werf-synchronization"
    assert address.kube.config_data_base64 == kubeconfig
    assert recorded["WERF_TAG_BY_STAGES_SIGNATURE"] == "true"
    if DISTRIBUTED[name] == "gitlab":
        assert recorded["WERF_STAGES_STORAGE"] == "registry.example.com/acme/shop-api/stages"
        login_host = "registry.example.com"
    else:
        assert recorded["WERF_STAGES_STORAGE"] == "ghcr.io/acme/shop-api/stages"
        assert recorded["WERF_IMAGES_REPO"] == "ghcr.io/acme/shop-api"
        login_host = "ghcr.io"
    auths = json.loads((Path(recorded["DOCKER_CONFIG"]) / "config.json").read_text())["auths"]
    assert login_host in auths


def test_missing_kubeconfig_stops_the_job_before_building(clean_env, tmp_path):
    (script,) = [s for s in scripts(".gitlab-ci.yml") if "build-and-publish" in s]
    sync_line = next(line for line in script.splitlines() if "WERF_SYNCHRONIZATION" in line)
    done = subprocess.run(["bash", "-e", "-c", f"{sync_line}\necho built"], env={"PATH": os.environ["PATH"]},
                          capture_output=True, text=True)
    assert done.returncode != 0
    assert "built" not in done.stdout
    assert "set the KUBECONFIG_BASE64 CI/CD variable" in done.stderr


# ------------------------------------------------------------ running the webhook scripts against a receiver

class Receiver:
    """A loopback stand-in for the webhook receiver: checks signatures the way the real one must."""

    def __init__(self, secret: str):
        self.secret = secret
        self.requests: list[tuple[str, Message, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.path, self.headers, body))  # case-insensitive lookups
                if receiver.verify(self.path, self.headers, body):
                    self.send_response(202)
                    self.end_headers()
                    self.wfile.write(b'{"flow_run_id": "0b5c6d4e"}')
                else:
                    self.send_response(401)
                    self.end_headers()
                    self.wfile.write(b"bad signature")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def verify(self, path, headers, body) -> bool:
        if path == "/github":
            expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
            return hmac.compare_digest(expected, headers.get("X-Hub-Signature-256", ""))
        if path == "/gitlab":
            return hmac.compare_digest(self.secret, headers.get("X-Gitlab-Token", ""))
        return False

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver("s3cret")
    yield r
    r.close()


def run_webhook(name: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    (script,) = scripts(name)
    return subprocess.run(["bash", "-e", "-c", script], env={"PATH": os.environ["PATH"], **env}, cwd=cwd,
                          capture_output=True, text=True, timeout=60)


GITHUB_PUSH_EVENT = {"ref": "refs/heads/main", "before": "0" * 40, "after": GITHUB_PUSH_WORKFLOW["GITHUB_SHA"],
                     "repository": {"full_name": "Acme/Shop-API", "clone_url": "https://github.com/Acme/Shop-API.git"},
                     "pusher": {"name": "octocat"}, "head_commit": {"message": "naïve café ☕"}}


def test_github_webhook_posts_the_event_byte_for_byte_and_signed(receiver, tmp_path):
    event_path = tmp_path / "event.json"
    event_path.write_bytes(json.dumps(GITHUB_PUSH_EVENT, indent=2, ensure_ascii=False).encode())
    env = {**GITHUB_PUSH_WORKFLOW, "GITHUB_EVENT_PATH": str(event_path), "GITHUB_RUN_ATTEMPT": "1",
           "WERF_PREFECT_WEBHOOK_URL": receiver.url + "/", "WERF_PREFECT_WEBHOOK_SECRET": "s3cret"}
    done = run_webhook("github-actions-webhook.yml", env, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "werf-prefect receiver: 202" in done.stdout
    ((path, headers, body),) = receiver.requests
    assert path == "/github"
    assert body == event_path.read_bytes()
    assert headers["X-GitHub-Event"] == "push"
    assert headers["Content-Type"] == "application/json"
    again = run_webhook("github-actions-webhook.yml", env, tmp_path)
    assert again.returncode == 0
    assert receiver.requests[1][1]["X-GitHub-Delivery"] == headers["X-GitHub-Delivery"]  # same attempt, same id
    run_webhook("github-actions-webhook.yml", {**env, "GITHUB_RUN_ATTEMPT": "2"}, tmp_path)
    assert receiver.requests[2][1]["X-GitHub-Delivery"] != headers["X-GitHub-Delivery"]


def test_github_webhook_with_a_wrong_secret_fails_the_job(receiver, tmp_path):
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(GITHUB_PUSH_EVENT))
    env = {**GITHUB_PUSH_WORKFLOW, "GITHUB_EVENT_PATH": str(event_path), "WERF_PREFECT_WEBHOOK_URL": receiver.url,
           "WERF_PREFECT_WEBHOOK_SECRET": "wrong"}
    done = run_webhook("github-actions-webhook.yml", env, tmp_path)
    assert done.returncode == 1
    assert "the werf-prefect receiver answered 401: bad signature" in done.stderr


@pytest.mark.parametrize("tag", [None, "v1.4.0"])
def test_gitlab_webhook_posts_a_push_hook_with_the_token(receiver, tmp_path, tag):
    env = {**GITLAB_BRANCH_PIPELINE, "CI_PROJECT_ID": "4242", "CI_PROJECT_NAME": "shop-api",
           "CI_DEFAULT_BRANCH": "main", "GITLAB_USER_LOGIN": "jane", "CI_COMMIT_BEFORE_SHA": "a" * 40,
           "CI_COMMIT_BRANCH": "feature/it's \"quoted\" $(x)",
           "WERF_PREFECT_WEBHOOK_URL": receiver.url, "WERF_PREFECT_WEBHOOK_SECRET": "s3cret"}
    if tag:
        env.pop("CI_COMMIT_BRANCH")
        env["CI_COMMIT_TAG"] = tag
    done = run_webhook(".gitlab-ci-webhook.yml", env, tmp_path)
    assert done.returncode == 0, done.stderr
    ((path, headers, body),) = receiver.requests
    event = json.loads(body)
    assert path == "/gitlab"
    assert headers["X-Gitlab-Event"] == ("Tag Push Hook" if tag else "Push Hook")
    assert event["object_kind"] == ("tag_push" if tag else "push")
    assert event["ref"] == (f"refs/tags/{tag}" if tag else "refs/heads/feature/it's \"quoted\" $(x)")
    assert event["checkout_sha"] == GITLAB_BRANCH_PIPELINE["CI_COMMIT_SHA"]
    assert event["project"]["git_http_url"] == "https://gitlab.example.com/acme/shop-api.git"
    assert event["project"]["path_with_namespace"] == "acme/shop-api"
    assert "gitlab-ci-token" not in body.decode()  # never leak the job token in CI_REPOSITORY_URL


def test_gitlab_webhook_without_settings_says_what_to_set(tmp_path):
    done = run_webhook(".gitlab-ci-webhook.yml", dict(GITLAB_BRANCH_PIPELINE), tmp_path)
    assert done.returncode == 1
    assert "set the WERF_PREFECT_WEBHOOK_URL and WERF_PREFECT_WEBHOOK_SECRET" in done.stderr


def test_unreachable_receiver_is_a_clear_failure(tmp_path):
    env = {**GITLAB_BRANCH_PIPELINE, "WERF_PREFECT_WEBHOOK_URL": "http://127.0.0.1:9",
           "WERF_PREFECT_WEBHOOK_SECRET": "x"}
    done = run_webhook(".gitlab-ci-webhook.yml", env, tmp_path)
    assert done.returncode == 1
    assert "cannot reach the werf-prefect receiver at http://127.0.0.1:9" in done.stderr
