"""Authentication against real registries: htpasswd (Basic) and token auth (Bearer, with a local token server)."""

import os
import re
import stat

import pytest

from tests.registry.conftest import fast_client, write_docker_config
from tests.registry.pki import self_signed
from tests.registry.servers import TokenServer, htpasswd_auth, start_registry, stop_process, token_auth
from werf_core.registry import RegistryAuthError

pytestmark = pytest.mark.registry

_LOGGED = re.compile(r'"(GET|HEAD|PUT|POST|PATCH|DELETE) (\S+) HTTP/1\.1" (\d{3})')


def statuses_since(registry, position):
    with open(registry.directory / "registry.log", "rb") as log:
        log.seek(position)
        return [(m, p, int(s)) for m, p, s in _LOGGED.findall(log.read().decode(errors="replace"))]


# ============================================================================================ Basic (htpasswd)
@pytest.fixture(scope="module")
def basic_registry(tmp_path_factory):
    directory = tmp_path_factory.mktemp("basic-registry")
    registry = start_registry(directory=directory, auth=htpasswd_auth(directory, {"alice": "wonderland"}))
    yield registry
    stop_process(registry.process)


def test_basic_without_credentials_says_how_to_log_in(basic_registry, tmp_path):
    with fast_client(docker_config=tmp_path / "empty") as client:
        with pytest.raises(RegistryAuthError) as info:
            client.list_tags(f"{basic_registry.address}/app")
    message, hint = info.value.message, info.value.hint
    assert f"registry {basic_registry.address} requires authentication for listing tags of" in message
    assert str(tmp_path / "empty" / "config.json") in message
    assert f"docker login {basic_registry.address}" in hint and "--docker-config" in hint


def test_basic_with_docker_config_credentials_and_no_repeated_challenges(basic_registry, tmp_path):
    config = write_docker_config(tmp_path / "d", auths={basic_registry.address: ("alice", "wonderland")})
    name = f"{basic_registry.address}/records"
    with fast_client(docker_config=config) as client:
        position = basic_registry.log_position()
        client.push_manifest_only_image(f"{name}:one", {"k": "v"})
        assert client.image_info(f"{name}:one").labels["k"] == "v"
        assert client.list_tags(name) == ["one"]
        assert client.delete_tag(f"{name}:one") is True
    answered = statuses_since(basic_registry, position)
    assert [s for _, _, s in answered].count(401) == 1          # learnt once, then credentials sent up front
    assert len(answered) == client.counter.total


def test_basic_with_wrong_password_names_the_user_and_the_source(basic_registry, tmp_path):
    config = write_docker_config(tmp_path / "d", auths={basic_registry.address: ("alice", "wrong")})
    with fast_client(docker_config=config) as client:
        with pytest.raises(RegistryAuthError) as info:
            client.list_tags(f"{basic_registry.address}/app")
    assert "rejected listing tags" in info.value.message and "user alice" in info.value.message
    assert str(config / "config.json") in info.value.message
    assert f"docker login {basic_registry.address}" in info.value.hint


def test_basic_with_credentials_from_a_credential_helper(basic_registry, tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "docker-credential-werfbasic"
    helper.write_text('#!/bin/sh\nread server\necho "{\\"Username\\":\\"alice\\",\\"Secret\\":\\"wonderland\\"}"\n')
    helper.chmod(helper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("DOCKER_CONFIG", str(write_docker_config(tmp_path / "d", credsStore="werfbasic")))
    with fast_client() as client:
        assert client.list_tags(f"{basic_registry.address}/nothing-yet") == []


# ============================================================================================ Bearer (token)
@pytest.fixture(scope="module")
def token_setup(tmp_path_factory):
    tokens = TokenServer(users={"alice": "wonderland", "reader": "readonly"},
                         allowed_actions={"reader": {"pull"}},
                         refresh_tokens={"refresh-xyz": "alice"}).start()
    directory = tmp_path_factory.mktemp("token-registry")
    registry = start_registry(directory=directory, auth=token_auth(directory, tokens.realm, tokens.signer))
    yield tokens, registry
    stop_process(registry.process)
    tokens.stop()


def _client_for(tmp_path, registry, user, password):
    return fast_client(docker_config=write_docker_config(tmp_path / user, auths={registry.address: (user, password)}))


def test_bearer_without_credentials_gets_an_anonymous_token_and_then_a_clear_error(token_setup, tmp_path):
    tokens, registry = token_setup
    before = len(tokens.requests)
    with fast_client(docker_config=tmp_path / "none") as client:
        with pytest.raises(RegistryAuthError) as info:
            client.list_tags(f"{registry.address}/app")
    assert tokens.requests[before].user is None
    assert "requires authentication" in info.value.message and "docker login" in info.value.hint


def test_bearer_flow_with_credentials_for_every_operation(token_setup, tmp_path):
    tokens, registry = token_setup
    stages, images = f"{registry.address}/proj/stages", f"{registry.address}/proj/images"
    with _client_for(tmp_path, registry, "alice", "wonderland") as client:
        client.push_manifest_only_image(f"{stages}:managed-image-app", {"werf": "proj"})
        assert client.list_tags(stages) == ["managed-image-app"]
        assert client.image_info(f"{stages}:managed-image-app").labels["werf"] == "proj"
        before = len(tokens.requests)
        client.copy_image(f"{stages}:managed-image-app", f"{images}:v1")
        mount_scopes = [r.scopes for r in tokens.requests[before:]
                        if "repository:proj/stages:pull" in r.scopes and "repository:proj/images:pull,push" in r.scopes]
        assert mount_scopes, "the mount asks for push on the target and pull on the source in one token"
        assert client.delete_tag(f"{images}:v1") is True
    assert all(r.user == "alice" and r.service == "werf-test-registry" for r in tokens.requests[before:])


def test_tokens_are_cached_per_scope(token_setup, tmp_path):
    tokens, registry = token_setup
    name = f"{registry.address}/cached/app"
    with _client_for(tmp_path, registry, "alice", "wonderland") as client:
        client.list_tags(name)
        fetched = len(tokens.requests)
        client.counter.reset()
        client.list_tags(name)
        client.list_tags(name)
        assert len(tokens.requests) == fetched                  # no new token
        assert client.counter.snapshot() == {"GET tags": 2}     # and no 401 round-trip
        client.list_tags(f"{registry.address}/cached/other")      # another repository needs another scope
        assert len(tokens.requests) == fetched + 1


def test_bearer_with_wrong_password_is_rejected_by_the_token_server(token_setup, tmp_path):
    tokens, registry = token_setup
    with _client_for(tmp_path, registry, "alice", "bad") as client:
        with pytest.raises(RegistryAuthError) as info:
            client.list_tags(f"{registry.address}/app")
    assert f"a token from {tokens.realm}" in info.value.message and "user alice" in info.value.message


def test_bearer_without_push_permission(token_setup, tmp_path):
    _, registry = token_setup
    with _client_for(tmp_path, registry, "reader", "readonly") as client:
        assert client.list_tags(f"{registry.address}/readable") == []
        with pytest.raises(RegistryAuthError) as info:
            client.push_manifest_only_image(f"{registry.address}/readable:t", {})
    assert "user reader" in info.value.message and "starting an upload" in info.value.message
    assert "pull and push permission on readable" in info.value.hint


def test_bearer_with_an_identity_token_uses_the_oauth2_refresh_grant(token_setup, tmp_path):
    tokens, registry = token_setup
    config = write_docker_config(tmp_path / "idt", auths={registry.address: {"identitytoken": "refresh-xyz"}})
    before = len(tokens.requests)
    with fast_client(docker_config=config) as client:
        client.push_manifest_only_image(f"{registry.address}/idt/app:t", {})
    assert {(r.method, r.user) for r in tokens.requests[before:]} == {("POST", "alice")}


def test_a_rejected_cached_token_is_refreshed_once(tmp_path):
    """The token server rotates its signing key and the registry restarts trusting only the new one."""
    tokens = TokenServer(users={"alice": "wonderland"}).start()
    directory = tmp_path / "rotating"
    registry = start_registry(directory=directory, auth=token_auth(directory, tokens.realm, tokens.signer))
    try:
        name = f"{registry.address}/app"
        with _client_for(tmp_path, registry, "alice", "wonderland") as client:
            client.push_manifest_only_image(f"{name}:t", {})
            assert client.list_tags(name) == ["t"]              # caches a pull token for this repository
            stop_process(registry.process)
            tokens.signer = self_signed("rotated signer")
            registry = start_registry(directory=directory, address=registry.address,
                                      auth=token_auth(directory, tokens.realm, tokens.signer))
            fetched = len(tokens.requests)
            client.counter.reset()
            assert client.list_tags(name) == ["t"]
            assert len(tokens.requests) == fetched + 1
            # the cached token is refused (401), one fresh token is fetched, the request is repeated
            assert client.counter.snapshot() == {"GET tags": 2, "GET token": 1}
    finally:
        stop_process(registry.process)
        tokens.stop()


def test_concurrent_requests_share_one_token(token_setup, tmp_path):
    from concurrent.futures import ThreadPoolExecutor
    tokens, registry = token_setup
    name = f"{registry.address}/concurrent/app"
    with _client_for(tmp_path, registry, "alice", "wonderland") as writer:
        writer.push_manifest_only_image(f"{name}:t", {"n": "1"})
    with _client_for(tmp_path, registry, "alice", "wonderland") as client:
        before = len(tokens.requests)
        with ThreadPoolExecutor(8) as pool:
            infos = list(pool.map(lambda _: client.image_info(f"{name}:t"), range(16)))
    assert {info.digest for info in infos} == {infos[0].digest} and infos[0].labels["n"] == "1"
    assert len(tokens.requests) - before == 1
