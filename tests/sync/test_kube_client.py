"""The Kubernetes client of the synchronization (kubeconfig.py, kube_exec.py, kube_http.py, kube_api.py): every
way a kubeconfig can give the server and the credentials, the API server's optimistic concurrency, and errors
that name what to fix and never a credential. Against the API emulator (plain HTTP and TLS, tokens and client
certificates) and as pure logic."""

from __future__ import annotations

import base64
import json
import os
import stat
import sys
import threading
from pathlib import Path

import pytest
import yaml

from tests.registry.pki import self_signed
from tests.support.kube_emulator import KubeEmulator
from werf_core.sync.errors import SynchronizationAccessDenied, SynchronizationError, SynchronizationUnreachable
from werf_core.sync.kube_api import AlreadyExists, Conflict, KubeApi, NotFound
from werf_core.sync.kube_exec import parse_exec_credential
from werf_core.sync.kube_http import KubeHttp, _proxy_for, no_proxy_matches
from werf_core.sync.kubeconfig import ClusterAccess, KubeConfigSource, load_cluster_access

SECRET = "s3cr3t-token-never-shown"
NS = "werf-synchronization"


def write(path: Path, config: dict) -> Path:
    path.write_text(yaml.safe_dump(config))
    return path


def api_for(path: Path, context: str | None = None, **options) -> KubeApi:
    return KubeApi.connect(KubeConfigSource(config_path=str(path), context=context), **options)


def roundtrip(api: KubeApi, name: str = "probe") -> dict:
    """create (with its namespace) and read back a ConfigMap: a real exchange with the server."""
    api.get_or_create_config_map(NS, name)
    obj = api.read_config_map(NS, name)
    assert obj is not None and obj["metadata"]["name"] == name
    return obj


@pytest.fixture
def emulator():
    with KubeEmulator(token=SECRET) as emulator:
        yield emulator


# ---------------------------------------------------------------- kubeconfig variants

def test_kubeconfig_file_with_token(emulator, tmp_path):
    roundtrip(api_for(emulator.write_kubeconfig(tmp_path / "kc")))
    assert emulator.count("create", "configmaps", 201) == 1


def test_inline_base64_kubeconfig(emulator):
    data = base64.b64encode(yaml.safe_dump(emulator.kubeconfig()).encode()).decode()
    roundtrip(KubeApi.connect(KubeConfigSource(config_data_base64=data)))


def test_context_selection_and_unknown_context(emulator, tmp_path):
    config = emulator.kubeconfig("good")
    config["clusters"].append({"name": "bad", "cluster": {"server": "http://127.0.0.1:9"}})
    config["contexts"].append({"name": "bad", "context": {"cluster": "bad", "user": "werf-runner"}})
    config["current-context"] = "bad"
    path = write(tmp_path / "kc", config)
    roundtrip(api_for(path, context="good"))
    with pytest.raises(SynchronizationError) as info:
        api_for(path, context="nosuch")
    assert "context 'nosuch' is not in the kubeconfig (it has: good, bad)" in info.value.message
    assert SECRET not in info.value.render()


def test_kubeconfig_list_is_merged_first_file_wins(emulator, tmp_path, monkeypatch):
    good = emulator.kubeconfig("ctx")
    shadowed = json.loads(json.dumps(good))
    shadowed["clusters"][0]["cluster"]["server"] = "http://127.0.0.1:9"      # loses: the first file names it too
    shadowed["contexts"].append({"name": "other", "context": {"cluster": "ctx", "user": "werf-runner"}})
    first = write(tmp_path / "a", {"clusters": good["clusters"], "current-context": "other"})
    second = write(tmp_path / "b", shadowed)
    monkeypatch.setenv("KUBECONFIG", f"{first}{os.pathsep}{tmp_path / 'missing'}{os.pathsep}{second}")
    api = KubeApi.connect(KubeConfigSource())
    assert api.server == emulator.url
    roundtrip(api)


def test_token_file_relative_to_the_kubeconfig_and_reread_after_401(emulator, tmp_path):
    config = emulator.kubeconfig()
    config["users"][0]["user"] = {"tokenFile": "token"}
    (tmp_path / "token").write_text("old-token\n")
    path = write(tmp_path / "kc", config)
    api = api_for(path)
    with pytest.raises(SynchronizationAccessDenied):
        roundtrip(api)
    (tmp_path / "token").write_text(SECRET + "\n")    # rotated, as service account tokens are
    roundtrip(api)


def test_basic_auth_is_sent(tmp_path):
    seen = []
    with KubeEmulator(token=None) as emulator:
        original = emulator.handle

        def record(method, path, headers, body, peer=None):
            seen.append(headers.get("Authorization"))
            return original(method, path, headers, body, peer)

        emulator.handle = record
        config = emulator.kubeconfig()
        config["users"][0]["user"] = {"username": "ann", "password": "pw"}
        roundtrip(api_for(write(tmp_path / "kc", config)))
    assert seen and set(seen) == {"Basic " + base64.b64encode(b"ann:pw").decode()}


def test_oidc_id_token_is_a_bearer_token_and_other_auth_providers_are_explained(emulator, tmp_path):
    config = emulator.kubeconfig()
    config["users"][0]["user"] = {"auth-provider": {"name": "oidc", "config": {"id-token": SECRET}}}
    roundtrip(api_for(write(tmp_path / "kc", config)))
    config["users"][0]["user"] = {"auth-provider": {"name": "gcp", "config": {"access-token": SECRET}}}
    with pytest.raises(SynchronizationError) as info:
        api_for(write(tmp_path / "kc2", config))
    assert "auth-provider 'gcp'" in info.value.message and "exec credential plugin" in info.value.message
    assert SECRET not in info.value.render()


def test_in_cluster_service_account(emulator, tmp_path):
    account = tmp_path / "sa"
    account.mkdir()
    (account / "token").write_text(SECRET)
    host, port = emulator.url.removeprefix("http://").split(":")
    env = {"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}
    access = load_cluster_access(KubeConfigSource(config_path=None), env | {"KUBECONFIG": str(tmp_path / "none")},
                                 service_account_dir=account)
    assert access.server == f"https://{host}:{port}" and access.token_file == account / "token"
    # the emulator speaks plain HTTP: talk to it with the service account's credentials
    access = ClusterAccess(server=emulator.url, token_file=access.token_file)
    roundtrip(KubeApi(KubeHttp(access)))
    (account / "token").unlink()
    with pytest.raises(SynchronizationError) as info:
        load_cluster_access(KubeConfigSource(), env | {"KUBECONFIG": str(tmp_path / "none")},
                            service_account_dir=account)
    assert "no service account token" in info.value.message


def test_missing_kubeconfig_and_bad_inline_data_are_clear(tmp_path):
    with pytest.raises(SynchronizationError) as info:
        load_cluster_access(KubeConfigSource(config_path=str(tmp_path / "nope")), {})
    assert f"kubeconfig {tmp_path / 'nope'} does not exist" in info.value.message
    with pytest.raises(SynchronizationError) as info:
        load_cluster_access(KubeConfigSource(config_data_base64="%%%" + SECRET), {})
    assert "not base64 of a YAML kubeconfig" in info.value.message and SECRET not in info.value.render()
    broken = base64.b64encode(f"users: [{{token: {SECRET}\n".encode()).decode()   # YAML error quoting the text
    with pytest.raises(SynchronizationError) as info:
        load_cluster_access(KubeConfigSource(config_data_base64=broken), {})
    assert SECRET not in info.value.render()


def test_access_repr_never_shows_credentials():
    access = ClusterAccess(server="https://k", token=SECRET, basic_auth=("u", SECRET), proxy_url=f"http://u:{SECRET}@p")
    assert SECRET not in repr(access)


# ---------------------------------------------------------------- TLS

@pytest.fixture
def tls_emulator(tmp_path):
    server = self_signed("kube-apiserver", ip="127.0.0.1")
    client = self_signed("werf-runner")
    server_files = server.write(tmp_path, "server")
    client_cert, client_key = client.write(tmp_path, "client")
    with KubeEmulator(token=SECRET, tls=server_files, client_ca=client_cert) as emulator:
        emulator.client_cert_users.add("werf-runner")
        yield emulator, client, tmp_path


def test_tls_with_inline_ca_and_token(tls_emulator):
    emulator, _, tmp_path = tls_emulator
    assert emulator.url.startswith("https://")
    roundtrip(api_for(emulator.write_kubeconfig(tmp_path / "kc")))


def test_tls_with_ca_file_and_client_certificate_files(tls_emulator):
    emulator, _, tmp_path = tls_emulator
    config = emulator.kubeconfig()
    del config["clusters"][0]["cluster"]["certificate-authority-data"]
    config["clusters"][0]["cluster"]["certificate-authority"] = "server.crt"      # relative to the kubeconfig
    config["users"][0]["user"] = {"client-certificate": str(tmp_path / "client.crt"),
                                  "client-key": str(tmp_path / "client.key")}
    roundtrip(api_for(write(tmp_path / "kc", config)))


def test_tls_with_inline_client_certificate(tls_emulator):
    emulator, client, tmp_path = tls_emulator
    config = emulator.kubeconfig()
    config["users"][0]["user"] = {"client-certificate-data": base64.b64encode(client.cert_pem).decode(),
                                  "client-key-data": base64.b64encode(client.key_pem).decode()}
    roundtrip(api_for(write(tmp_path / "kc", config)))
    emulator.client_cert_users.clear()       # the certificate's user is no longer known: 401
    with pytest.raises(SynchronizationAccessDenied):
        roundtrip(api_for(write(tmp_path / "kc", config)), "other")


def test_untrusted_server_certificate_is_a_tls_error_and_insecure_skip_verify_accepts_it(tls_emulator):
    emulator, _, tmp_path = tls_emulator
    config = emulator.kubeconfig()
    config["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(
        self_signed("someone-else").cert_pem).decode()
    with pytest.raises(SynchronizationUnreachable) as info:
        roundtrip(api_for(write(tmp_path / "kc", config)))
    assert "certificate verify failed" in info.value.message and "certificate" in info.value.hint
    config["clusters"][0]["cluster"]["insecure-skip-tls-verify"] = True
    roundtrip(api_for(write(tmp_path / "kc", config)))


def test_tls_server_name_overrides_the_name_checked(tls_emulator):
    emulator, _, tmp_path = tls_emulator
    config = emulator.kubeconfig()
    config["clusters"][0]["cluster"]["server"] = emulator.url.replace("127.0.0.1", "localhost")
    config["clusters"][0]["cluster"]["tls-server-name"] = "wrong.example"
    with pytest.raises(SynchronizationUnreachable) as info:
        roundtrip(api_for(write(tmp_path / "kc", config)))
    assert "wrong.example" in info.value.message or "mismatch" in info.value.message.lower()
    config["clusters"][0]["cluster"]["tls-server-name"] = "localhost"
    roundtrip(api_for(write(tmp_path / "kc", config)))


def test_client_certificate_that_is_not_pem_is_a_config_error(tls_emulator):
    emulator, _, tmp_path = tls_emulator
    config = emulator.kubeconfig()
    config["users"][0]["user"] = {"client-certificate-data": base64.b64encode(b"junk").decode(),
                                  "client-key-data": base64.b64encode(SECRET.encode()).decode()}
    with pytest.raises(SynchronizationError) as info:
        roundtrip(api_for(write(tmp_path / "kc", config)))
    assert "client certificate and key" in info.value.message and SECRET not in info.value.render()


# ---------------------------------------------------------------- exec credential plugins

def exec_plugin(tmp_path: Path, status: dict, *, exit_code: int = 0, api_version="client.authentication.k8s.io/v1"
                ) -> Path:
    """A plugin script that logs each run (with the exec info it got) and prints an ExecCredential."""
    script = tmp_path / "plugin.py"
    answer = {"apiVersion": api_version, "kind": "ExecCredential", "status": status}
    script.write_text(f"""#!{sys.executable}
import os, sys
with open({str(tmp_path / 'runs')!r}, "a") as f:
    f.write(os.environ.get("KUBERNETES_EXEC_INFO", "") + "\\n")
if {exit_code}:
    sys.stderr.write("login expired, run `cloud login`\\n")
    sys.exit({exit_code})
print({json.dumps(json.dumps(answer))})
""")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def exec_config(emulator: KubeEmulator, tmp_path: Path, command: str, **extra) -> Path:
    config = emulator.kubeconfig()
    config["users"][0]["user"] = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": command,
                                           "args": ["get-token"], "env": [{"name": "X", "value": "1"}],
                                           "interactiveMode": "Never", **extra}}
    return write(tmp_path / "kc", config)


def runs(tmp_path: Path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / "runs").read_text().splitlines()]


def test_exec_plugin_token_is_used_and_kept_until_it_expires(emulator, tmp_path):
    exec_plugin(tmp_path, {"token": SECRET, "expirationTimestamp": "2999-01-01T00:00:00Z"})
    path = exec_config(emulator, tmp_path, "./plugin.py", provideClusterInfo=True)      # relative: kubeconfig's dir
    config = yaml.safe_load(path.read_text())
    config["clusters"][0]["cluster"]["extensions"] = [{"name": "client.authentication.k8s.io/exec",
                                                       "extension": {"audience": "werf"}}]
    api = api_for(write(path, config))
    roundtrip(api)
    roundtrip(api, "second")
    assert len(runs(tmp_path)) == 1
    info = runs(tmp_path)[0]
    assert info["spec"]["interactive"] is False and info["spec"]["cluster"]["server"] == emulator.url
    assert info["spec"]["cluster"]["config"] == {"audience": "werf"} and info["apiVersion"].endswith("/v1")


def test_exec_plugin_is_asked_again_after_expiry_or_401(emulator, tmp_path):
    exec_plugin(tmp_path, {"token": SECRET, "expirationTimestamp": "2000-01-01T00:00:00Z"})   # already expired
    api = api_for(exec_config(emulator, tmp_path, str(tmp_path / "plugin.py")))
    roundtrip(api)
    assert len(runs(tmp_path)) >= 2
    exec_plugin(tmp_path, {"token": "stale"})                                  # no expiry, but rejected
    (tmp_path / "runs").unlink()
    api = api_for(exec_config(emulator, tmp_path, str(tmp_path / "plugin.py")))
    with pytest.raises(SynchronizationAccessDenied):
        roundtrip(api)
    assert len(runs(tmp_path)) == 2                                            # one retry after the 401


def test_exec_plugin_client_certificate(tls_emulator):
    emulator, client, tmp_path = tls_emulator
    exec_plugin(tmp_path, {"clientCertificateData": client.cert_pem.decode(), "clientKeyData": client.key_pem.decode()})
    roundtrip(api_for(exec_config(emulator, tmp_path, str(tmp_path / "plugin.py"))))


def test_exec_plugin_failures_are_clear(emulator, tmp_path):
    exec_plugin(tmp_path, {"token": SECRET}, exit_code=3)
    with pytest.raises(SynchronizationError) as info:
        roundtrip(api_for(exec_config(emulator, tmp_path, str(tmp_path / "plugin.py"))))
    assert "plugin.py failed (exit 3): login expired" in info.value.message
    with pytest.raises(SynchronizationError) as info:
        roundtrip(api_for(exec_config(emulator, tmp_path, "no-such-plugin-xyz", installHint="brew install xyz")))
    assert "no-such-plugin-xyz" in info.value.message and info.value.hint == "brew install xyz"
    with pytest.raises(SynchronizationError) as info:
        roundtrip(api_for(exec_config(emulator, tmp_path, str(tmp_path / "plugin.py"), interactiveMode="Always")))
    assert "interactive" in info.value.message


def test_exec_credential_parsing():
    good = {"apiVersion": "v1x", "kind": "ExecCredential", "status": {"token": SECRET,
                                                                      "expirationTimestamp": "2030-01-02T03:04:05Z"}}
    credential = parse_exec_credential(json.dumps(good).encode(), "p", "v1x")
    assert credential.token == SECRET and credential.expires_at == 1893553445.0 and SECRET not in repr(credential)
    for broken, problem in [(b"nope", "not JSON"), (b"{}", "no ExecCredential"),
                            (json.dumps({**good, "apiVersion": "other"}).encode(), "apiVersion"),
                            (json.dumps({**good, "status": {}}).encode(), "neither a token"),
                            (json.dumps({**good, "status": {"clientKeyData": "k"}}).encode(), "only one of")]:
        with pytest.raises(SynchronizationError) as info:
            parse_exec_credential(broken, "p", "v1x")
        assert problem in info.value.message


# ---------------------------------------------------------------- API semantics and errors

def test_stale_resource_version_is_a_conflict_and_a_second_create_already_exists(emulator, tmp_path):
    api = api_for(emulator.write_kubeconfig(tmp_path / "kc"))
    first = roundtrip(api)
    mine, theirs = json.loads(json.dumps(first)), json.loads(json.dumps(first))
    theirs["data"] = {"who": "them"}
    api.replace_config_map(NS, theirs)
    mine["data"] = {"who": "me"}
    with pytest.raises(Conflict):
        api.replace_config_map(NS, mine)
    with pytest.raises(AlreadyExists):
        api.create_config_map(NS, {"metadata": {"name": "probe"}})
    assert api.read_config_map(NS, "nothing-here") is None
    with pytest.raises(NotFound):
        api.merge_patch_config_map(NS, "nothing-here", {"data": {"a": "b"}})


def test_concurrent_updates_from_many_threads_all_land(emulator, tmp_path):
    """update_config_map's read-modify-replace loop over one shared connection pool: no lost write."""
    api = api_for(emulator.write_kubeconfig(tmp_path / "kc"))

    def add(n: int) -> None:
        for i in range(5):
            api.update_config_map(NS, "counter", lambda obj, key=f"k{n}-{i}": obj.setdefault("data", {}).update(
                {key: "1"}) or True)

    threads = [threading.Thread(target=add, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(api.read_config_map(NS, "counter")["data"]) == 30
    assert emulator.count("update", "configmaps", 409) > 0      # they did collide, and retried


def test_keep_alive_connection_closed_by_the_server_is_reopened(emulator, tmp_path):
    api = api_for(emulator.write_kubeconfig(tmp_path / "kc"))
    roundtrip(api)
    with emulator._mutex:
        connections = list(emulator._connections)
    for connection in connections:          # the server drops idle connections (as API servers and LBs do)
        connection.shutdown(2)
    roundtrip(api)


def test_other_api_errors_name_server_verb_resource_and_never_the_token(emulator, tmp_path):
    api = api_for(emulator.write_kubeconfig(tmp_path / "kc"))
    api.ensure_namespace(NS)
    with pytest.raises(SynchronizationError) as info:
        api.create_config_map(NS, {"metadata": {"name": "Not_A_Valid_Name"}})
    assert emulator.url in info.value.message and "create configmaps" in info.value.message
    assert "422" in info.value.message
    emulator.deny("get", "configmaps")
    with pytest.raises(SynchronizationAccessDenied) as info:
        api.read_config_map(NS, "x")
    assert 'denied get on configmaps "x"' in info.value.message and SECRET not in info.value.render()


def test_timeouts_apply_to_every_request(tmp_path):
    import socket
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)
    try:
        access = ClusterAccess(server=f"http://127.0.0.1:{silent.getsockname()[1]}", token=SECRET)
        api = KubeApi(KubeHttp(access, timeout=(0.3, 0.3)))
        with pytest.raises(SynchronizationUnreachable) as info:
            api.read_config_map(NS, "x")
        assert "timed out" in info.value.message and SECRET not in info.value.render()
    finally:
        silent.close()


# ---------------------------------------------------------------- proxies (pure logic)

@pytest.mark.parametrize(("host", "no_proxy", "bypass"), [
    ("k8s.example.com", "example.com", True), ("k8s.example.com", ".example.com", True),
    ("example.com", ".example.com", True), ("badexample.com", "example.com", False),
    ("10.1.2.3", "10.0.0.0/8", True), ("11.1.2.3", "10.0.0.0/8", False), ("anything", "*", True),
    ("k8s.example.com", "k8s.example.com:6443", True), ("::1", "::1", True), ("k", "", False),
])
def test_no_proxy_matching(host, no_proxy, bypass):
    assert no_proxy_matches(host, no_proxy) is bypass


def test_proxy_choice_and_credentials():
    access = ClusterAccess(server="https://k8s.example.com")
    proxy = _proxy_for(access, "https", "k8s.example.com", {"HTTPS_PROXY": "http://u:p%40ss@proxy:3128"})
    assert proxy is not None and (proxy.host, proxy.port) == ("proxy", 3128)
    assert proxy.headers["Proxy-Authorization"] == "Basic " + base64.b64encode(b"u:p@ss").decode()
    assert _proxy_for(access, "https", "k8s.example.com", {"HTTPS_PROXY": "proxy:1", "NO_PROXY": "example.com"}) \
        is None
    configured = ClusterAccess(server="https://k", proxy_url="http://cluster-proxy:8080")
    assert _proxy_for(configured, "https", "k", {"NO_PROXY": "*"}).host == "cluster-proxy"
    with pytest.raises(SynchronizationError) as info:
        _proxy_for(ClusterAccess(server="https://k", proxy_url=f"socks5://u:{SECRET}@p:1"), "https", "k", {})
    assert "HTTP proxies only" in info.value.message and SECRET not in info.value.render()


def test_plain_http_server_through_an_http_proxy(emulator, tmp_path):
    """HTTP_PROXY for an http:// server: the request goes to the proxy with the absolute URL."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.request import Request, urlopen
    seen: list[str] = []

    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            seen.append(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "proxy-connection")}
            request = Request(self.path, data=self.rfile.read(length) if length else None, headers=headers,
                              method=self.command)
            try:
                with urlopen(request, timeout=5) as answer:
                    status, body = answer.status, answer.read()
            except Exception as err:   # HTTPError carries the API's answer
                status, body = err.code, err.read()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = _forward

        def log_message(self, *args) -> None:
            pass

    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        access = load_cluster_access(KubeConfigSource(config_path=str(emulator.write_kubeconfig(tmp_path / "kc"))))
        http = KubeHttp(access, environ={"HTTP_PROXY": f"http://127.0.0.1:{proxy.server_address[1]}"})
        roundtrip(KubeApi(http))
        assert seen and all(path.startswith(emulator.url + "/api/v1/") for path in seen)
    finally:
        proxy.shutdown()
        proxy.server_close()
