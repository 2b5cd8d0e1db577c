"""Benchmark: a Dockerfile image (bench/Dockerfile.hello-app) built by werf-prefect — every instruction a stage in a
registry stages storage — next to BuildKit with inline cache (`--cache-from`) and buildah `--layers` with a registry
cache, on fresh runners.

The same project, Dockerfile, registry and fresh-runner rules as bench/distributed_build.py (whose registry, tools
and tables this reuses): nothing of the project in the engine before each phase (werf-prefect: new WERF_HOME and the
project's images removed; BuildKit: image removed and build cache pruned; buildah: new storage root); the base image
is local for all three. Phases: cold build (empty repositories), idle build (same sources), one-file change
(`src/VERSION` edited and committed). werf-prefect runs `build-and-publish` of the Dockerfile image.

    .venv/bin/python bench/dockerfile_build.py [--runs 3] [--tools werf-dockerfile,buildkit,buildah]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.distributed_build import (
    DOCKERFILE,
    PHASES,
    BenchRegistry,
    Buildah,
    BuildKit,
    Project,
    Sample,
    WerfPrefect,
    measure,
    print_table,
)


class DockerfileProject(Project):
    """hello-app whose werf.yaml builds the image from bench/Dockerfile.hello-app instead of stapel directives."""

    def __init__(self, work: Path, name: str, base: str) -> None:
        super().__init__(work, name)
        shutil.copyfile(DOCKERFILE, self.path / "Dockerfile")
        (self.path / "werf.yaml").write_text(f"project: {name}\nconfigVersion: 1\n---\nimage: app\n"
                                             f"dockerfile: Dockerfile\nargs:\n  BASE: {base}\n")
        self.commit("build from the Dockerfile")


class WerfDockerfile(WerfPrefect):
    label = "werf-prefect (Dockerfile stages)"


TOOLS = {"werf-dockerfile": WerfDockerfile, "buildkit": BuildKit, "buildah": Buildah}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tools", default="werf-dockerfile,buildkit,buildah")
    args = parser.parse_args()

    from scripts import devenv
    client = devenv.docker_client()
    devenv.ensure_busybox_image(client)
    registry = BenchRegistry()
    work = Path(tempfile.mkdtemp(prefix="werf-bench-dockerfile-"))
    base = f"{registry.address}/werf-prefect/busybox:latest"
    devenv.push_image(client, devenv.BUSYBOX_IMAGE, base)
    tools = [TOOLS[name](registry, base, work, client) for name in args.tools.split(",")]
    samples: dict[tuple[str, str], list[Sample]] = {}
    projects: list[tuple[object, Project]] = []
    try:
        for n in range(args.runs):
            for tool in tools:
                project = DockerfileProject(work, f"bench-{uuid.uuid4().hex[:8]}", base)
                projects.append((tool, project))
                for phase in PHASES:
                    if phase == "one-file change":
                        project.change_one_file()
                    tool.fresh_runner(project)
                    samples.setdefault((tool.label, phase), []).append(measure(tool, project, registry))
                tool.cleanup(project)
                print(f"run {n + 1}/{args.runs}: {tool.label} done", file=sys.stderr, flush=True)
    finally:
        for tool, project in projects:
            tool.cleanup(project)
        client.images.remove(base, noprune=True)
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)

    print(f"bench/Dockerfile.hello-app, fresh runner for every phase, median of {args.runs} runs; blob bytes seen by "
          "the registry\n")
    print_table(tools, samples)


if __name__ == "__main__":
    main()
