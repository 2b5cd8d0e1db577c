"""Conformance: every Dockerfile in conformance/ built by BuildKit and by werf-prefect gives the same final image."""

from __future__ import annotations

import json
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.dockerfile import conformance_support as support

pytestmark = [pytest.mark.docker, pytest.mark.slow]
WERF = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "werf")


@pytest.fixture(scope="module")
def built(tmp_path_factory, docker_client):
    """Both builds of every case: BuildKit tags and werf-prefect's final stage images, by case."""
    import uuid
    project = f"t-df-{uuid.uuid4().hex[:8]}"
    work = tmp_path_factory.mktemp("conformance")
    shutil.copytree(support.CASES_DIR, work, dirs_exist_ok=True, symlinks=True)
    report = work / "report.json"
    tags: dict[str, str] = {}
    try:
        tags.update({case: f"werf-df-conformance/{case}:{project}" for case in support.cases()})
        # BuildKit builds run a few at a time; cases based on another case's image wait for it
        for wave in ([c for c in support.cases() if c not in support.BASED_ON],
                     [c for c in support.cases() if c in support.BASED_ON]):
            with ThreadPoolExecutor(max_workers=3) as pool:
                list(pool.map(lambda case: support.buildkit_build(case, tags[case], support.case_args(case, tags)),
                              wave))
        (work / "werf.yaml").write_text(support.werf_config(project, tags))
        result = subprocess.run([WERF, "build", "--dir", str(work), "--stages-storage", ":local",
                                 "--report-path", str(report)], capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        images = json.loads(report.read_text())["images"]
        yield {case: (tags[case], images[case]["stageImage"]) for case in support.cases()}
    finally:
        for tag in tags.values():
            subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)
        from tests.support.docker_cleanup import remove_project_images
        remove_project_images(docker_client, project)


@pytest.mark.parametrize("case", support.cases())
def test_same_image(built, docker_client, case):
    buildkit, werf = built[case]
    assert support.config(docker_client, werf, drop_werf_labels=True) == \
        support.config(docker_client, buildkit, drop_werf_labels=False)
    ours, theirs = support.filesystem(docker_client, werf), support.filesystem(docker_client, buildkit)
    differences = {path: (ours.get(path), theirs.get(path)) for path in set(ours) | set(theirs)
                   if ours.get(path) != theirs.get(path)}
    assert not differences, "\n".join(f"{path}: werf={a} buildkit={b}"
                                       for path, (a, b) in sorted(differences.items()))[:4000]


def test_enough_cases(monkeypatch):
    monkeypatch.delenv("WERF_DF_CASES", raising=False)
    assert len(support.cases()) >= 25
