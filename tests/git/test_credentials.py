"""Credentials for https remotes reach git (askpass), and nothing else: not the disk, not a message, not a config."""

from __future__ import annotations

import os
import stat
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.support.git_http_server import GitHttpServer
from werf_core.errors import GitError
from werf_core.git.credentials import GitCredentials, credentials_for, use_credentials
from werf_core.git.remote import open_remote_repository

USER = "ci-bot"


@pytest.fixture(autouse=True)
def _forget_captured_token():
    """A token taken from the environment stays in the process; each test starts without one."""
    from werf_core.git import credentials
    yield
    credentials._captured.clear()


@pytest.fixture
def marker() -> str:
    return "tok" + uuid.uuid4().hex


@pytest.fixture
def served(tmp_path, git_repo, marker):
    """The test repository, served over http on loopback with basic auth USER:marker."""
    git_repo.write("README", "hello\n")
    head = git_repo.commit("initial")
    root = tmp_path / "served"
    root.mkdir()
    subprocess.run(["git", "clone", "--bare", "--quiet", str(git_repo.path), str(root / "app.git")], check=True)
    with GitHttpServer(root, username=USER, password=marker) as server:
        yield server, head


def files_containing(root: Path, needle: str) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            try:
                if needle.encode() in path.read_bytes():
                    found.append(path)
            except OSError:
                pass
    return found


def assert_private(path: Path) -> None:
    assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, f"{path} is {oct(path.stat().st_mode)}"


def test_a_url_with_embedded_credentials_clones_and_stores_no_credentials(served, werf_home, marker):
    server, head = served
    url = server.url("app.git").replace("http://", f"http://{USER}:{marker}@")
    remote = open_remote_repository(url)
    assert remote.resolve() == head
    remote.fetch()                                           # fetching again authenticates again
    assert marker not in remote.url and marker not in remote.description
    assert files_containing(werf_home, marker) == []
    config = (remote.directory / "config").read_text()
    assert "127.0.0.1" in config and USER not in config
    assert_private(werf_home / "local_cache" / "git_repos")
    assert_private(werf_home / "service" / "git-askpass.sh")
    assert server.authorizations, "the server never saw credentials"


def test_credentials_from_the_environment_are_scoped_to_their_host(served, werf_home, marker, monkeypatch):
    server, head = served
    monkeypatch.setenv("WERF_GIT_HTTP_PASSWORD", marker)
    monkeypatch.setenv("WERF_GIT_HTTP_USERNAME", USER)
    monkeypatch.setenv("WERF_GIT_HTTP_HOST", f"127.0.0.1:{server.port}")
    assert open_remote_repository(server.url("app.git")).resolve() == head
    assert files_containing(werf_home, marker) == []
    assert "WERF_GIT_HTTP_PASSWORD" not in os.environ     # taken out: a werf.yaml template cannot read it
    # another host never gets the token
    assert credentials_for("https://attacker.example.com/x.git") is None
    monkeypatch.setenv("WERF_GIT_HTTP_HOST", "git.example.com")
    assert credentials_for(server.url("app.git")) is None


def test_a_password_without_a_host_is_a_clear_error(monkeypatch, werf_home, marker):
    monkeypatch.setenv("WERF_GIT_HTTP_PASSWORD", marker)
    monkeypatch.delenv("WERF_GIT_HTTP_HOST", raising=False)
    with pytest.raises(GitError, match="WERF_GIT_HTTP_HOST") as err:
        credentials_for("https://github.com/acme/app.git")
    assert marker not in err.value.render()


def test_build_credentials_from_a_secret_block_take_precedence(served, werf_home, marker):
    server, head = served
    with use_credentials(GitCredentials(host=f"127.0.0.1:{server.port}", username=USER, password=marker)):
        assert open_remote_repository(server.url("app.git")).resolve() == head
    assert files_containing(werf_home, marker) == []


def test_wrong_credentials_fail_without_showing_them(served, werf_home, marker):
    server, _ = served
    wrong = "wrong" + uuid.uuid4().hex
    url = server.url("app.git").replace("http://", f"http://{USER}:{wrong}@")
    with pytest.raises(GitError) as err:
        open_remote_repository(url)
    assert wrong not in err.value.render() and "127.0.0.1" in err.value.render()
    assert files_containing(werf_home, wrong) == []


def test_a_store_credential_helper_in_the_users_git_config_does_not_keep_the_token(served, werf_home, marker,
                                                                                    tmp_path, monkeypatch):
    server, head = served
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    subprocess.run(["git", "config", "--global", "credential.helper", "store"], check=True, env=os.environ)
    url = server.url("app.git").replace("http://", f"http://{USER}:{marker}@")
    assert open_remote_repository(url).resolve() == head
    assert files_containing(home, marker) == [] and files_containing(werf_home, marker) == []


def test_ssh_urls_with_a_password_are_refused_clearly(werf_home, marker):
    with pytest.raises(GitError, match="carries a password") as err:
        open_remote_repository(f"ssh://git:{marker}@127.0.0.1:1/app.git")
    assert marker not in err.value.render() and "ssh key" in err.value.render()
