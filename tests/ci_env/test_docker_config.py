"""The job's private docker config: a copy of the user's, logged into the CI registry, the original untouched."""

from __future__ import annotations

import base64
import json
import os
import signal
import stat
import subprocess
import time
import warnings
from pathlib import Path

import httpx
import pytest

from tests.ci_env.conftest import GITLAB_BRANCH_PIPELINE
from tests.support.net import free_port
from werf_core.ci_env import CiEnvError, CiEnvOptions, generate_ci_env
from werf_core.ci_env.docker_config import (
    add_registry_login,
    create_session_docker_config,
    registry_hostname,
    remove_expired_session_configs,
    session_registry_dir,
)
from werf_core.ci_env.plan import RegistryLogin

USER_CONFIG = {"auths": {"quay.io": {"auth": base64.b64encode(b"me:pw").decode()}}, "psFormat": "table {{.ID}}"}


@pytest.fixture
def user_docker_config(tmp_path) -> Path:
    directory = tmp_path / "user-docker"
    directory.mkdir()
    (directory / "config.json").write_text(json.dumps(USER_CONFIG))
    (directory / "contexts" / "meta").mkdir(parents=True)
    (directory / "contexts" / "meta" / "ctx.json").write_text("{}")
    (directory / "cli-plugins").mkdir()
    (directory / "cli-plugins" / "docker-buildx").write_bytes(b"\x7fELF fake plugin")
    return directory


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(directory)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(directory.rglob("*")) if p.is_file()}


def auth_of(config_dir: Path, host: str) -> str:
    config = json.loads((config_dir / "config.json").read_text())
    return base64.b64decode(config["auths"][host]["auth"]).decode()


def test_copy_holds_the_login_and_the_users_config_is_untouched(gitlab_env, user_docker_config):
    before = snapshot(user_docker_config)
    result = generate_ci_env(CiEnvOptions("gitlab", docker_config=user_docker_config), environ=gitlab_env)
    session = result.docker_config
    assert auth_of(session, "registry.example.com") == "gitlab-ci-token:glcbt-64_FAKEjobTOKENvalue"
    assert auth_of(session, "quay.io") == "me:pw"  # the user's own logins still work in the job
    assert json.loads((session / "config.json").read_text())["psFormat"] == "table {{.ID}}"
    assert (session / "contexts" / "meta" / "ctx.json").exists()
    assert snapshot(user_docker_config) == before
    assert "registry.example.com" not in (user_docker_config / "config.json").read_text()


def test_copy_is_private(gitlab_env, user_docker_config):
    session = generate_ci_env(CiEnvOptions("gitlab", docker_config=user_docker_config), environ=gitlab_env)\
        .docker_config
    assert stat.S_IMODE(session.stat().st_mode) == 0o700
    assert stat.S_IMODE((session / "config.json").stat().st_mode) == 0o600


def test_copy_lives_in_the_werf_tmp_dir_and_is_registered(gitlab_env, werf_home, tmp_path):
    session = generate_ci_env(CiEnvOptions("gitlab"), environ=gitlab_env).docker_config
    assert session.parent == tmp_path / "tmp"
    assert session.name.startswith("werf-docker-config-")
    link = session_registry_dir(werf_home) / session.name
    assert link.is_symlink() and link.resolve() == session.resolve()


def test_plugins_are_linked_not_copied(gitlab_env, user_docker_config):
    session = generate_ci_env(CiEnvOptions("gitlab", docker_config=user_docker_config), environ=gitlab_env)\
        .docker_config
    assert (session / "cli-plugins").is_symlink()
    assert (session / "cli-plugins" / "docker-buildx").read_bytes() == b"\x7fELF fake plugin"


def test_default_source_is_home_dot_docker(gitlab_env, clean_env):
    (clean_env / ".docker").mkdir()
    (clean_env / ".docker" / "config.json").write_text(json.dumps(USER_CONFIG))
    session = generate_ci_env(CiEnvOptions("gitlab"), environ=gitlab_env).docker_config
    assert auth_of(session, "quay.io") == "me:pw"
    assert auth_of(session, "registry.example.com").startswith("gitlab-ci-token:")


def test_missing_source_gives_a_config_with_only_the_login(gitlab_env, tmp_path):
    result = generate_ci_env(CiEnvOptions("gitlab", docker_config=tmp_path / "nowhere"), environ=gitlab_env)
    config = json.loads((result.docker_config / "config.json").read_text())
    assert list(config["auths"]) == ["registry.example.com"]


def test_source_that_is_a_file_is_an_error(gitlab_env, tmp_path):
    not_a_dir = tmp_path / "config.json"
    not_a_dir.write_text("{}")
    with pytest.raises(CiEnvError, match="is not a directory") as err:
        generate_ci_env(CiEnvOptions("gitlab", docker_config=not_a_dir), environ=gitlab_env)
    assert "config.json" in err.value.hint
    assert list((tmp_path / "tmp").iterdir()) == []


def test_broken_config_json_is_an_error_naming_the_file(gitlab_env, tmp_path):
    source = tmp_path / "broken"
    source.mkdir()
    (source / "config.json").write_text("{not json")
    with pytest.raises(CiEnvError, match=r"cannot read the docker config .*config\.json"):
        generate_ci_env(CiEnvOptions("gitlab", docker_config=source), environ=gitlab_env)
    assert list((tmp_path / "tmp").iterdir()) == []  # the half-made copy is gone


def test_credential_store_keeps_serving_its_hosts_but_not_the_ci_registry(tmp_path):
    config_dir = tmp_path / "cfg"
    config_dir.mkdir()
    (config_dir / "config.json").write_text(json.dumps({
        "auths": {"ghcr.io": {}, "registry.example.com": {}},
        "credsStore": "desktop",
        "credHelpers": {"gcr.io": "gcloud", "registry.example.com": "pass"},
    }))
    add_registry_login(config_dir, RegistryLogin("registry.example.com/acme/app", "u", "p"))
    config = json.loads((config_dir / "config.json").read_text())
    assert "credsStore" not in config  # else docker would ask the store, not our entry
    assert config["credHelpers"] == {"gcr.io": "gcloud", "ghcr.io": "desktop"}
    assert base64.b64decode(config["auths"]["registry.example.com"]["auth"]) == b"u:p"


@pytest.mark.parametrize("address, host", [
    ("registry.example.com/acme/app", "registry.example.com"),
    ("gitlab.example.com:5050/acme/app", "gitlab.example.com:5050"),
    ("https://registry.example.com/acme", "registry.example.com"),
    ("docker.pkg.github.com", "docker.pkg.github.com"),
])
def test_logins_are_keyed_by_registry_host(address, host):
    assert registry_hostname(address) == host


def test_expired_copies_are_removed_by_the_next_run(gitlab_env, werf_home, tmp_path):
    old = generate_ci_env(CiEnvOptions("gitlab"), environ=gitlab_env).docker_config
    fresh = generate_ci_env(CiEnvOptions("gitlab"), environ=gitlab_env).docker_config
    unrelated = tmp_path / "tmp" / "werf-docker-config-not-ours"
    unrelated.mkdir()
    day_ago = time.time() - 25 * 3600
    os.utime(session_registry_dir(werf_home) / old.name, (day_ago, day_ago), follow_symlinks=False)

    newest = generate_ci_env(CiEnvOptions("gitlab"), environ=gitlab_env).docker_config
    assert not old.exists()
    assert not (session_registry_dir(werf_home) / old.name).exists()
    assert fresh.exists() and newest.exists()
    assert unrelated.exists()  # never registered by ci-env: not ours to remove


def test_expiry_tolerates_copies_removed_by_someone_else(werf_home, tmp_path):
    session = create_session_docker_config(tmp_path / "none", tmp_dir=tmp_path / "tmp", werf_home=werf_home)
    os.rmdir(session)
    later = time.time() + 2 * 24 * 3600
    assert remove_expired_session_configs(session_registry_dir(werf_home), now=later) == [session]
    assert list(session_registry_dir(werf_home).iterdir()) == []


# ------------------------------------------------------------------ a real push with the copied config

@pytest.fixture
def auth_registry(tmp_path):
    """docker-registry requiring basic auth (htpasswd, bcrypt) for gitlab-ci-token / the job token."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt
    directory = tmp_path / "auth-registry"
    directory.mkdir()
    password = GITLAB_BRANCH_PIPELINE["CI_JOB_TOKEN"]
    (directory / "htpasswd").write_text(
        f"gitlab-ci-token:{crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH))}\n")
    address = f"127.0.0.1:{free_port()}"
    (directory / "config.yml").write_text(
        "version: 0.1\nlog:\n  level: warn\n"
        f"storage:\n  filesystem:\n    rootdirectory: {directory / 'data'}\n"
        f"http:\n  addr: {address}\n"
        f"auth:\n  htpasswd:\n    realm: werf-test\n    path: {directory / 'htpasswd'}\n")
    log = open(directory / "registry.log", "wb")
    proc = subprocess.Popen(["docker-registry", "serve", str(directory / "config.yml")], stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"http://{address}/v2/", timeout=1).status_code == 401:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, (directory / "registry.log").read_text()
            time.sleep(0.1)
        yield address
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(10)
        log.close()


def docker_push(reference: str, config_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", "--config", str(config_dir), "push", reference], capture_output=True,
                          text=True, timeout=180)


@pytest.mark.docker
@pytest.mark.registry
def test_docker_pushes_to_the_ci_registry_with_the_copy_only(gitlab_env, user_docker_config, auth_registry,
                                                              docker_client, busybox_image, project_name):
    env = {**gitlab_env, "CI_REGISTRY": auth_registry, "CI_REGISTRY_IMAGE": f"{auth_registry}/acme/{project_name}"}
    result = generate_ci_env(CiEnvOptions("gitlab", docker_config=user_docker_config), environ=env)
    reference = f"{auth_registry}/acme/{project_name}/stages:probe"
    docker_client.images.get(busybox_image).tag(reference)
    try:
        denied = docker_push(reference, user_docker_config)
        assert denied.returncode != 0
        assert "no basic auth credentials" in denied.stderr + denied.stdout
        pushed = docker_push(reference, result.docker_config)
        assert pushed.returncode == 0, pushed.stderr
        listed = httpx.get(f"http://{auth_registry}/v2/acme/{project_name}/stages/tags/list",
                           auth=("gitlab-ci-token", GITLAB_BRANCH_PIPELINE["CI_JOB_TOKEN"]), timeout=10)
        assert listed.json()["tags"] == ["probe"]
    finally:
        docker_client.images.remove(reference, noprune=True)
    assert auth_registry not in (user_docker_config / "config.json").read_text()
