"""Credentials come from the Docker client config the way `docker login` wrote them, helpers included."""

import json
import os
import stat

import pytest

from tests.registry.conftest import write_docker_config
from werf_core.errors import RegistryError
from werf_core.registry.credentials import DockerConfigCredentials, normalize_registry_key

HELPER = """#!/bin/sh
read server
echo "$server" >> "{log}"
case "$server" in
  "127.0.0.1:5000") echo '{{"ServerURL":"127.0.0.1:5000","Username":"alice","Secret":"s3cret"}}' ;;
  "https://index.docker.io/v1/") echo '{{"Username":"hubuser","Secret":"hubpw"}}' ;;
  "tokens.example.com") echo '{{"Username":"<token>","Secret":"refresh-123"}}' ;;
  "broken.example.com") echo 'not json' ;;
  "failing.example.com") echo 'keychain locked' >&2; exit 3 ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
"""


@pytest.fixture
def helper(tmp_path, monkeypatch):
    """Installs `docker-credential-werftest` on PATH; returns the file listing the servers it was asked about."""
    bin_dir, log = tmp_path / "bin", tmp_path / "helper.log"
    bin_dir.mkdir()
    script = bin_dir / "docker-credential-werftest"
    script.write_text(HELPER.format(log=log))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ.get('PATH', '')}")
    log.touch()
    return log


@pytest.mark.parametrize("key, normalized", [
    ("https://index.docker.io/v1/", "docker.io"), ("registry-1.docker.io", "docker.io"),
    ("http://Registry.Example.com:5000/v2/", "registry.example.com:5000"), ("ghcr.io", "ghcr.io"),
])
def test_config_keys_are_matched_by_host_and_port(key, normalized):
    assert normalize_registry_key(key) == normalized


def test_auths_entry_with_base64_auth(tmp_path):
    config = write_docker_config(tmp_path / "d", auths={"127.0.0.1:5000": ("bob", "pa:ss:word")})
    creds = DockerConfigCredentials(config).lookup("127.0.0.1:5000")
    assert (creds.username, creds.password) == ("bob", "pa:ss:word")   # only the first ':' separates
    assert "config.json" in creds.source
    assert DockerConfigCredentials(config).lookup("127.0.0.1:5001") is None


def test_auths_keys_written_as_urls_and_username_password_fields(tmp_path):
    config = write_docker_config(tmp_path / "d", auths={
        "https://registry.example.com/v1/": {"username": "u", "password": "p"},
        "https://index.docker.io/v1/": ("hub", "hubpw")})
    store = DockerConfigCredentials(config)
    assert store.lookup("registry.example.com").username == "u"
    assert store.lookup("registry-1.docker.io").username == "hub"


def test_identity_token_entry(tmp_path):
    config = write_docker_config(tmp_path / "d", auths={"r.io": {"identitytoken": "refresh-abc"}})
    creds = DockerConfigCredentials(config).lookup("r.io")
    assert creds.identity_token == "refresh-abc" and not creds.has_basic


def test_config_location_precedence(tmp_path, monkeypatch):
    env_dir = write_docker_config(tmp_path / "env", auths={"r.io": ("from-env", "x")})
    explicit = write_docker_config(tmp_path / "explicit", auths={"r.io": ("from-flag", "x")})
    monkeypatch.setenv("DOCKER_CONFIG", str(env_dir))
    assert DockerConfigCredentials().lookup("r.io").username == "from-env"
    assert DockerConfigCredentials(explicit).lookup("r.io").username == "from-flag"
    assert DockerConfigCredentials(explicit / "config.json").lookup("r.io").username == "from-flag"
    monkeypatch.delenv("DOCKER_CONFIG")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    write_docker_config(tmp_path / "home" / ".docker", auths={"r.io": ("from-home", "x")})
    assert DockerConfigCredentials().lookup("r.io").username == "from-home"


def test_missing_config_means_anonymous(tmp_path):
    assert DockerConfigCredentials(tmp_path / "nowhere").lookup("r.io") is None


def test_invalid_config_names_the_file(tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(RegistryError) as info:
        DockerConfigCredentials(tmp_path).lookup("r.io")
    assert str(tmp_path / "config.json") in info.value.message and "docker login" in info.value.hint


def test_auth_value_that_is_not_user_colon_password(tmp_path):
    import base64
    config = write_docker_config(tmp_path / "d", auths={"r.io": {"auth": base64.b64encode(b"nocolon").decode()}})
    with pytest.raises(RegistryError) as info:
        DockerConfigCredentials(config).lookup("r.io")
    assert "r.io" in info.value.message and "docker login r.io" in info.value.hint


def test_cred_helper_for_one_registry(tmp_path, helper):
    config = write_docker_config(tmp_path / "d", credHelpers={"127.0.0.1:5000": "werftest"},
                                 auths={"127.0.0.1:5000": ("ignored", "x")})
    creds = DockerConfigCredentials(config).lookup("127.0.0.1:5000")
    assert (creds.username, creds.password) == ("alice", "s3cret")
    assert creds.source == "credential helper docker-credential-werftest"
    assert helper.read_text().split() == ["127.0.0.1:5000"]


def test_creds_store_asks_with_docker_hub_server_url_and_falls_back_to_auths(tmp_path, helper):
    config = write_docker_config(tmp_path / "d", credsStore="werftest", auths={"other.io": ("o", "p")})
    store = DockerConfigCredentials(config)
    assert store.lookup("registry-1.docker.io").username == "hubuser"
    assert store.lookup("other.io").username == "o"            # helper: "not found" → auths entry
    assert store.lookup("unknown.io") is None
    assert helper.read_text().split() == ["https://index.docker.io/v1/", "other.io", "unknown.io"]
    store.lookup("other.io")
    assert len(helper.read_text().split()) == 3                # answers are cached


def test_helper_identity_token(tmp_path, helper):
    config = write_docker_config(tmp_path / "d", credHelpers={"tokens.example.com": "werftest"})
    creds = DockerConfigCredentials(config).lookup("tokens.example.com")
    assert creds.identity_token == "refresh-123" and creds.username is None


@pytest.mark.parametrize("registry, expected", [
    ("broken.example.com", "not JSON"), ("failing.example.com", "keychain locked"),
])
def test_helper_failures_are_user_errors(tmp_path, helper, registry, expected):
    config = write_docker_config(tmp_path / "d", credHelpers={registry: "werftest"})
    with pytest.raises(RegistryError) as info:
        DockerConfigCredentials(config).lookup(registry)
    assert expected in info.value.message and "docker-credential-werftest" in info.value.message


def test_missing_helper_binary_is_named_with_a_hint(tmp_path):
    config = write_docker_config(tmp_path / "d", credsStore="desktop-not-installed")
    with pytest.raises(RegistryError) as info:
        DockerConfigCredentials(config).lookup("r.io")
    assert "docker-credential-desktop-not-installed" in info.value.message
    assert "install" in info.value.hint and "credsStore" in info.value.hint


def test_nothing_is_read_before_a_lookup(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"credsStore": "does-not-exist"}))
    DockerConfigCredentials(tmp_path)   # constructing must not run helpers or fail


def test_protocol_constants_are_docker_auth_s():
    import docker.auth

    from werf_core.registry.credentials import DOCKER_HUB_SERVER_URL, IDENTITY_TOKEN_USER
    assert (DOCKER_HUB_SERVER_URL, IDENTITY_TOKEN_USER) == (docker.auth.INDEX_URL, docker.auth.TOKEN_USERNAME)
