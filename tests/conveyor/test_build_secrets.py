"""werf 2.x build secrets (`secrets:` env/src/value) on a real build: usable by the commands at /run/secrets/<id>,
absent from every layer, the image config, the history and the build's output; a missing secret fails clearly."""

from __future__ import annotations

import hashlib
import io
import tarfile

import pytest

from tests.support.project import build, make_project

pytestmark = [pytest.mark.docker]

BUSYBOX = "werf-prefect/busybox:latest"
ENV_SECRET = "env-s3cr3t-7f1c2a"
FILE_SECRET = "file-s3cr3t-99b0de"
VALUE_SECRET = "value-s3cr3t-4e5d6c"


def config(project: str) -> str:
    return f"""
    project: {project}
    configVersion: 1
    ---
    image: app
    from: {BUSYBOX}
    secrets:
    - env: TEST_BUILD_TOKEN
    - id: npmrc
      src: .secrets/npmrc
    - id: inline
      value: {VALUE_SECRET}
    shell:
      install:
      - mkdir -p /out
      - for s in TEST_BUILD_TOKEN npmrc inline; do sha256sum /run/secrets/$s | cut -c1-64 >> /out/sums; done
      - ls -l /run/secrets > /out/listing
    """


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def image_bytes(client, image: str) -> bytes:
    """Every layer and the config of `image`, as `docker save` writes them (layers uncompressed)."""
    raw = b"".join(client.api.get_image(image))
    out = [raw]
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        for member in tar.getmembers():
            if member.isfile() and (member.name.endswith("layer.tar") or member.name.startswith("blobs/")):
                data = tar.extractfile(member).read()
                out.append(data)
                try:
                    with tarfile.open(fileobj=io.BytesIO(data)) as layer:
                        for inner in layer.getmembers():
                            out.append(inner.name.encode())
                            if inner.isfile():
                                out.append(layer.extractfile(inner).read())
                except tarfile.TarError:
                    pass
    return b"\n".join(out)


def test_secrets_are_usable_and_leave_no_trace(git_repo, werf_home, docker_client, project_name):
    make_project(git_repo, config(project_name))
    (git_repo.path / ".secrets").mkdir()
    (git_repo.path / ".secrets" / "npmrc").write_text(FILE_SECRET)   # untracked, like a real secret file
    result, report = build(git_repo, werf_home, env_extra={"TEST_BUILD_TOKEN": ENV_SECRET})
    image = report["images"]["app"]["stageImage"]

    sums = docker_client.containers.run(image, ["cat", "/out/sums"], remove=True, network_disabled=True).decode()
    assert sums.split() == [digest(ENV_SECRET), digest(FILE_SECRET), digest(VALUE_SECRET)]

    everything = image_bytes(docker_client, image)
    assert digest(ENV_SECRET).encode() in everything      # the scan does read the files of the layers
    output = (result.stdout + result.stderr).encode()
    inspect = repr(docker_client.api.inspect_image(image)).encode()
    history = repr(docker_client.api.history(image)).encode()
    for secret in (ENV_SECRET, FILE_SECRET, VALUE_SECRET):
        for where, data in (("layers", everything), ("output", output), ("config", inspect), ("history", history)):
            assert secret.encode() not in data, f"{secret} found in the {where}"
    listing = docker_client.containers.run(image, ["sh", "-c", "ls -A /run/secrets 2>/dev/null | wc -l"],
                                           remove=True, network_disabled=True).decode().strip()
    assert listing == "0"          # at most the empty mountpoint remains

    # a changed secret value does not rebuild (values are no part of any digest)
    (git_repo.path / ".secrets" / "npmrc").write_text(FILE_SECRET + "-rotated")
    _, again = build(git_repo, werf_home, env_extra={"TEST_BUILD_TOKEN": ENV_SECRET + "-rotated"})
    assert again["images"]["app"]["stageImage"] == image


def test_a_missing_env_secret_fails_naming_it(git_repo, werf_home, project_name):
    make_project(git_repo, config(project_name))
    (git_repo.path / ".secrets").mkdir()
    (git_repo.path / ".secrets" / "npmrc").write_text(FILE_SECRET)
    result, _ = build(git_repo, werf_home, check=False, env_extra={"TEST_BUILD_TOKEN_UNUSED": "x"})
    assert result.returncode == 1
    assert 'build secret "TEST_BUILD_TOKEN": the environment variable TEST_BUILD_TOKEN is not set' in result.stderr
    assert "Traceback" not in result.stderr


def test_a_secret_file_outside_the_project_is_refused(git_repo, werf_home, project_name, tmp_path):
    outside = tmp_path / "outside-secret"
    outside.write_text("nope")
    make_project(git_repo, config(project_name).replace(".secrets/npmrc", str(outside)))
    result, _ = build(git_repo, werf_home, check=False, env_extra={"TEST_BUILD_TOKEN": ENV_SECRET})
    assert result.returncode == 1 and "is outside the project directory" in result.stderr
