"""Flow parameters are checked before anything is cloned: hostile or mistyped values end with a clear message."""

from __future__ import annotations

import pytest

from flows.params import (
    BuildParameters,
    ParameterError,
    check_commit,
    check_ref,
    check_repository,
    short_ref,
    validate_build_parameters,
)
from werf_core.errors import WerfError


@pytest.mark.parametrize("url", [
    "https://github.com/acme/app.git", "https://gitlab.example.com:8443/group/sub/app.git",
    "ssh://git@github.com/acme/app.git", "ssh://git@host:2222/~user/app.git", "git://git.example.com/app",
    "git@github.com:acme/app.git", "/srv/git/app", "https://user@git.example.com/a%20b/app.git",
])
def test_accepted_repositories(url):
    assert check_repository(url) == url


@pytest.mark.parametrize("url, fragment", [
    ("http://github.com/acme/app.git", "scheme http://"),
    ("file:///etc", "scheme file://"),
    ("ext::sh -c touch% /tmp/pwned", "not accepted"),
    ("relative/path", "relative path"),
    ("-uhttps://evil", "not a repository address"),
    ("https://github.com/acme/app.git;rm -rf /", "not a valid https URL"),
    ("https://github.com/$(reboot)/app", "not a valid https URL"),
    ("https://github.com/acme/../../etc", "'..'"),
    ("/srv/git/../../etc", "'..'"),
    ("/srv/git/app name", "shell characters"),
    ("https://github.com/acme/app.git?x=1", "query strings"),
    ("", "empty"),
])
def test_refused_repositories(url, fragment):
    with pytest.raises(ParameterError) as err:
        check_repository(url)
    assert fragment in err.value.message
    assert err.value.hint


def test_local_paths_only_under_configured_roots():
    assert check_repository("/srv/git/app", local_roots=["/srv/git"]) == "/srv/git/app"
    with pytest.raises(ParameterError, match="only under /srv/git"):
        check_repository("/home/user/app", local_roots=["/srv/git"])
    with pytest.raises(ParameterError, match="none configured"):
        check_repository("/srv/git/app", local_roots=[])
    with pytest.raises(ParameterError):
        check_repository("/srv/gitx/app", local_roots=["/srv/git"])   # a prefix of the name is not a parent


@pytest.mark.parametrize("ref", ["main", "feature/x-1", "refs/heads/main", "refs/tags/v1.2.3",
                                 "refs/pull/17/head", "refs/merge-requests/3/head", "release+hotfix", "v2@latest"])
def test_accepted_refs(ref):
    assert check_ref(ref) == ref


@pytest.mark.parametrize("ref", ["-f", "--upload-pack=touch /tmp/x", "main;reboot", "a..b", "a//b", "a/", "/a",
                                 "a.lock", "a/.hidden", "@{-1}", "@", "a b", "x" * 256, "$(id)", "a\nb", "a~1", "a^"])
def test_refused_refs(ref):
    with pytest.raises(ParameterError, match="ref"):
        check_ref(ref)


def test_short_ref_names_branches_and_tags():
    assert short_ref("refs/heads/feature/x") == "feature/x"
    assert short_ref("refs/tags/v1") == "v1"
    assert short_ref("refs/pull/7/head") == "pull/7/head"
    assert short_ref("main") == "main"


@pytest.mark.parametrize("commit", ["abc1234", "A" * 40, "0123456789abcdef0123456789abcdef01234567", "f" * 64])
def test_accepted_commits(commit):
    assert check_commit(commit) == commit.lower()


@pytest.mark.parametrize("commit", ["abc", "xyz1234", "HEAD", "main", "-abc1234", "a" * 65])
def test_refused_commits(commit):
    with pytest.raises(ParameterError, match="commit"):
        check_commit(commit)


def test_full_validation_returns_normalised_parameters():
    params = validate_build_parameters(repository="https://github.com/acme/app.git", ref="refs/heads/main",
                                       commit="ABCDEF1", project_dir="services/api", images=["app", "~"],
                                       stages_storage="127.0.0.1:5000/acme/stages",
                                       synchronization="kubernetes://werf-synchronization",
                                       project_name="acme-app", images_repo="127.0.0.1:5000/acme", tags=["v1", "latest"])
    assert params == BuildParameters(repository="https://github.com/acme/app.git", ref="refs/heads/main",
                                     commit="abcdef1", project_dir="services/api", images=("app", "~"),
                                     stages_storage="127.0.0.1:5000/acme/stages",
                                     synchronization="kubernetes://werf-synchronization", project_name="acme-app",
                                     images_repo="127.0.0.1:5000/acme", tags=("v1", "latest"))
    assert params.is_url and not params.builds_in_place and params.label == "main"


def test_a_local_path_without_revision_builds_in_place():
    params = validate_build_parameters(repository="/srv/app")
    assert params.builds_in_place and params.label == "worktree" and params.stages_storage == ":local"
    assert not validate_build_parameters(repository="/srv/app", commit="abcdef1").builds_in_place


@pytest.mark.parametrize("kwargs, fragment", [
    ({"stages_storage": "Registry.Example.com/APP"}, "stages_storage"),
    ({"stages_storage": "127.0.0.1:5000/app/stages:latest"}, "without tag"),
    ({"images_repo": "repo@sha256:" + "a" * 64}, "without tag or digest"),
    ({"synchronization": "http://werf-sync.example.com"}, "not supported"),
    ({"synchronization": "kubernetes://ns@base64:YWJj"}, "inline kubeconfig"),
    ({"project_dir": "../other"}, "'..'"),
    ({"project_dir": "/abs"}, "relative"),
    ({"config": "werf.yaml;id"}, "relative"),
    ({"images": ["app", "$(id)"]}, "images"),
    ({"tags": ["-bad"]}, "docker tag"),
    ({"project_name": "Bad_Name"}, "project name"),
])
def test_each_bad_parameter_is_named(kwargs, fragment):
    with pytest.raises(WerfError) as err:
        validate_build_parameters(repository="https://github.com/acme/app.git", **kwargs)
    assert fragment in err.value.message


def test_an_unresolved_prefect_yaml_placeholder_says_so():
    with pytest.raises(ParameterError) as err:
        validate_build_parameters(repository="{{ $WERF_PREFECT_REBUILD_REPOSITORY }}", ref="main")
    assert "unresolved prefect.yaml placeholder" in err.value.message
    assert "prefect deploy" in err.value.hint
