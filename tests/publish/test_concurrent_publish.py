"""Four runners at once: `werf build-and-publish` in four processes, each with its own WERF_HOME, coordinated only
through the registry and a Kubernetes synchronization (the API emulator, which keeps the API server's semantics).
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.registry_storage.support import manifest, manifest_digest, read_report, stage_tags
from tests.support.kube_emulator import KubeEmulator
from tests.support.project import werf_env

pytestmark = [pytest.mark.docker, pytest.mark.registry, pytest.mark.slow]

RUNNERS = 4


def test_four_concurrent_runners_publish_every_stage_once_and_agree_on_the_image(
        app_project, stages_repo, images_repo, registry, project_name, tmp_path):
    werf_bin = str(Path(sys.executable).with_name("werf"))
    with KubeEmulator() as emulator:
        kubeconfig = emulator.write_kubeconfig(tmp_path / "kubeconfig")
        synchronization = f"kubernetes://werf-synchronization@{kubeconfig}"
        procs = []
        for n in range(RUNNERS):
            home = tmp_path / f"runner-{n}"
            home.mkdir()
            args = [werf_bin, "build-and-publish", "--dir", str(app_project.path), "--stages-storage", stages_repo,
                    "--synchronization", synchronization, "--images-repo", images_repo, "--tag-custom", "v1",
                    "--tag-by-stages-signature", "--report-path", str(tmp_path / f"build-{n}.json"),
                    "--publish-report-path", str(tmp_path / f"publish-{n}.json")]
            procs.append(subprocess.Popen(args, env=werf_env(home), stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True))
        outputs = [p.communicate(timeout=900) for p in procs]
    assert [p.returncode for p in procs] == [0] * RUNNERS, [err for _, err in outputs]

    repository = f"{project_name}/stages"
    per_digest = Counter(tag.rsplit("-", 1)[0] for tag in stage_tags(registry, repository))
    builds = [read_report(tmp_path / f"build-{n}.json") for n in range(RUNNERS)]
    digests = {s["digest"] for i in builds[0]["images"].values() for s in i["stages"]}
    assert set(per_digest) == digests and set(per_digest.values()) == {1}, per_digest
    # every runner ended up using the one published stage of every digest
    chosen = [{s["digest"]: s["image"] for i in b["images"].values() for s in i["stages"]} for b in builds]
    assert all(c == chosen[0] for c in chosen)
    built = Counter(s["digest"] for b in builds for i in b["images"].values() for s in i["stages"]
                    if s["status"] == "built")
    assert set(built) == digests and set(built.values()) == {1}

    app_repository = f"{project_name}/app"
    published = [read_report(tmp_path / f"publish-{n}.json")["Images"]["app"] for n in range(RUNNERS)]
    content_tag = published[0]["DockerTag"]
    assert registry.tags(app_repository) == sorted(["v1", content_tag])
    final = manifest_digest(registry, app_repository, content_tag)
    assert {p["DockerImageDigest"] for p in published} == {final}
    assert {p["DockerTag"] for p in published} == {content_tag}
    assert registry.config(app_repository, "v1")["config"]["Labels"]["werf-content-signature"] == content_tag
    assert manifest(registry, app_repository, "v1")["layers"] == manifest(registry, app_repository,
                                                                          content_tag)["layers"]
