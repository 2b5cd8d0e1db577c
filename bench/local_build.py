"""Local stages storage: cold build, idle build and a one-file change of examples/hello-app.

    .venv/bin/python bench/local_build.py [--runs 5]

Each run uses a fresh project name (so the cold build really builds everything) and its own werf home. Times are
wall-clock of the `werf build` process; "start-up" is `werf version`, the floor of any command. Side by side:
`docker build` (BuildKit, 20.10 client) of an equivalent Dockerfile with its local layer cache.
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
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WERF = Path(sys.executable).with_name("werf")
GIT_ENV = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@b"}

DOCKERFILE = """\
FROM werf-prefect/busybox:latest AS launcher
RUN mkdir -p /build/bin && printf '#!/bin/sh\\necho hello\\n' > /build/bin/hello && chmod 0755 /build/bin/hello
FROM werf-prefect/busybox:latest
RUN echo 'app:x:1000:' >> /etc/group && echo 'app:x:1000:1000::/app:/bin/sh' >> /etc/passwd
COPY --chown=1000:1000 src/requirements.txt /app/requirements.txt
RUN sed -e 's/^/locked=/' /app/requirements.txt > /app/deps.lock
COPY --from=launcher --chown=1000:1000 /build /opt/launcher
COPY --chown=1000:1000 src/config /app/config
RUN mkdir -p /etc/hello && cp -R /app/config/. /etc/hello/
COPY --chown=1000:1000 src /app
WORKDIR /app
USER app
ENV APP_ENV=production
CMD ["/opt/launcher/bin/hello"]
"""


def timed(cmd: list[str], **kwargs) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, **kwargs)
    return time.perf_counter() - started


def prepare(project: str) -> Path:
    work = Path(tempfile.mkdtemp(prefix="werf-bench-"))
    shutil.copytree(ROOT / "examples" / "hello-app", work / "app")
    config = work / "app" / "werf.yaml"
    config.write_text(config.read_text().replace("project: hello-app", f"project: {project}"))
    (work / "app" / "Dockerfile").write_text(DOCKERFILE)
    env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=work / "app", check=True)
    subprocess.run(["git", "add", "-A"], cwd=work / "app", check=True)
    subprocess.run(["git", "commit", "-qm", "init"], cwd=work / "app", check=True, env=env)
    return work


def commit_change(app: Path) -> None:
    (app / "src" / "VERSION").write_text(f"{uuid.uuid4().hex[:6]}\n")
    env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", "commit", "-qam", "bump"], cwd=app, check=True, env=env)


def remove_project(project: str, tag: str) -> None:
    ids = subprocess.run(["docker", "images", "-q", "--filter", f"label=werf={project}"], capture_output=True,
                         text=True).stdout.split()
    if ids:
        subprocess.run(["docker", "rmi", "-f", *sorted(set(ids))], capture_output=True)
    subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)


def one_run() -> dict[str, float]:
    project = f"bench-{uuid.uuid4().hex[:8]}"
    work = prepare(project)
    app = work / "app"
    env = {**os.environ, "WERF_HOME": str(work / "home")}
    env.pop("PREFECT_API_URL", None)
    build = [str(WERF), "build", "--dir", str(app), "--stages-storage", ":local"]
    docker_env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    docker = ["/usr/bin/docker", "build", "--network=none", "-q", "-t", f"{project}:docker", str(app)]
    result = {}
    try:
        result["werf cold"] = timed(build, env=env)
        result["werf idle"] = timed(build, env=env)
        result["docker cold"] = timed(docker + ["--no-cache"], env=docker_env)
        result["docker idle"] = timed(docker, env=docker_env)
        commit_change(app)
        result["werf one-file change"] = timed(build, env=env)
        result["docker one-file change"] = timed(docker, env=docker_env)
    finally:
        remove_project(project, f"{project}:docker")
        shutil.rmtree(work, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    startup = statistics.median(timed([str(WERF), "version"]) for _ in range(args.runs))
    runs = [one_run() for _ in range(args.runs)]
    print(f"examples/hello-app, local stages storage, median of {args.runs} runs (process start-up {startup:.2f}s)")
    print(f"{'scenario':<16} {'werf build':>11} {'docker build (BuildKit)':>25}")
    for scenario in ("cold", "idle", "one-file change"):
        werf = statistics.median(r[f"werf {scenario}"] for r in runs)
        docker = statistics.median(r[f"docker {scenario}"] for r in runs)
        print(f"{scenario:<16} {werf:>10.2f}s {docker:>24.2f}s")
    idle = statistics.median(r["werf idle"] for r in runs)
    print(f"idle build on top of process start-up: {idle - startup:.2f}s (target < 2 s)")


if __name__ == "__main__":
    main()
