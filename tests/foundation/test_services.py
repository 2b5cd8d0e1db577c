"""The fixtures are real: an image pushed to the throw-away registry is readable over its HTTP API, and the offline
busybox base image runs."""

import hashlib

import pytest

pytestmark = [pytest.mark.docker]


def test_registry_fixture_serves_pushed_manifest(registry, registry_busybox):
    repository, tag = registry_busybox.split("/", 1)[1].rsplit(":", 1)
    response = registry.manifest(repository, tag)
    assert response.status_code == 200
    manifest = response.json()
    assert manifest["schemaVersion"] == 2
    assert response.headers["Docker-Content-Digest"] == "sha256:" + hashlib.sha256(response.content).hexdigest()
    assert len(manifest["layers"]) == 1
    config = registry.config(repository, tag)
    assert config["config"]["Cmd"] == ["/bin/sh"]
    assert tag in registry.tags(repository)


def test_registry_access_log_records_requests(registry, registry_busybox):
    repository, tag = registry_busybox.split("/", 1)[1].rsplit(":", 1)
    position = registry.log_position()
    registry.manifest(repository, tag)
    assert ("GET", f"/v2/{repository}/manifests/{tag}") in registry.requests_since(position)


def test_registry_deletes_are_enabled(registry, docker_client, busybox_image):
    from scripts.devenv import push_image
    remote = registry.repo("deletable/busybox:gone")
    push_image(docker_client, busybox_image, remote)
    digest = registry.manifest("deletable/busybox", "gone").headers["Docker-Content-Digest"]
    import httpx
    r = httpx.delete(f"{registry.url}/v2/deletable/busybox/manifests/{digest}")
    assert r.status_code == 202
    assert registry.manifest("deletable/busybox", "gone").status_code == 404
    docker_client.images.remove(remote, noprune=True)


def test_busybox_base_image_runs_a_command(docker_client, busybox_image):
    out = docker_client.containers.run(busybox_image, ["sh", "-c", "echo hello from $(basename $(readlink /bin/sh))"],
                                       network_mode="none", remove=True)
    assert out.decode().strip() == "hello from busybox"


def test_git_repo_helper(git_repo):
    git_repo.write("a.txt", "one\n")
    first = git_repo.commit("first")
    git_repo.branch("feature")
    git_repo.write("a.txt", "two\n")
    second = git_repo.commit("second")
    git_repo.tag("v1", "release")
    assert first != second
    assert git_repo.git("rev-parse", "v1^{commit}") == second
    git_repo.checkout("main")
    assert (git_repo.path / "a.txt").read_text() == "one\n"
