"""Local stages storage: cold build, idle build and a one-file change of examples/hello-app.

    .venv/bin/python bench/local_build.py [--runs 5] [--no-buildah]

Each run uses a fresh project name (so the cold build really builds everything) and its own werf home. Times are
wall-clock of the `werf build` process; "start-up" is `werf version`, the floor of any command. Two werf columns:
layer-native (file-only and config-only stages loaded into the engine as a layer, no container) and
`WERF_LAYER_NATIVE=0` (every stage a container + commit), with the containers each started (docker events). Side by
side: `docker build` (BuildKit, 20.10 client) of an equivalent Dockerfile with its local layer cache, and buildah
(`bud --isolation chroot --layers --storage-driver vfs`, its own storage root).
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
sys.path.insert(0, str(ROOT))

from bench.bytecode import ensure_bytecode  # noqa: E402 - after the path set-up
from bench.distributed_build import ContainerStarts  # noqa: E402 - after the path set-up, as in dockerfile_build

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
    done = subprocess.run(cmd, capture_output=True, **kwargs)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout[-2000:]!r}\n{done.stderr[-2000:]!r}")
    return time.perf_counter() - started


def timed_werf(cmd: list[str], project: str, **kwargs) -> tuple[float, int]:
    with ContainerStarts(project) as starts:
        seconds = timed(cmd, **kwargs)
    return seconds, starts.count


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


def one_run(use_buildah: bool) -> dict[str, float]:
    result: dict[str, float] = {}
    for variant, switch in (("werf", "1"), ("werf containers", "0")):
        project = f"bench-{uuid.uuid4().hex[:8]}"
        work = prepare(project)
        app = work / "app"
        env = {**os.environ, "WERF_HOME": str(work / "home"), "WERF_LAYER_NATIVE": switch}
        env.pop("PREFECT_API_URL", None)
        build = [str(WERF), "build", "--dir", str(app), "--stages-storage", ":local"]
        try:
            for scenario in ("cold", "idle", "one-file change"):
                if scenario == "one-file change":
                    commit_change(app)
                seconds, starts = timed_werf(build, project, env=env)
                result[f"{variant} {scenario}"] = seconds
                result[f"{variant} {scenario} containers"] = starts
        finally:
            remove_project(project, f"{project}:docker")
            shutil.rmtree(work, ignore_errors=True)

    project = f"bench-{uuid.uuid4().hex[:8]}"
    work = prepare(project)
    app = work / "app"
    docker_env = {**os.environ, "DOCKER_BUILDKIT": "1"}
    docker = ["/usr/bin/docker", "build", "--network=none", "-q", "-t", f"{project}:docker", str(app)]
    root = work / "buildah"
    buildah = ["buildah", "--root", str(root / "root"), "--runroot", str(root / "run"), "--storage-driver", "vfs"]
    bud = [*buildah, "bud", "--isolation", "chroot", "--layers", "-q", "-t", f"{project}:buildah", str(app)]
    try:
        result["docker cold"] = timed(docker + ["--no-cache"], env=docker_env)
        result["docker idle"] = timed(docker, env=docker_env)
        if use_buildah:
            timed([*buildah, "pull", "-q", "docker-daemon:werf-prefect/busybox:latest"])
            subprocess.run([*buildah, "tag", "docker-daemon:werf-prefect/busybox:latest",
                            "werf-prefect/busybox:latest"], capture_output=True)
            result["buildah cold"] = timed(bud)
            result["buildah idle"] = timed(bud)
        commit_change(app)
        result["docker one-file change"] = timed(docker, env=docker_env)
        if use_buildah:
            result["buildah one-file change"] = timed(bud)
    finally:
        remove_project(project, f"{project}:docker")
        if use_buildah:
            subprocess.run([*buildah, "rm", "--all"], capture_output=True)
            subprocess.run([*buildah, "rmi", "--all", "-f"], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-buildah", action="store_true")
    args = parser.parse_args()
    use_buildah = not args.no_buildah and shutil.which("buildah") is not None
    bytecode = ensure_bytecode()
    load_before = os.getloadavg()[0]
    startup = statistics.median(timed([str(WERF), "version"]) for _ in range(args.runs))
    runs = [one_run(use_buildah) for _ in range(args.runs)]
    print(f"examples/hello-app, local stages storage, median of {args.runs} runs (process start-up {startup:.2f}s)")
    print(f"{bytecode}; machine load (1-min average) {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    tools = [("werf", "werf (layer-native)"), ("werf containers", "werf (WERF_LAYER_NATIVE=0)"),
             ("docker", "BuildKit"), *([("buildah", "buildah")] if use_buildah else [])]
    header = "".join(f" | {label:>27}" for _, label in tools)
    print(f"| {'scenario':<16}{header} | native / BuildKit |")
    print(f"|{'-' * 18}" + "".join(f"|{'-' * 29}" for _ in tools) + f"|{'-' * 19}|")
    for scenario in ("cold", "idle", "one-file change"):
        cells = []
        for key, _ in tools:
            seconds = statistics.median(r[f"{key} {scenario}"] for r in runs)
            cell = f"{seconds:.2f}s"
            if f"{key} {scenario} containers" in runs[0]:
                starts = statistics.median(r[f"{key} {scenario} containers"] for r in runs)
                cell += f" ({starts:.0f} containers)"
            cells.append(f" | {cell:>27}")
        ratio = statistics.median(r[f"werf {scenario}"] for r in runs) / \
            statistics.median(r[f"docker {scenario}"] for r in runs)
        print(f"| {scenario:<16}" + "".join(cells) + f" | {ratio:>16.1f}x |")
    idle = statistics.median(r["werf idle"] for r in runs)
    print(f"idle build on top of process start-up: {idle - startup:.2f}s")


if __name__ == "__main__":
    main()
