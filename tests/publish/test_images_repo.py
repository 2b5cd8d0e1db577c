"""Images repo naming and mode resolution (werf v1.1's multirepo / monorepo / auto)."""

from __future__ import annotations

import pytest

from werf_core.publish.images_repo import ImagesRepo, ImagesRepoError, resolve_mode


def test_multirepo_names():
    repo = ImagesRepo.open("registry.example.com/project", "multirepo")
    assert repo.reference("app", "v1") == "registry.example.com/project/app:v1"
    assert repo.reference("backend/api", "v1") == "registry.example.com/project/backend/api:v1"
    assert repo.reference(None, "v1") == "registry.example.com/project:v1"
    assert repo.repository("app") == "registry.example.com/project/app" and repo.tag("app", "v1") == "v1"


def test_monorepo_names():
    repo = ImagesRepo.open("registry.example.com/project", "monorepo")
    assert repo.reference("app", "v1") == "registry.example.com/project:app-v1"
    assert repo.reference(None, "v1") == "registry.example.com/project:v1"
    assert repo.repository("app") == "registry.example.com/project" and repo.tag("app", "v1") == "app-v1"


def test_trailing_slash_is_trimmed():
    assert ImagesRepo.open("127.0.0.1:5000/project/", "auto").address == "127.0.0.1:5000/project"


@pytest.mark.parametrize("address, mode", [
    ("registry.example.com/project", "multirepo"),
    ("127.0.0.1:5000/a/b/c", "multirepo"),
    ("project", "multirepo"),                       # Docker Hub account
    ("docker.io/account", "multirepo"),
    ("index.docker.io/account/repo", "monorepo"),
    ("account/repo", "monorepo"),
    ("quay.io/team", "multirepo"),
    ("quay.io/team/repo", "monorepo"),
    ("docker.pkg.github.com/owner/repo", "multirepo"),
    ("docker.pkg.github.com/owner/repo/package", "monorepo"),
    ("ghcr.io/owner", "multirepo"),
    ("ghcr.io/owner/package", "monorepo"),
])
def test_auto_mode(address, mode):
    assert resolve_mode(address, "auto") == mode


def test_explicit_mode_is_kept_on_ordinary_registries():
    assert resolve_mode("registry.example.com/project", "monorepo") == "monorepo"


def test_explicit_mode_contradicting_the_registry_shape_is_refused_with_a_hint():
    with pytest.raises(ImagesRepoError, match="cannot be used with quay.io/team") as info:
        resolve_mode("quay.io/team", "monorepo")
    assert "add a repository" in info.value.hint
    with pytest.raises(ImagesRepoError) as info:
        resolve_mode("account/repo", "multirepo")
    assert "remove the repository" in info.value.hint


def test_missing_or_invalid_images_repo_is_a_user_error():
    with pytest.raises(ImagesRepoError, match="no images repo") as info:
        ImagesRepo.open(None)
    assert "WERF_IMAGES_REPO" in info.value.hint
    with pytest.raises(ImagesRepoError, match="names an image"):
        ImagesRepo.open("registry.example.com/project:latest")
    with pytest.raises(ImagesRepoError, match="invalid image reference"):
        ImagesRepo.open("registry.example.com/Project")
    with pytest.raises(ImagesRepoError, match="unknown images repo mode"):
        ImagesRepo.open("registry.example.com/project", "bothrepo")
