"""`werf publish` / `werf build-and-publish` on the real registry: names, labels, layers moved, up-to-date tags."""

from __future__ import annotations

import time

import pytest

from tests.registry_storage.support import (
    blob_downloads,
    blob_uploads,
    build_args,
    forget_project_images,
    image_events,
    manifest,
    manifest_digest,
    manifest_puts,
    read_report,
    werf,
)

pytestmark = [pytest.mark.docker, pytest.mark.registry]


def run_tool(client, reference: str) -> str:
    client.images.pull(reference)
    try:
        return client.containers.run(reference, remove=True, network_disabled=True).decode()
    finally:
        client.images.remove(reference, force=True)


def test_publish_from_registry_stages_moves_no_layer(app_project, home_a, stages_repo, images_repo, registry,
                                                     docker_client, project_name, tmp_path):
    build_report = tmp_path / "build.json"
    werf(build_args("build", app_project.path, stages_repo, report=build_report), home_a)
    last_stage = read_report(build_report)["images"]["app"]["stageImage"]
    forget_project_images(docker_client, project_name)
    position, since = registry.log_position(), time.time()
    publish_report = tmp_path / "publish.json"
    result = werf(build_args("publish", app_project.path, stages_repo, "--images-repo", images_repo,
                             "--tag-custom", "v1", "--tag-by-stages-signature",
                             "--publish-report-path", str(publish_report)), home_a)
    requests = registry.requests_since(position)

    assert image_events(docker_client, since, "pull", registry.address) == []
    stage_layers = {layer["digest"] for layer in manifest(registry, *last_stage[len(registry.address) + 1:]
                                                          .split(":"))["layers"]}
    assert not set(blob_downloads(requests)) & stage_layers                 # no layer read
    mounts = [path for method, path in requests if method == "POST" and "mount=" in path]
    assert len(mounts) == len(stage_layers)         # each layer mounted once; the second tag finds them there
    app_repo = f"{project_name}/app"
    configs = {manifest(registry, app_repo, tag)["config"]["digest"] for tag in registry.tags(app_repo)}
    metadata_record = 1
    assert len(blob_uploads(requests)) == len(configs) + metadata_record
    assert set(blob_uploads(requests)) >= configs                            # only the small configs are new

    report = read_report(publish_report)
    content_digest = report["Images"]["app"]["DockerTag"]
    assert registry.tags(app_repo) == sorted(["v1", content_digest])
    assert report == {"Images": {"app": {
        "WerfImageName": "app", "DockerRepo": f"{images_repo}/app", "DockerTag": content_digest,
        "DockerImageID": manifest(registry, app_repo, content_digest)["config"]["digest"],
        "DockerImageDigest": manifest_digest(registry, app_repo, content_digest)}}}
    assert registry.tags(f"{project_name}/tools") == []                      # artifacts are never published
    assert "published" in result.stderr

    labels = registry.config(app_repo, "v1")["config"]["Labels"]
    assert {k: v for k, v in labels.items() if k in ("werf-image", "werf-image-name", "werf-image-tag",
                                                      "werf-tag-strategy", "werf-content-signature",
                                                      "werf-image-version", "werf-docker-image-name")} == {
        "werf-image": "true", "werf-image-name": "app", "werf-image-tag": "v1", "werf-tag-strategy": "custom",
        "werf-content-signature": content_digest, "werf-image-version": "1",
        "werf-docker-image-name": f"{images_repo}/app:v1"}
    assert registry.config(app_repo, "v1")["config"]["Image"] == manifest(
        registry, *last_stage[len(registry.address) + 1:].split(":"))["config"]["digest"]
    assert run_tool(docker_client, f"{images_repo}/app:v1") == "tool-ok\n"


def test_second_publish_finds_every_tag_up_to_date_and_writes_nothing(app_project, home_a, stages_repo,
                                                                     images_repo, registry):
    args = build_args("build-and-publish", app_project.path, stages_repo, "--images-repo", images_repo,
                      "--tag-custom", "v1", "--tag-git-branch", "main")
    werf(args, home_a)
    position = registry.log_position()
    result = werf(args, home_a)
    requests = registry.requests_since(position)
    assert manifest_puts(requests) == [] and blob_uploads(requests) == []
    assert result.stderr.count("is up-to-date") == 2
    assert "Published: 0 tag(s) written, 2 up to date" in result.stderr


def test_a_source_change_moves_the_custom_tag_to_the_new_image(app_project, home_a, stages_repo, images_repo,
                                                               registry, project_name, tmp_path):
    args = build_args("build-and-publish", app_project.path, stages_repo, "--images-repo", images_repo,
                      "--tag-custom", "v1", "--tag-by-stages-signature", "--publish-report-path",
                      str(tmp_path / "p.json"))
    werf(args, home_a)
    before = read_report(tmp_path / "p.json")["Images"]["app"]
    app_project.write("src/VERSION", "2.0\n")
    commit = app_project.commit("bump")
    werf(args, home_a)
    after = read_report(tmp_path / "p.json")["Images"]["app"]
    app_repo = f"{project_name}/app"
    assert after["DockerTag"] != before["DockerTag"]
    assert set(registry.tags(app_repo)) == {"v1", before["DockerTag"], after["DockerTag"]}
    assert registry.config(app_repo, "v1")["config"]["Labels"]["werf-content-signature"] == after["DockerTag"]
    # git-history cleanup input: the image's content at HEAD
    metadata = registry.config(f"{project_name}/stages", f"image-metadata-by-commit-app-{commit}")
    assert metadata["config"]["Labels"]["ContentSignature"] == after["DockerTag"]


def test_publish_from_local_stages_pushes_through_the_engine(app_project, home_a, images_repo, registry,
                                                             docker_client, project_name, tmp_path):
    args = build_args("build-and-publish", app_project.path, ":local", "--images-repo", images_repo,
                      "--tag-custom", "v1", "--publish-report-path", str(tmp_path / "p.json"))
    werf(args, home_a)
    app_repo = f"{project_name}/app"
    assert registry.tags(app_repo) == ["v1"]
    report = read_report(tmp_path / "p.json")["Images"]["app"]
    assert report["DockerImageDigest"] == manifest_digest(registry, app_repo, "v1")
    assert report["DockerImageID"] == manifest(registry, app_repo, "v1")["config"]["digest"]
    assert not [t for i in docker_client.images.list() for t in i.tags if t.startswith(f"{images_repo}/")]
    position = registry.log_position()
    result = werf(args, home_a)
    assert "is up-to-date" in result.stderr and manifest_puts(registry.requests_since(position)) == []
    assert run_tool(docker_client, f"{images_repo}/app:v1") == "tool-ok\n"


def test_monorepo_mode_and_ci_environment_variables(app_project, home_a, stages_repo, images_repo, registry,
                                                    project_name, tmp_path):
    werf(["build-and-publish", "--dir", str(app_project.path)], home_a, WERF_STAGES_STORAGE=stages_repo,
         WERF_SYNCHRONIZATION=":local", WERF_IMAGES_REPO=images_repo, WERF_IMAGES_REPO_MODE="monorepo",
         WERF_TAG_CUSTOM_RELEASE="rc1", WERF_TAG_GIT_COMMIT=app_project.head(), WERF_TAG_BY_STAGES_SIGNATURE="true",
         WERF_PUBLISH_REPORT_PATH=str(tmp_path / "p.json"))
    report = read_report(tmp_path / "p.json")["Images"]["app"]
    content_tag = report["DockerTag"]                      # stages-signature is published last
    assert content_tag.startswith("app-") and len(content_tag) == len("app-") + 56
    assert registry.tags(project_name) == sorted(["app-rc1", f"app-{app_project.head()}", content_tag])
    assert report["DockerRepo"] == images_repo


def test_publish_without_built_stages_fails_naming_the_stage(app_project, home_a, stages_repo, images_repo):
    result = werf(build_args("publish", app_project.path, stages_repo, "--images-repo", images_repo,
                             "--tag-custom", "v1"), home_a, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stderr.count("Error:") == 1
    assert f"is not in {stages_repo}" in result.stderr and "werf build" in result.stderr


def test_missing_tags_or_images_repo_fail_before_any_work(app_project, home_a, stages_repo, images_repo):
    no_tag = werf(build_args("publish", app_project.path, stages_repo, "--images-repo", images_repo), home_a,
                  check=False)
    assert no_tag.returncode == 1 and "no tag given" in no_tag.stderr and "Traceback" not in no_tag.stderr
    no_repo = werf(build_args("build-and-publish", app_project.path, stages_repo, "--tag-custom", "v1"), home_a,
                   check=False)
    assert no_repo.returncode == 1 and "no images repo given" in no_repo.stderr
    assert "Pushing" not in no_repo.stderr
    bad_tag = werf(build_args("publish", app_project.path, stages_repo, "-i", images_repo, "--tag-git-branch",
                              "feature/x"), home_a, check=False)
    assert bad_tag.returncode == 1 and "not a valid docker tag" in bad_tag.stderr


def test_managed_image_records_name_the_images_that_got_new_stages(app_project, home_a, stages_repo, registry,
                                                                   project_name):
    werf(build_args("build", app_project.path, stages_repo), home_a)
    tags = registry.tags(f"{project_name}/stages")
    assert [t for t in tags if t.startswith("managed-image-")] == ["managed-image-app"]   # not the artifact
    position = registry.log_position()
    werf(build_args("build", app_project.path, stages_repo), home_a)
    assert registry.requests_since(position) == []        # nothing new built: the record is not even checked
