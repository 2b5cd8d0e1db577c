"""Plan (digests of every stage, no build) a project whose repository holds 50,000 files.

    .venv/bin/python bench/plan_big_repo.py [--files 50000] [--runs 5]

The repository is generated once under /tmp (reused across runs). Each run is a fresh process running
`werf stages plan` with an empty werf home, so nothing is cached between runs: config rendering, git tree listing,
stageDependencies checksums for three globs, and digest chaining for three images. Prints the median.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WERF = Path(sys.executable).with_name("werf")

WERF_YAML = """\
project: big-repo
configVersion: 1
---
{{- range $name := list "api" "worker" "web" }}
image: {{ $name }}
from: werf-prefect/busybox:latest
git:
- add: /
  to: /app
  excludePaths: ["docs/**"]
  stageDependencies:
    install: ["pkg/*/deps.txt", "requirements/**"]
    setup: ["config/**/*.yaml"]
shell:
  install: [echo install {{ $name }}]
  setup: [echo setup {{ $name }}]
docker:
  CMD: ["/app/bin/{{ $name }}"]
---
{{- end }}
"""


def make_repository(path: Path, files: int) -> None:
    marker = path / ".generated"
    if marker.exists() and marker.read_text() == str(files):
        return
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@b"}
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, check=True)
    per_dir = 100
    for i in range(files):
        kind = ("pkg", "config", "docs", "src", "requirements")[i % 5]
        d = path / kind / f"d{i // per_dir:04d}"
        d.mkdir(parents=True, exist_ok=True)
        name = {"pkg": "deps.txt" if i % 50 == 0 else f"m{i}.go", "config": f"c{i}.yaml"}.get(kind, f"f{i}.txt")
        (d / name).write_text(f"{i}\n")
    (path / "werf.yaml").write_text(WERF_YAML)
    subprocess.run(["git", "add", "-A"], cwd=path, check=True)
    subprocess.run(["git", "commit", "-qm", "generated"], cwd=path, check=True, env=env)
    marker.write_text(str(files))


def run_once(repo: Path) -> float:
    home = Path(tempfile.mkdtemp(prefix="werf-bench-home-"))
    try:
        started = time.perf_counter()
        subprocess.run([str(WERF), "stages", "plan", "--dir", str(repo), "--stages-storage", ":local"],
                       check=True, capture_output=True, env={**os.environ, "WERF_HOME": str(home)})
        return time.perf_counter() - started
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    repo = Path(tempfile.gettempdir()) / f"werf-bench-repo-{args.files}"
    make_repository(repo, args.files)
    startup = statistics.median(
        _time([str(WERF), "version"]) for _ in range(args.runs))
    times = [run_once(repo) for _ in range(args.runs)]
    print(f"{'what':<46} {'median':>9} {'min':>9} {'max':>9}")
    print(f"{'werf version (process start-up)':<46} {startup:>8.2f}s")
    print(f"{'werf stages plan, ' + format(args.files, ',') + ' files, 3 images':<46} "
          f"{statistics.median(times):>8.2f}s {min(times):>8.2f}s {max(times):>8.2f}s")
    print(f"runs: {args.runs}; target: < 2 s")


def _time(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
