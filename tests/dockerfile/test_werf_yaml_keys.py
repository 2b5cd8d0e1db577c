"""werf 1.2/2.x keys of Dockerfile images end to end: `secrets` for RUN --mount=type=secret and `dependencies`."""

from __future__ import annotations

import io
import tarfile
import uuid

import pytest

from tests.support.docker_cleanup import remove_project_images
from tests.support.project import build, make_project, statuses

pytestmark = [pytest.mark.docker]
BUSYBOX = "werf-prefect/busybox:latest"
TOKEN = "tok-" + uuid.uuid4().hex            # unique: any occurrence anywhere comes from this test
FILE_SECRET = "file-" + uuid.uuid4().hex
INLINE = "inline-" + uuid.uuid4().hex

SECRETS_DOCKERFILE = f"""\
FROM {BUSYBOX}
RUN --mount=type=secret,id=token \\
    --mount=type=secret,id=creds,target=/etc/creds,mode=0444 \\
    --mount=type=secret,id=inline,env=INLINE_SECRET \\
    --mount=type=secret,id=absent \\
    sh -c 'sha256sum < /run/secrets/token | cut -c1-64 > /token.sha; \\
           stat -c %a /etc/creds > /creds.mode; sha256sum < /etc/creds | cut -c1-64 > /creds.sha; \\
           printf %s "$INLINE_SECRET" | sha256sum | cut -c1-64 > /inline.sha; \\
           ls /run/secrets > /listing; echo "leak: $(cat /run/secrets/token)"'
RUN test ! -e /run/secrets/token && test ! -e /etc/creds && echo "$INLINE_SECRET" > /after
"""


def secrets_yaml(project: str) -> str:
    return f"""
    project: {project}
    configVersion: 1
    ---
    image: app
    dockerfile: Dockerfile
    secrets:
    - env: WERF_TEST_TOKEN
      id: token
    - src: private/creds.txt
      id: creds
    - id: inline
      value: {INLINE}
    """


@pytest.fixture
def project(docker_client):
    name = f"t-{uuid.uuid4().hex[:10]}"
    yield name
    remove_project_images(docker_client, name)


def sha256(text: str) -> str:
    import hashlib
    return hashlib.sha256(text.encode()).hexdigest()


def run_in(client, image: str, command: str) -> str:
    return client.containers.run(image, ["/bin/sh", "-c", command], remove=True, network_disabled=True).decode()


def saved_bytes(client, image: str) -> bytes:
    """Every layer and config of the image, uncompressed, as one byte string."""
    raw = b"".join(client.api.get_image(image))
    data = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(raw)) as outer:
        for member in outer:
            content = outer.extractfile(member) if member.isfile() else None
            if content is not None:
                data.write(content.read())
    return data.getvalue()


def test_secrets_mounted_for_run_only_and_never_stored_or_logged(git_repo, werf_home, project, docker_client):
    make_project(git_repo, secrets_yaml(project), {"Dockerfile": SECRETS_DOCKERFILE, ".gitignore": "private/\n"})
    git_repo.write("private/creds.txt", FILE_SECRET)   # in the project directory, not in git
    result, report = build(git_repo, werf_home, env_extra={"WERF_TEST_TOKEN": TOKEN})
    image = report["images"]["app"]["stageImage"]
    assert run_in(docker_client, image, "cat /token.sha /creds.mode /creds.sha /inline.sha /listing /after") == \
        f"{sha256(TOKEN)}\n444\n{sha256(FILE_SECRET)}\n{sha256(INLINE)}\ntoken\n\n"
    # the mount points: BuildKit's directories stay, the files are gone; an undeclared optional secret is skipped
    assert run_in(docker_client, image, "ls -A /run/secrets; test -e /etc/creds || echo no-creds") == "no-creds\n"
    everything = saved_bytes(docker_client, image)
    for value in (TOKEN, FILE_SECRET, INLINE):
        assert value.encode() not in everything
        assert value not in result.stdout + result.stderr
        for path in werf_home.rglob("*"):
            if path.is_file():
                assert value.encode() not in path.read_bytes(), path
    assert "leak: ***" in result.stdout + result.stderr
    # the secrets' content is not part of any digest (as in BuildKit): new values reuse every stage
    git_repo.write("private/creds.txt", FILE_SECRET + "-rotated")
    _, again = build(git_repo, werf_home, env_extra={"WERF_TEST_TOKEN": TOKEN + "-rotated"})
    assert set(statuses(again, "app").values()) == {"reused"}


@pytest.mark.parametrize("mount, message", [
    ("id=missing,required", "Dockerfile:2: RUN --mount=type=secret,id=missing: no such secret is configured"),
    ("id=token,bogus=1", "Dockerfile:2: RUN --mount=type=secret: unknown option 'bogus'"),
    ("id=token,mode=9z", "Dockerfile:2: RUN --mount=type=secret: mode=9z is not a number"),
])
def test_bad_secret_mounts_name_the_dockerfile_line(git_repo, werf_home, project, docker_client, mount, message):
    make_project(git_repo, secrets_yaml(project), {"Dockerfile": f"FROM {BUSYBOX}\nRUN --mount=type=secret,{mount} true\n",
                                                   "private/creds.txt": "x"})
    result, _ = build(git_repo, werf_home, env_extra={"WERF_TEST_TOKEN": TOKEN}, check=False)
    assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert docker_client.images.list(name=f"werf-stages-storage/{project}") == []


def test_a_missing_secret_source_fails_before_anything_is_stored(git_repo, werf_home, project, docker_client):
    make_project(git_repo, secrets_yaml(project), {"Dockerfile": SECRETS_DOCKERFILE})
    git_repo.write("private/creds.txt", FILE_SECRET)
    result, _ = build(git_repo, werf_home, check=False)
    assert result.returncode == 1
    assert 'build secret "token": the environment variable WERF_TEST_TOKEN is not set' in result.stderr
    tags = [t for i in docker_client.images.list(name=f"werf-stages-storage/{project}") for t in i.tags]
    assert not any("RUN" in t for t in tags) and len(tags) <= 1   # at most the FROM stage


BASE_DOCKERFILE = f"""\
FROM {BUSYBOX}
ARG MARK=one
RUN echo "base $MARK" > /base-marker
"""
APP_DOCKERFILE = """\
ARG BASE
FROM ${BASE}
ARG BASE
ARG BASE_REPO
ARG BASE_TAG
ARG BASE_ID
ARG BASE_DIGEST
RUN printf '%s\\n' "$BASE" "$BASE_REPO" "$BASE_TAG" "$BASE_ID" "$BASE_DIGEST" > /deps
"""


def dependencies_yaml(project: str, mark: str = "one") -> str:
    return f"""
    project: {project}
    configVersion: 1
    ---
    image: base
    dockerfile: base.Dockerfile
    args:
      MARK: {mark}
    ---
    image: app
    dockerfile: app.Dockerfile
    dependencies:
    - image: base
      imports:
      - type: ImageName
        targetBuildArg: BASE
      - type: ImageRepo
        targetBuildArg: BASE_REPO
      - type: ImageTag
        targetBuildArg: BASE_TAG
      - type: ImageID
        targetBuildArg: BASE_ID
      - type: ImageDigest
        targetBuildArg: BASE_DIGEST
    """


def test_dependencies_feed_build_args_and_digests(git_repo, werf_home, project, docker_client):
    make_project(git_repo, dependencies_yaml(project), {"base.Dockerfile": BASE_DOCKERFILE,
                                                        "app.Dockerfile": APP_DOCKERFILE})
    _, report = build(git_repo, werf_home)
    base = report["images"]["base"]["stageImage"]
    app = report["images"]["app"]["stageImage"]
    base_id = docker_client.api.inspect_image(base)["Id"]
    repository, _, tag = base.rpartition(":")
    assert run_in(docker_client, app, "cat /base-marker /deps") == \
        f"base one\n{base}\n{repository}\n{tag}\n{base_id}\n{base_id}\n"
    # the base is rebuilt: every stage of the dependent image follows it
    git_repo.write("werf.yaml", dependencies_yaml(project, "two").replace("\n    ", "\n").lstrip())
    git_repo.commit("base changes")
    _, changed = build(git_repo, werf_home)
    assert set(statuses(changed, "app").values()) == {"built"}
    assert run_in(docker_client, changed["images"]["app"]["stageImage"], "cat /base-marker") == "base two\n"


@pytest.mark.registry
def test_dependencies_and_secrets_on_a_registry_stages_storage(git_repo, project, registry, registry_busybox,
                                                               docker_client, tmp_path):
    """A fresh runner: the dependency's name is a registry reference, FROM ${BASE} is resolved from the registry."""
    from tests.registry_storage.support import build_args, forget_project_images, read_report, werf
    config = dependencies_yaml(project).replace("    ---\n    image: app", "    ---\n    image: app\n    secrets:\n"
                                                "    - {id: token, env: WERF_TEST_TOKEN}")
    make_project(git_repo, config, {"base.Dockerfile": BASE_DOCKERFILE.replace(BUSYBOX, registry_busybox),
                                    "app.Dockerfile": APP_DOCKERFILE + "RUN --mount=type=secret,id=token "
                                                                       "wc -c < /run/secrets/token > /token.len\n"})
    stages = registry.repo(f"{project}/stages")
    home = tmp_path / "home"
    home.mkdir()
    werf(build_args("build", git_repo.path, stages, report=tmp_path / "r.json"), home, WERF_TEST_TOKEN=TOKEN)
    report = read_report(tmp_path / "r.json")["images"]
    base, app = report["base"]["stageImage"], report["app"]["stageImage"]
    assert base.startswith(stages + ":")
    forget_project_images(docker_client, project)
    docker_client.images.pull(app)
    try:
        lines = run_in(docker_client, app, "cat /base-marker /deps /token.len").splitlines()
        assert lines[:3] == ["base one", base, stages] and lines[-1] == str(len(TOKEN))
        assert TOKEN.encode() not in saved_bytes(docker_client, app)
    finally:
        docker_client.images.remove(app, force=True)
