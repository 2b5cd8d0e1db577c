"""`platform` / `build.platform` end to end: the host's platform visible in the image, a foreign platform's
layer-only stages built from a base image of that platform (its own digests), a foreign RUN refused with one clear
message, and several platforms published as one image index.

The foreign base image is crafted offline: busybox's layers under a config that says linux/arm64 (it cannot run
here, which is the point: only layer-only stages can be built for it without an emulator)."""

from __future__ import annotations

import json
import tempfile
import uuid

import pytest

from tests.registry_storage.support import build_args, read_report, werf
from tests.support.project import build, make_project, statuses
from werf_core.layers.config import canonical_json
from werf_core.layers.engine_archive import write_load_archive
from werf_core.platforms import host_platform
from werf_core.storage.local import engine_config

pytestmark = [pytest.mark.docker]
BUSYBOX = "werf-prefect/busybox:latest"
HOST = str(host_platform())
LAYER_ONLY = "FROM {base}\nCOPY hello.txt /hello.txt\nENV WHERE=copied\nARG TARGETARCH\nLABEL arch=$TARGETARCH\n"


@pytest.fixture
def arm64_base(docker_client):
    """busybox's layers under an arm64 config, as a local image (name:tag)."""
    info = docker_client.api.inspect_image(BUSYBOX)
    config = engine_config(info)
    config.update(architecture="arm64", os="linux")
    config["config"] = {**config["config"], "Labels": {"test": uuid.uuid4().hex}}   # a unique image ID
    raw = canonical_json({**config, "history": []})
    tag = f"werf-prefect-test/busybox-arm64:{uuid.uuid4().hex[:10]}"
    with tempfile.TemporaryDirectory() as work:
        archive = write_load_archive(f"{work}/image.tar", raw, config["rootfs"]["diff_ids"], None, [tag])
        with open(archive, "rb") as data:
            list(docker_client.api.load_image(data, quiet=True))
    yield tag
    docker_client.api.remove_image(tag, force=True)


@pytest.fixture
def multi_base(docker_client, registry, arm64_base, project_name):
    """An image index in the registry over busybox (the host's platform) and the crafted arm64 image."""
    from werf_core.publish.platform_index import index_document
    from werf_core.registry import RegistryClient
    repository = registry.repo(f"{project_name}/base")
    children = []
    with RegistryClient(insecure_registries=[registry.address]) as client:
        for source, tag in ((BUSYBOX, "host"), (arm64_base, "arm64")):
            docker_client.api.tag(source, repository, tag)
            docker_client.api.push(repository, tag)
            docker_client.api.remove_image(f"{repository}:{tag}", noprune=True)
            manifest = client.get_manifest(f"{repository}:{tag}")
            config = client.get_config(f"{repository}:{tag}")
            children.append((manifest.media_type, manifest.digest, len(manifest.raw),
                             {"architecture": config["architecture"], "os": config["os"]}))
        raw, media_type = index_document(children)
        client.put_manifest(f"{repository}:multi", raw, media_type)
    return f"{repository}:multi"


def werf_yaml(project: str, platforms: list[str] | None, meta_platforms: list[str] | None = None,
              args: dict[str, str] | None = None) -> str:
    text = f"project: {project}\nconfigVersion: 1\n"
    if meta_platforms:
        text += f"build:\n  platform: {json.dumps(meta_platforms)}\n"
    text += "---\nimage: app\ndockerfile: Dockerfile\n"
    if platforms is not None:
        text += f"platform: {json.dumps(platforms)}\n"
    if args:
        text += "args:\n" + "".join(f"  {k}: {v}\n" for k, v in args.items())
    return text


def digests(report: dict) -> list[str]:
    return [s["digest"] for s in report["images"]["app"]["stages"]]


def test_the_host_platform_is_the_default_and_visible(git_repo, werf_home, project_name, docker_client):
    make_project(git_repo, werf_yaml(project_name, None), {"Dockerfile": LAYER_ONLY.format(base=BUSYBOX),
                                                           "hello.txt": "hi\n"})
    _, implicit = build(git_repo, werf_home)
    image = docker_client.api.inspect_image(implicit["images"]["app"]["stageImage"])
    assert (image["Os"], image["Architecture"]) == ("linux", host_platform().architecture)
    assert image["Config"]["Labels"]["arch"] == host_platform().architecture
    assert implicit["images"]["app"]["platform"] == HOST
    # naming the host's platform (per image or for the whole build) is the same build: every stage reused
    for config in (werf_yaml(project_name, [HOST]), werf_yaml(project_name, None, [HOST])):
        git_repo.write("werf.yaml", config)
        _, explicit = build(git_repo, werf_home)
        assert set(statuses(explicit, "app").values()) == {"reused"} and digests(explicit) == digests(implicit)


def test_a_foreign_platform_builds_layer_only_stages_with_their_own_digests(git_repo, werf_home, project_name,
                                                                             docker_client, multi_base):
    make_project(git_repo, werf_yaml(project_name, [HOST]), {"Dockerfile": LAYER_ONLY.format(base=multi_base),
                                                             "hello.txt": "hi\n"})
    _, host = build(git_repo, werf_home)
    git_repo.write("werf.yaml", werf_yaml(project_name, None, ["linux/arm64"]))   # build.platform
    _, arm = build(git_repo, werf_home)
    assert set(statuses(arm, "app").values()) == {"built"}
    assert not set(digests(arm)) & set(digests(host))       # an arm64 stage never reuses a host one
    image = docker_client.api.inspect_image(arm["images"]["app"]["stageImage"])
    assert image["Architecture"] == "arm64" and image["Config"]["Labels"]["arch"] == "arm64"
    assert "WHERE=copied" in image["Config"]["Env"]
    assert arm["images"]["app"]["platform"] == "linux/arm64"


def test_a_run_for_a_foreign_platform_fails_clearly(git_repo, werf_home, project_name, docker_client, arm64_base):
    from werf_core.platforms import Platform, can_run
    if can_run(Platform.parse("linux/arm64")):
        pytest.skip("this host has an arm64 emulator registered")
    make_project(git_repo, werf_yaml(project_name, ["linux/arm64"]),
                 {"Dockerfile": f"FROM {arm64_base}\nRUN echo built > /built\n"})
    result, _ = build(git_repo, werf_home, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "Dockerfile:2: RUN: image app is built for linux/arm64, and this linux/amd64 host cannot run its " \
           "commands (no emulator registered)" in result.stderr
    assert "qemu-user-static" in result.stderr
    tags = [t for i in docker_client.images.list(name=f"werf-stages-storage/{project_name}") for t in i.tags]
    assert len(tags) <= 1            # at most the FROM stage: nothing of the RUN


def test_stapel_images_refuse_a_foreign_platform(git_repo, werf_home, project_name):
    make_project(git_repo, f"project: {project_name}\nconfigVersion: 1\n---\nimage: app\nfrom: {BUSYBOX}\n"
                           "platform: [linux/arm64]\nshell:\n  install: [true]\n")
    result, _ = build(git_repo, werf_home, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "image app: stapel images are built for the host platform linux/amd64 only, not linux/arm64" in \
        result.stderr


@pytest.mark.registry
@pytest.mark.parametrize("route", ["local-stages", "registry-stages"])
def test_several_platforms_publish_one_image_index(route, git_repo, project_name, multi_base, registry, tmp_path,
                                                   docker_client):
    make_project(git_repo, werf_yaml(project_name, [HOST, "linux/arm64"]),
                 {"Dockerfile": LAYER_ONLY.format(base=multi_base), "hello.txt": "hi\n"})
    stages = registry.repo(f"{project_name}/stages") if route == "registry-stages" else ":local"
    images_repo = registry.repo(project_name)
    home = tmp_path / "home"
    home.mkdir()
    args = build_args("build-and-publish", git_repo.path, stages, "--images-repo", images_repo, "--tag-custom", "v1",
                      report=tmp_path / "r.json")
    werf(args, home)
    report = read_report(tmp_path / "r.json")["images"]["app"]
    assert set(report["platforms"]) == {HOST, "linux/arm64"}
    index = registry.manifest(f"{project_name}/app", "v1")
    document = index.json()
    assert document["mediaType"].endswith(("manifest.list.v2+json", "image.index.v1+json"))
    platforms = {(m["platform"]["os"], m["platform"]["architecture"]): m["digest"] for m in document["manifests"]}
    assert set(platforms) == {("linux", host_platform().architecture), ("linux", "arm64")}
    for (_, arch), digest in platforms.items():
        config = registry.config(f"{project_name}/app", digest)
        assert config["architecture"] == arch and config["config"]["Labels"]["arch"] == arch
        assert "werf-content-signature" in config["config"]["Labels"]
    # only the tag asked for: the platform images are named by the index alone
    assert registry.tags(f"{project_name}/app") == ["v1"]
    # the host's image runs and has the copied file
    pulled = f"{images_repo}/app:v1"
    try:
        assert docker_client.containers.run(pulled, ["cat", "/hello.txt"], remove=True,
                                            network_disabled=True).decode() == "hi\n"
    finally:
        docker_client.api.remove_image(pulled, force=True)
    result = werf(args, home)
    assert "is up-to-date" in result.stderr


def test_cross_building_runs_on_the_build_platform_and_copies_into_the_target(git_repo, werf_home, project_name,
                                                                             docker_client, arm64_base):
    """The classic cross-compilation Dockerfile needs no emulator: RUN in a `--platform=$BUILDPLATFORM` stage."""
    import io
    import tarfile
    make_project(git_repo, werf_yaml(project_name, ["linux/arm64"]), {"Dockerfile": (
        f"FROM --platform=$BUILDPLATFORM {BUSYBOX} AS build\nARG TARGETARCH\nARG BUILDPLATFORM\n"
        "RUN echo \"built on $BUILDPLATFORM for $TARGETARCH\" > /out\n"
        f"FROM {arm64_base}\nCOPY --from=build /out /out\n")})
    _, report = build(git_repo, werf_home)
    image = report["images"]["app"]["stageImage"]
    assert docker_client.api.inspect_image(image)["Architecture"] == "arm64"
    # the arm64 image cannot run here: read the file from its filesystem
    container = docker_client.api.create_container(image, command=["/none"], network_disabled=True)
    try:
        stream, _ = docker_client.api.get_archive(container["Id"], "/out")
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            data = tar.extractfile(tar.getmembers()[0])
            assert data is not None and data.read().decode() == f"built on {HOST} for arm64\n"
    finally:
        docker_client.api.remove_container(container["Id"], force=True)
