"""The webhook receiver against hostile clients: deep JSON, replays, hostile refs/numbers/URLs (HTTP contract with a
fake run starter), and the real receiver process on loopback attacked with raw sockets (slowloris, slow bodies, too
many connections, huge headers)."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from deployments.webhook.signatures import github_signature
from tests.prefect.test_webhook_receiver import SECRET, FakeStarter, client_for, github_post, gitlab_post
from tests.prefect.webhook_payloads import github_pull_request, github_push, gitlab_merge_request
from tests.support.net import free_port

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def starter() -> FakeStarter:
    return FakeStarter()


@pytest.fixture
def client(starter):
    return client_for(starter, max_body=512 * 1024)


# ---------------------------------------------------------------- deep JSON
@pytest.mark.parametrize("depth", [65, 900, 5000, 200_000])
def test_signed_deeply_nested_json_is_422_with_a_clear_body(client, starter, depth):
    body = b"[" * depth + b"]" * depth
    response = github_post(client, None, body=body)
    assert response.status_code == 422
    assert "nested too deeply" in response.json()["error"]
    assert starter.calls == []


def test_deep_nesting_inside_a_real_payload_is_refused_too(client, starter):
    body = _deep_payload_bytes(github_push(), 3000)
    response = github_post(client, None, body=body)
    assert response.status_code == 422 and "nested too deeply" in response.json()["error"]


def _deep_payload_bytes(payload: dict, depth: int) -> bytes:
    base = json.dumps(payload)
    return (base[:-1] + ', "extra": ' + '{"a": ' * depth + '"x"' + "}" * depth + "}").encode()


def test_ordinary_nesting_is_fine(client, starter):
    payload = {**github_push(), "extra": {"a": {"b": {"c": {"d": [[[["e"]]]]}}}}}
    assert github_post(client, payload).status_code == 202


# ---------------------------------------------------------------- replays
def test_the_same_signed_body_is_the_same_run_whatever_the_delivery_id(client, starter):
    body = json.dumps(github_push()).encode()
    runs = {github_post(client, None, body=body, delivery=f"d-{n}").json()["flow_run_id"] for n in range(3)}
    assert len(runs) == 1 and len(starter.runs) == 1


def test_a_reused_delivery_id_with_another_body_is_refused(client, starter):
    first = github_post(client, github_push(), delivery="d-reused")
    assert first.status_code == 202
    other = github_post(client, github_push(ref="refs/heads/other"), delivery="d-reused")
    assert other.status_code == 409
    assert "already used for a different body" in other.json()["error"]
    assert len(starter.runs) == 1
    # and the original redelivered with its id is still answered with its run
    again = github_post(client, github_push(), delivery="d-reused")
    assert again.status_code == 202 and again.json()["flow_run_id"] == first.json()["flow_run_id"]


def test_a_delivery_id_that_reached_a_run_through_a_replay_is_bound_to_it(client, starter):
    body = json.dumps(github_push()).encode()
    github_post(client, None, body=body, delivery="d-a")
    github_post(client, None, body=body, delivery="d-b")           # replay with a new id: same run, id recorded
    assert github_post(client, github_push(ref="refs/heads/x"), delivery="d-b").status_code == 409


def test_gitlab_replays_are_keyed_on_the_body_too(client, starter):
    assert gitlab_post(client, gitlab_merge_request(), event="Merge Request Hook", uuid="u-1").status_code == 202
    assert gitlab_post(client, gitlab_merge_request(), event="Merge Request Hook", uuid="u-2").status_code == 202
    assert len(starter.runs) == 1
    assert gitlab_post(client, gitlab_merge_request(iid=9), event="Merge Request Hook", uuid="u-1").status_code == 409


@pytest.mark.parametrize("delivery", ["x" * 129, "a b", "a;b", "a/b", "<script>"])
def test_malformed_delivery_ids_are_400(client, starter, delivery):
    response = github_post(client, github_push(), delivery=delivery)
    assert response.status_code == 400 and "delivery id" in response.json()["error"]
    assert starter.calls == []


# ---------------------------------------------------------------- refs, numbers, URLs
@pytest.mark.parametrize("ref", [
    "refs/heads/main\n", "refs/heads/main ", "refs/heads/a\x01b", "refs/heads/x.lock", "refs/heads/x.lock/y",
    "refs/heads/a..b", "refs/heads/a@{1}", "refs/heads/.hidden", "refs/heads/a\\b", "refs/heads/a:b",
    "refs/heads/", "refs//heads/x", "refs/heads/x.", "@", "-x", "refs/heads/" + "x" * 300, "refs/heads/a\x7f",
])
def test_refs_git_would_refuse_are_422(client, starter, ref):
    response = github_post(client, github_push(ref=ref))
    assert response.status_code == 422, response.text
    assert response.json()["error"].startswith("ref ")
    assert starter.calls == []


@pytest.mark.parametrize("ref", ["refs/heads/feature/ünïcode", "refs/heads/fix#12", "refs/tags/v1.2.3+build.5"])
def test_refs_git_accepts_are_built(client, starter, ref):
    assert github_post(client, github_push(ref=ref)).status_code == 202


@pytest.mark.parametrize("number", [0, -1, True, 2**40, "7", 1.5, None])
def test_pull_request_numbers_must_be_positive_integers(client, starter, number):
    payload = github_pull_request(action="opened")
    payload["number"] = number
    response = github_post(client, payload, event="pull_request")
    assert response.status_code == 422 and "number" in response.json()["error"]
    payload = gitlab_merge_request()
    payload["object_attributes"]["iid"] = number
    response = gitlab_post(client, payload, event="Merge Request Hook")
    assert response.status_code == 422 and "iid" in response.json()["error"]
    assert starter.calls == []


@pytest.mark.parametrize("url, fragment", [
    ("ssh://-oProxyCommand=touch%20x/app.git", "'-'"),
    ("ssh://-oProxyCommand@host/app.git", "'-'"),
    ("https://-host.example.com/app.git", "'-'"),
    ("https://github.com/-upload-pack/app.git", "'-'"),
    ("-host:app.git", "not a repository address"),
    ("git@-host:app.git", "not accepted"),
    ("git@host:-app.git", "not accepted"),
    ("ext::sh -c touch% /tmp/pwned", "not accepted"),
    ("fd::17", "not accepted"),
    ("file:///etc/passwd", "scheme file://"),
    ("https://github.com/" + "a" * 3000 + ".git", "longer than"),
    ("https://github.com/acme/app.git\n", "not a repository address"),
    ("\thttps://github.com/acme/app.git", "not a repository address"),
])
def test_hostile_repository_urls_are_422(client, starter, url, fragment):
    payload = github_push()
    payload["repository"]["clone_url"] = url
    response = github_post(client, payload)
    assert response.status_code == 422, response.text
    assert fragment in response.json()["error"]
    assert starter.calls == []


@pytest.mark.parametrize("template", ["https://x:{m}@github.com/acme/app.git", "https://{m}@github.com/acme/app.git",
                                      "https://github.com/acme/app.git?access_token={m}",
                                      "https://ghp_{m}@github.com/acme/app.git"])
def test_credential_bearing_urls_are_refused_and_never_echoed(client, starter, caplog, template):
    marker = "mk" + uuid.uuid4().hex
    payload = github_push(clone_url=template.format(m=marker))
    with caplog.at_level(logging.DEBUG):
        response = github_post(client, payload)
    assert response.status_code == 422
    assert "carries credentials" in response.json()["error"] and "Secret block" in response.json()["hint"]
    assert marker not in response.text and marker not in caplog.text
    assert starter.calls == []


def test_local_roots_are_compared_after_resolving_symlinks(starter, tmp_path):
    root = tmp_path / "roots"
    (root / "real").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "escape").symlink_to(outside)
    client = client_for(starter, local_roots=(str(root),))
    assert github_post(client, github_push(clone_url=str(root / "real"))).status_code == 202
    response = github_post(client, github_push(clone_url=str(root / "escape" / "repo")), delivery="d-2")
    assert response.status_code == 422 and "local paths are accepted only under" in response.json()["error"]
    # a root that is itself a symlink still admits what lies under its target
    link_root = tmp_path / "link-root"
    link_root.symlink_to(root)
    client = client_for(starter, local_roots=(str(link_root),))
    assert github_post(client, github_push(clone_url=str(root / "real")), delivery="d-3").status_code == 202


# ---------------------------------------------------------------- the real receiver, raw sockets
HEADER_TIMEOUT = 2
BODY_TIMEOUT = 3
MAX_CONNECTIONS = 6


@pytest.fixture(scope="module")
def receiver(tmp_path_factory):
    """`python -m deployments.webhook` as deployed, with short limits; no Prefect API (nothing here reaches it)."""
    log_path = tmp_path_factory.mktemp("receiver") / "receiver.log"
    port = free_port()
    env = {**os.environ, "WERF_PREFECT_WEBHOOK_SECRET": SECRET, "WERF_PREFECT_WEBHOOK_PORT": str(port),
           "WERF_PREFECT_WEBHOOK_MAX_BODY": str(256 * 1024),
           "WERF_PREFECT_WEBHOOK_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
           "WERF_PREFECT_WEBHOOK_BODY_TIMEOUT": str(BODY_TIMEOUT),
           "WERF_PREFECT_WEBHOOK_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
           "PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api"}
    log = open(log_path, "wb")
    process = subprocess.Popen([sys.executable, "-m", "deployments.webhook"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log_path.read_text()
        try:
            if b" 200 " in request(port, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"):
                break
        except OSError:
            time.sleep(0.2)
    yield port, log_path
    process.send_signal(signal.SIGINT)
    process.wait(timeout=20)
    log.close()


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    return sock


def read_all(sock: socket.socket, timeout: float = 10) -> bytes:
    sock.settimeout(timeout)
    chunks = []
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    except (TimeoutError, ConnectionResetError):
        pass
    return b"".join(chunks)


def request(port: int, raw: bytes, timeout: float = 10) -> bytes:
    with connect(port) as sock:
        sock.sendall(raw)
        return read_all(sock, timeout)


def healthy(port: int) -> bool:
    return b" 200 " in request(port, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")


def signed_request(body: bytes, *, delivery: str | None = None, extra: bytes = b"") -> bytes:
    return (b"POST /github HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\n"
            b"X-GitHub-Delivery: " + (delivery or uuid.uuid4().hex).encode() + b"\r\n"
            b"X-Hub-Signature-256: " + github_signature(SECRET, body).encode() + b"\r\n" + extra +
            b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)


def test_slowloris_headers_are_dropped_within_seconds(receiver):
    port, _ = receiver
    with connect(port) as sock:
        started = time.monotonic()
        sock.sendall(b"POST /github HTTP/1.1\r\nHost: x\r\n")
        closed_after = None
        for n in range(40):                     # one header line every 0.25 s, never the blank line
            try:
                sock.sendall(f"X-Slow-{n}: y\r\n".encode())
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.monotonic() - started
                break
            time.sleep(0.25)
        answer = read_all(sock, timeout=5)
        closed_after = closed_after or time.monotonic() - started
    assert closed_after < HEADER_TIMEOUT + 3
    assert answer == b"" or b" 408 " in answer.split(b"\r\n", 1)[0]
    assert healthy(port)


def test_an_idle_connection_is_dropped(receiver):
    port, _ = receiver
    with connect(port) as sock:
        started = time.monotonic()
        answer = read_all(sock, timeout=HEADER_TIMEOUT + 5)
        assert time.monotonic() - started < HEADER_TIMEOUT + 3
    assert b" 408 " in answer and b"request head" in answer


def test_a_slow_body_is_answered_408_within_the_body_timeout(receiver):
    port, _ = receiver
    body = json.dumps(github_push()).encode()
    raw = signed_request(body)
    with connect(port) as sock:
        started = time.monotonic()
        sock.sendall(raw[:-len(body)] + body[:10])           # the head and 10 bytes, then a trickle
        answer = b""
        for _ in range(40):
            try:
                sock.sendall(b" ")
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(0.25)
            if time.monotonic() - started > BODY_TIMEOUT + 4:
                break
        answer = read_all(sock, timeout=5)
        elapsed = time.monotonic() - started
    assert elapsed < BODY_TIMEOUT + 6
    assert b" 408 " in answer.split(b"\r\n", 1)[0] and b"not received within" in answer


def test_connections_over_the_cap_are_refused_at_once(receiver):
    port, _ = receiver
    held = [connect(port) for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.3)
        started = time.monotonic()
        with connect(port) as extra:
            answer = read_all(extra, timeout=5)
        assert time.monotonic() - started < 2
        assert b" 503 " in answer and b"too many connections" in answer
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + 10
    while not healthy(port):
        assert time.monotonic() < deadline
        time.sleep(0.2)


def test_huge_headers_are_refused_with_4xx(receiver):
    port, _ = receiver
    raw = b"POST /github HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (200 * 1024) + b"\r\n\r\n"
    with connect(port) as sock:
        try:
            sock.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = read_all(sock)
    status = answer.split(b"\r\n", 1)[0]
    assert status.startswith(b"HTTP/1.1 4"), answer[:200]
    assert healthy(port)


def test_a_huge_declared_body_is_413_before_it_is_sent(receiver):
    port, _ = receiver
    head = (b"POST /github HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-GitHub-Event: push\r\n"
            b"X-Hub-Signature-256: sha256=00\r\nContent-Length: 1000000000\r\n\r\n")
    started = time.monotonic()
    answer = request(port, head, timeout=5)
    assert time.monotonic() - started < 3
    assert b" 413 " in answer.split(b"\r\n", 1)[0] and b"larger than the limit" in answer


def test_signed_deep_json_over_the_wire_is_422_and_logs_no_traceback(receiver):
    port, log_path = receiver
    body = b"[" * 100_000 + b"]" * 100_000
    answer = request(port, signed_request(body))
    assert b" 422 " in answer.split(b"\r\n", 1)[0]
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"].startswith("the JSON body is nested too deeply")
    assert "Traceback" not in log_path.read_text()
    assert healthy(port)
