"""A project whose git history is scripted over "days" and published commit by commit, for the cleanup tests."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from tests.support.gitrepo import GitRepo
from tests.support.project import run_werf, werf_env

DAY = 86400
# "day 0" of the scripted history is tomorrow: the cleanup then runs "days later" (now = BASE_TIME + N days) and the
# stages built today by the test are older than the 2 h guard period, as they would be in real life
BASE_TIME = (int(time.time()) // DAY + 1) * DAY


def werf_yaml(project: str, base: str, policies: str = "") -> str:
    return f"""project: {project}
configVersion: 1
{policies}
---
artifact: tools
from: {base}
shell:
  install:
  - mkdir -p /out
  - echo tool-ok > /out/tool
---
image: app
from: {base}
git:
- add: /src
  to: /app
shell:
  install:
  - echo installed > /installed
import:
- artifact: tools
  add: /out
  to: /opt/tools
  after: install
docker:
  CMD: ["cat", "/app/version"]
"""


def commit_at(repo: GitRepo, day: float, message: str, version: str | None = None) -> str:
    """Commit (changing src/version unless None) with author and committer date `day` days after day 0."""
    if version is not None:
        repo.write("src/version", version + "\n")
    stamp = f"@{int(BASE_TIME + day * DAY)} +0000"
    saved = {k: os.environ.get(k) for k in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE")}
    os.environ["GIT_AUTHOR_DATE"] = os.environ["GIT_COMMITTER_DATE"] = stamp
    try:
        return repo.commit(message)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def publish(repo: GitRepo, home: Path, stages: str, images_repo: str, tag: str, *extra: str,
            synchronization: str = ":local", env_extra: dict | None = None, check: bool = True):
    """`werf build-and-publish --tag-custom TAG` at the repository's HEAD; returns (result, build report)."""
    report = home / f"report-{tag}.json"
    result = run_werf(["build-and-publish", "--dir", str(repo.path), "--stages-storage", stages,
                       "--synchronization", synchronization, "--images-repo", images_repo, "--tag-custom", tag,
                       "--report-path", str(report), *extra],
                      env=werf_env(home, WERF_DISABLE_AUTO_HOST_CLEANUP="1", **(env_extra or {})), check=check)
    return result, (json.loads(report.read_text()) if report.exists() else None)


def stage_images(report: dict) -> set[str]:
    """Every stage image a build used (artifacts included)."""
    return {s["image"] for image in report["images"].values() for s in image["stages"]}
