"""Build projects for tests: a werf.yaml plus files, committed into a temporary git repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

from tests.support.gitrepo import GitRepo

ROOT = Path(__file__).resolve().parents[2]


def make_project(repo: GitRepo, werf_yaml: str, files: dict[str, str | bytes] | None = None,
                 message: str = "initial") -> str:
    repo.write("werf.yaml", dedent(werf_yaml).lstrip())
    for path, content in (files or {}).items():
        repo.write(path, content)
    return repo.commit(message)


def werf_env(werf_home: Path, **extra: str) -> dict[str, str]:
    # no automatic host cleanup after builds: on the shared test engine it would garbage-collect other tests' images
    env = {**os.environ, "WERF_HOME": str(werf_home), "DO_NOT_TRACK": "1", "WERF_DISABLE_AUTO_HOST_CLEANUP": "1"}
    env.pop("PREFECT_API_URL", None)
    env.update(extra)
    return env


def run_werf(args: list[str], *, env: dict[str, str], cwd: Path | None = None, timeout: float = 600,
             check: bool = True) -> subprocess.CompletedProcess:
    """`werf ARGS` as a user runs it: the console script in a new process."""
    werf = Path(sys.executable).with_name("werf")
    result = subprocess.run([str(werf), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"werf {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def build(repo: GitRepo, werf_home: Path, *extra: str, report: Path | None = None, env_extra: dict | None = None,
          check: bool = True) -> tuple[subprocess.CompletedProcess, dict | None]:
    report = report or (werf_home / "report.json")
    if report.exists():
        report.unlink()
    result = run_werf(["build", "--dir", str(repo.path), "--stages-storage", ":local", "--report-path", str(report),
                       *extra], env=werf_env(werf_home, **(env_extra or {})), check=check)
    return result, (json.loads(report.read_text()) if report.exists() else None)


def statuses(report: dict, image: str) -> dict[str, str]:
    return {s["name"]: s["status"] for s in report["images"][image]["stages"]}
