"""werf 1.2/2.x `imageSpec` end to end: the published image's config carries it (docker inspect after a pull), for
both publishing routes, and a changed imageSpec is a new content signature."""

from __future__ import annotations

import pytest

from tests.registry_storage.support import build_args, manifest_puts, read_report, werf
from tests.support.project import make_project

pytestmark = [pytest.mark.docker, pytest.mark.registry]


def config(project: str, base: str, *, author: str = "Ops <ops@example.com>") -> str:
    return f"""
    project: {project}
    configVersion: 1
    build:
      imageSpec:
        author: "{author}"
        config:
          labels: {{org.example/team: core}}
    ---
    image: app
    from: {base}
    shell:
      install:
      - mkdir -p /srv/app && echo ok > /srv/app/health
    docker:
      ENV: {{BUILD_ONLY: "1", KEEP: "yes"}}
      LABEL: {{maintainer: someone, obsolete.label: x}}
    ---
    image: helper
    from: {base}
    final: false
    ---
    image: api
    from: {base}
    imageSpec:
      clearHistory: true
      config:
        user: "65534"
        workingDir: /srv
        entrypoint: [/bin/sh, -c]
        cmd: ["echo api"]
        stopSignal: SIGINT
        env: {{API_PORT: "8080", PATH: "/usr/local/bin:/bin:/usr/bin"}}
        removeEnv: [/^HOSTNAME$/]
        labels: {{org.example/component: api}}
        removeLabels: [/^werf-stage/]
        volumes: [/srv/data]
        expose: [8080/tcp, "9090"]
        healthcheck: {{test: [CMD-SHELL, "true"], interval: 7, timeout: 2, startPeriod: 1, retries: 4}}
    """


def inspect(client, reference: str) -> dict:
    client.images.pull(reference)
    try:
        return client.api.inspect_image(reference)
    finally:
        client.images.remove(reference, force=True)


def history_length(client, reference: str) -> int:
    client.images.pull(reference)
    try:
        return len(client.api.history(reference))
    finally:
        client.images.remove(reference, force=True)


@pytest.mark.parametrize("route", ["registry-stages", "local-stages"])
def test_published_images_carry_their_image_spec(route, git_repo, project_name, registry_busybox, home_a,
                                                 stages_repo, images_repo, registry, docker_client, tmp_path):
    make_project(git_repo, config(project_name, registry_busybox))
    stages = stages_repo if route == "registry-stages" else ":local"
    args = build_args("build-and-publish", git_repo.path, stages, "--images-repo", images_repo, "--tag-custom", "v1",
                      "--publish-report-path", str(tmp_path / "p.json"))
    werf(args, home_a)

    api = inspect(docker_client, f"{images_repo}/api:v1")
    c = api["Config"]
    assert api["Author"] == "Ops <ops@example.com>"                 # from build.imageSpec
    assert c["User"] == "65534" and c["WorkingDir"] == "/srv" and c["StopSignal"] == "SIGINT"
    assert c["Entrypoint"] == ["/bin/sh", "-c"] and c["Cmd"] == ["echo api"]
    assert "API_PORT=8080" in c["Env"] and "PATH=/usr/local/bin:/bin:/usr/bin" in c["Env"]
    assert not any(e.startswith("HOSTNAME=") for e in c["Env"])
    assert c["Labels"]["org.example/component"] == "api" and c["Labels"]["org.example/team"] == "core"
    assert not any(k.startswith("werf-stage") for k in c["Labels"])
    assert c["Labels"]["werf-image"] == "true" and "werf-content-signature" in c["Labels"]   # essential, kept
    assert set(c["Volumes"]) == {"/srv/data"} and set(c["ExposedPorts"]) == {"8080/tcp", "9090/tcp"}
    assert c["Healthcheck"] == {"Test": ["CMD-SHELL", "true"], "Interval": 7_000_000_000, "Timeout": 2_000_000_000,
                                "StartPeriod": 1_000_000_000, "Retries": 4}
    assert history_length(docker_client, f"{images_repo}/api:v1") <= 1      # history cleared (docker shows 1 row)
    assert docker_client.containers.run(f"{images_repo}/api:v1", remove=True, network_disabled=True,
                                        user="65534").decode() == "api\n"
    docker_client.images.remove(f"{images_repo}/api:v1", force=True)

    app = inspect(docker_client, f"{images_repo}/app:v1")
    assert app["Author"] == "Ops <ops@example.com>"
    assert app["Config"]["Labels"]["org.example/team"] == "core" and app["Config"]["Labels"]["maintainer"] == "someone"
    assert "BUILD_ONLY=1" in app["Config"]["Env"]

    assert not registry.tags(f"{project_name}/helper")           # final: false is never published
    assert "helper" not in read_report(tmp_path / "p.json")["Images"]

    position = registry.log_position()
    result = werf(args, home_a)
    assert "is up-to-date" in result.stderr and manifest_puts(registry.requests_since(position)) == []


def test_a_changed_image_spec_is_a_new_content_signature(git_repo, project_name, registry_busybox, home_a,
                                                        stages_repo, images_repo, registry, docker_client, tmp_path):
    make_project(git_repo, config(project_name, registry_busybox))
    args = build_args("build-and-publish", git_repo.path, stages_repo, "--images-repo", images_repo,
                      "--tag-custom", "v1", "--publish-report-path", str(tmp_path / "p.json"))
    werf(args, home_a)
    first = read_report(tmp_path / "p.json")["Images"]["api"]
    make_project(git_repo, config(project_name, registry_busybox, author="Someone Else"), message="author")
    werf(args, home_a)
    second = read_report(tmp_path / "p.json")["Images"]["api"]
    assert second["DockerImageID"] != first["DockerImageID"]
    assert inspect(docker_client, f"{images_repo}/api:v1")["Author"] == "Someone Else"
