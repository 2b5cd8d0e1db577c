"""Layer-native stages end to end: same image as the container-built one, fewer containers, reproducible layers."""

from __future__ import annotations

import hashlib
import tarfile
import time
import uuid

import pytest

from tests.support.docker_cleanup import remove_project_images
from tests.support.project import build, make_project, statuses

pytestmark = [pytest.mark.docker]

BUSYBOX = "werf-prefect/busybox:latest"


def config(project: str, base: str = BUSYBOX) -> str:
    return f"""
    project: {project}
    configVersion: 1
    ---
    artifact: tools
    from: {base}
    shell:
      install:
      - mkdir -p /out/bin /out/share
      - printf '#!/bin/sh\\necho tool-ok\\n' > /out/bin/tool
      - chmod 0750 /out/bin/tool
      - ln -s ../bin/tool /out/share/tool-link
      - ln /out/bin/tool /out/share/tool-hard
    ---
    image: app
    from: {base}
    git:
    - add: /src
      to: /app
      owner: app
      group: app
      excludePaths: ["**/*.tmp"]
      stageDependencies:
        install: [requirements.txt]
    - add: /etc-files/app.conf
      to: /etc/app/app.conf
    shell:
      beforeInstall:
      - echo 'app:x:1000:' >> /etc/group
      - echo 'app:x:1000:1000::/app:/bin/sh' >> /etc/passwd
      install:
      - sed -e 's/^/locked=/' /app/requirements.txt > /app/deps.lock
    import:
    - artifact: tools
      add: /out
      to: /opt/tools
      after: install
      owner: app
    docker:
      WORKDIR: /app
      USER: app
      ENV:
        PATH: /opt/tools/bin:$PATH
        APP_ENV: production
      EXPOSE: "8080"
      VOLUME: [/data]
      LABEL:
        org.example.title: app
      ENTRYPOINT: ["/bin/sh", "-c"]
      CMD: ["/opt/tools/bin/tool"]
    """


FILES = {"src/VERSION": "1.0\n", "src/requirements.txt": "a==1\n", "src/lib/util.sh": "echo util\n",
         "src/lib/old.txt": "old\n", "src/notes.tmp": "x\n", "etc-files/app.conf": "port=1\n"}


def second_commit(repo) -> None:
    repo.write("src/VERSION", "2.0\n")
    repo.remove("src/lib/old.txt")
    repo.write("src/new/deep/file.txt", "new\n")
    repo.write("src/bin/run.sh", "#!/bin/sh\necho run\n", mode=0o755)
    repo.symlink("src/current", "VERSION")
    repo.write("etc-files/app.conf", "port=2\n")
    repo.commit("change")


def image_tree(client, image: str) -> dict[str, tuple]:
    """Every path of the image: type, mode, owner, size, content hash (files), link target."""
    container = client.api.create_container(image, command=["true"])
    try:
        stream = client.api.export(container["Id"])
        entries: dict[str, tuple] = {}
        data = b"".join(stream)
    finally:
        client.api.remove_container(container["Id"], force=True)
    import io
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar:
            if member.name in (".dockerenv",) or member.name.startswith(("proc/", "sys/", "dev/", "etc/hostname",
                                                                         "etc/hosts", "etc/resolv.conf")):
                continue
            digest = hashlib.sha256(tar.extractfile(member).read()).hexdigest() if member.isfile() else ""
            entries[member.name] = (member.type, member.mode, member.uid, member.gid, member.size, digest,
                                    member.linkname)
    return entries


def runtime_config(client, image: str) -> dict:
    config = dict(client.api.inspect_image(image)["Config"])
    labels = {k: v for k, v in (config.get("Labels") or {}).items() if not k.startswith("werf")}
    keep = ("Env", "Cmd", "Entrypoint", "User", "WorkingDir", "ExposedPorts", "Volumes", "Healthcheck", "StopSignal")
    return {**{k: config.get(k) for k in keep}, "Labels": labels}


def container_starts(client, project: str, since: float, until: float) -> int:
    events = client.api.events(since=int(since), until=int(until) + 1, decode=True,
                               filters={"type": "container", "event": "start", "label": f"werf={project}"})
    return sum(1 for _ in events)


@pytest.fixture
def two_projects(docker_client):
    names = [f"t-{uuid.uuid4().hex[:10]}" for _ in range(2)]
    yield names
    for name in names:
        remove_project_images(docker_client, name)


def test_layer_native_image_equals_the_container_built_one(make_git_repo, two_projects, werf_home, docker_client,
                                                           busybox_image):
    native_name, container_name = two_projects
    results = {}
    for name, switch in ((native_name, "1"), (container_name, "0")):
        repo = make_git_repo(name)
        make_project(repo, config(name), FILES)
        home = werf_home / name
        home.mkdir()
        _, first = build(repo, home, env_extra={"WERF_LAYER_NATIVE": switch})
        second_commit(repo)
        started = time.time()
        _, second = build(repo, home, env_extra={"WERF_LAYER_NATIVE": switch})
        results[name] = (first, second, container_starts(docker_client, name, started, time.time()))

    native_first, native_second, native_starts = results[native_name]
    _, container_second, container_starts_count = results[container_name]
    native_image = native_second["images"]["app"]["stageImage"]
    container_image = container_second["images"]["app"]["stageImage"]
    native_tree = image_tree(docker_client, native_image)
    container_tree = image_tree(docker_client, container_image)
    differing = {p: (native_tree.get(p), container_tree.get(p)) for p in set(native_tree) | set(container_tree)
                 if native_tree.get(p) != container_tree.get(p)
                 and not (native_tree.get(p) and container_tree.get(p) and native_tree[p][0] == tarfile.DIRTYPE
                          and native_tree[p][:4] == container_tree[p][:4])}
    assert not differing, "\n".join(f"{p}: native {n} / container {c}" for p, (n, c) in sorted(differing.items()))
    assert native_tree["app/VERSION"][2:4] == (1000, 1000)
    assert native_tree["opt/tools/share/tool-link"][6] == "../bin/tool"
    assert "app/lib/old.txt" not in native_tree and "app/notes.tmp" not in native_tree
    assert runtime_config(docker_client, native_image) == runtime_config(docker_client, container_image)
    # the one-source-file change rebuilt gitLatestPatch (and what follows) without a single container
    assert statuses(native_second, "app")["gitLatestPatch"] == "built"
    assert native_starts == 0
    assert container_starts_count > 0
    out = docker_client.containers.run(native_image, ["cat /app/VERSION; /opt/tools/bin/tool; id -u"], remove=True)
    assert out.decode().split() == ["2.0", "tool-ok", "1000"]
