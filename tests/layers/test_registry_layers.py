"""Layer-native stages in a registry stages storage: reproducible blobs, concurrent runners, a failing registry."""

from __future__ import annotations

import subprocess
import sys
import uuid

import httpx
import pytest

from tests.layers.test_layer_native_build import FILES, config, second_commit
from tests.registry_storage.support import build_args, read_report, statuses
from tests.support.docker_cleanup import remove_project_images
from tests.support.fault_proxy import FaultProxy
from tests.support.project import make_project, werf_env
from tests.support.registry import MANIFEST_TYPES

pytestmark = [pytest.mark.docker, pytest.mark.registry]


def stage_layers(registry_url: str, repository: str, tag: str) -> list[str]:
    manifest = httpx.get(f"{registry_url}/v2/{repository}/manifests/{tag}", headers={"Accept": MANIFEST_TYPES},
                         timeout=10).json()
    return [layer["digest"] for layer in manifest["layers"]]


def missing_blobs(registry_url: str, repository: str) -> list[str]:
    """The checker: every blob every stage manifest names must be in the repository."""
    tags = httpx.get(f"{registry_url}/v2/{repository}/tags/list?n=10000", timeout=10).json().get("tags") or []
    missing = []
    for tag in tags:
        manifest = httpx.get(f"{registry_url}/v2/{repository}/manifests/{tag}", headers={"Accept": MANIFEST_TYPES},
                             timeout=10).json()
        for blob in [manifest["config"], *manifest["layers"]]:
            if httpx.head(f"{registry_url}/v2/{repository}/blobs/{blob['digest']}", timeout=10).status_code != 200:
                missing.append(f"{tag}: {blob['digest']}")
    return missing


def werf_process(args: list[str], home, **env) -> subprocess.Popen:
    werf = str(__import__("pathlib").Path(sys.executable).with_name("werf"))
    return subprocess.Popen([werf, *args], env=werf_env(home, **env), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def stage_of(report: dict, image: str, name: str) -> dict:
    return next(s for s in report["images"][image]["stages"] if s["name"] == name)


@pytest.fixture
def project(docker_client):
    name = f"t-{uuid.uuid4().hex[:10]}"
    yield name
    remove_project_images(docker_client, name)


def test_two_runners_build_byte_identical_layers(git_repo, project, registry, registry_busybox, tmp_path):
    """Two runners (own WERF_HOMEs, own stages repositories) build the same commit: same layer blobs."""
    make_project(git_repo, config(project, registry_busybox), FILES)
    second_commit(git_repo)
    layers = {}
    for runner in ("a", "b"):
        home = tmp_path / runner
        home.mkdir()
        repository = f"{project}/stages-{runner}"
        report_path = home / "report.json"
        proc = werf_process(build_args("build", git_repo.path, registry.repo(repository), report=report_path), home)
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, out + err
        report = read_report(report_path)
        tag = stage_of(report, "app", "gitArchive")["image"].rpartition(":")[2]
        layers[runner] = stage_layers(registry.url, repository, tag)[-1]
    assert layers["a"] == layers["b"]


def test_concurrent_runners_agree_on_one_stage(git_repo, project, registry, registry_busybox, tmp_path):
    """Two fresh runners build the same new gitLatestPatch at once: whoever publishes, it is the same layer blob."""
    make_project(git_repo, config(project, registry_busybox), FILES)
    stages = registry.repo(f"{project}/stages")
    first_home = tmp_path / "first"
    first_home.mkdir()
    proc = werf_process(build_args("build", git_repo.path, stages), first_home)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, out + err
    second_commit(git_repo)
    procs = {}
    for runner in ("a", "b"):
        home = tmp_path / runner
        home.mkdir()
        procs[runner] = (werf_process(build_args("build", git_repo.path, stages, report=home / "r.json"), home),
                         home / "r.json")
    reports = {}
    for runner, (proc, report_path) in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, out + err
        reports[runner] = read_report(report_path)
    patch = {r: stage_of(reports[r], "app", "gitLatestPatch") for r in reports}
    repository = f"{project}/stages"
    # separate hosts (own WERF_HOMEs, :local locks) may both publish the stage; either way its layer is one blob
    tags = {patch[r]["image"].rpartition(":")[2] for r in patch}
    assert {patch["a"]["digest"]} == {patch["b"]["digest"]}
    layer_digests = {stage_layers(registry.url, repository, tag)[-1] for tag in tags}
    assert len(layer_digests) == 1
    assert not missing_blobs(registry.url, repository)


def small_config(project: str, base: str) -> str:
    """Two container stages (from, beforeInstall), then only layer-native ones."""
    return f"""
    project: {project}
    configVersion: 1
    ---
    image: app
    from: {base}
    git:
    - add: /src
      to: /app
      owner: app
    shell:
      beforeInstall:
      - echo 'app:x:1000:1000::/app:/bin/sh' >> /etc/passwd
    docker:
      ENV:
        APP_ENV: production
    """


def test_builds_through_a_failing_registry(git_repo, project, registry, registry_busybox, tmp_path, monkeypatch,
                                          capsys):
    """15 % of registry requests fail (503 or dropped mid-response): builds retry through it, and no stage ever
    names a missing blob."""
    make_project(git_repo, small_config(project, registry_busybox), {"src/VERSION": "0\n", "src/lib/a.sh": "a\n"})
    repository = f"{project}/stages"
    outcomes = []
    from werf_cli.main import main as werf_main
    with FaultProxy(registry.address, failure_rate=0.15, seed=21) as proxy:
        stages = f"{proxy.address}/{repository}"
        for index in range(10):
            if index:
                git_repo.write("src/VERSION", f"{index}\n")
                git_repo.commit(f"change {index}")
            home = tmp_path / f"runner-{index}"
            home.mkdir()
            monkeypatch.setenv("WERF_HOME", str(home))   # a fresh runner each time, in this process (fast)
            capsys.readouterr()
            code = werf_main(build_args("build", git_repo.path, stages, report=home / "r.json"))
            outcomes.append((code, capsys.readouterr().err))
            if code == 0 and index:
                assert statuses(read_report(home / "r.json"), "app")["gitLatestPatch"] == "built"
        assert proxy.answered_503 and proxy.dropped
    failures = [err for code, err in outcomes if code != 0]
    assert len(failures) <= 1, failures
    for err in failures:
        assert "Traceback" not in err and "Error: " in err, err
    assert not missing_blobs(registry.url, repository)
