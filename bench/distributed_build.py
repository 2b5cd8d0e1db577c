"""Benchmark: examples/hello-app on a shared registry — werf-prefect vs BuildKit inline cache vs buildah layer cache.

Every phase runs on a *fresh runner*: nothing of the project in the engine (werf-prefect: a new WERF_HOME and the
project's images removed; BuildKit: the image removed and the build cache pruned; buildah: a new storage root),
so whatever a tool reuses must come from the registry. The base image is present locally for all three (the
engine's copy; buildah's new root is seeded with it before timing), so its transfer is excluded everywhere.

Phases, in order, for each tool, on its own repositories:
- cold build      — empty registry repositories: build everything, leave the image (and cache) in the registry;
- idle build      — same sources, fresh runner;
- one-file change — `src/VERSION` edited and committed, fresh runner.

Each tool builds and publishes: werf-prefect `build-and-publish` (stages pushed while building, image published at
manifest level), BuildKit `DOCKER_BUILDKIT=1 /usr/bin/docker build --build-arg BUILDKIT_INLINE_CACHE=1 --cache-from
<image>` + `docker push`, buildah `bud --isolation chroot --layers --storage-driver vfs --cache-from/--cache-to
<repo>` + `buildah push`. Bytes are blob bytes seen by the registry (its access log): pulled = blob GET bodies,
pushed = blobs whose upload completed (cross-repository mounts move nothing and count 0), each split into layers
(gzip) and metadata (JSON image configs, werf's record images). Medians of --runs runs.

Also printed: `werf build` (no publish) idle on a fresh runner next to the process start-up (`werf version`), and
for werf-prefect the build containers the engine started (its event log). Tool `werf-containers` is werf-prefect with
`WERF_LAYER_NATIVE=0` (every stage a container + commit), for comparison with the layer-native default.

    .venv/bin/python bench/distributed_build.py [--runs 5] [--tools werf,buildkit,buildah] [--payload-mb 20]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bytecode import ensure_bytecode  # noqa: E402 - after the path set-up

EXAMPLE = ROOT / "examples" / "hello-app"
DOCKERFILE = ROOT / "bench" / "Dockerfile.hello-app"
DOCKERIGNORE = "**/*.tmp\n.git\nwerf.yaml\n.werf\n"
WERF = str(Path(sys.executable).with_name("werf"))
DOCKER_20_10 = "/usr/bin/docker"
PHASES = ("cold build", "idle build", "one-file change")
_ACCESS = re.compile(r'"(GET|HEAD|PUT|POST|PATCH|DELETE) (\S+) HTTP/[\d.]+" (\d{3}) (\d+)')


def run(args: list[str], *, env: dict | None = None, cwd: Path | None = None) -> float:
    started = time.monotonic()
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return seconds


def human(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size} B"


# ---------------------------------------------------------------- the registry and what it saw

@dataclass
class Transfers:
    layers_pulled: int = 0
    layers_pushed: int = 0
    metadata_pulled: int = 0      # image configs (werf-prefect reads stage descriptions from them)
    metadata_pushed: int = 0      # image configs and werf's record images



class BenchRegistry:
    def __init__(self) -> None:
        from scripts.devenv import start_registry
        from tests.support.net import free_port
        self.directory = Path(tempfile.mkdtemp(prefix="werf-bench-registry-"))
        self.address = f"127.0.0.1:{free_port()}"
        self.process = start_registry(self.directory, self.address, access_log=True)

    def position(self) -> int:
        return (self.directory / "registry.log").stat().st_size

    def transfers(self, position: int) -> Transfers:
        """Blob bytes pulled and pushed since `position` of the access log, split into layers and metadata."""
        with open(self.directory / "registry.log", "rb") as f:
            f.seek(position)
            text = f.read().decode(errors="replace")
        result = Transfers()
        uploads = set()
        for method, path, status, size in _ACCESS.findall(text):
            if method == "GET" and "/blobs/sha256:" in path and status == "200":
                repository, digest = path[len("/v2/"):].split("/blobs/")
                kind = "layers" if self.is_layer(repository, digest) else "metadata"
                setattr(result, f"{kind}_pulled", getattr(result, f"{kind}_pulled") + int(size))
            elif method == "PUT" and "/blobs/uploads/" in path and status == "201" and "digest=" in path:
                repository = path[len("/v2/"):path.index("/blobs/uploads/")]
                uploads.add((repository, unquote(path.split("digest=", 1)[1].split("&", 1)[0])))
        for repository, digest in uploads:
            size = self.blob_size(repository, digest)
            kind = "layers" if self.is_layer(repository, digest) else "metadata"
            setattr(result, f"{kind}_pushed", getattr(result, f"{kind}_pushed") + size)
        return result

    def blob_size(self, repository: str, digest: str) -> int:
        import httpx
        head = httpx.head(f"http://{self.address}/v2/{repository}/blobs/{digest}", timeout=10)
        return int(head.headers.get("Content-Length") or 0)

    def is_layer(self, repository: str, digest: str) -> bool:
        """Layers are gzip streams; image configs (and record configs) are JSON."""
        import httpx
        with httpx.stream("GET", f"http://{self.address}/v2/{repository}/blobs/{digest}", timeout=10) as response:
            for chunk in response.iter_bytes(2):
                return chunk[:2] == b"\x1f\x8b"
        return False

    def stop(self) -> None:
        import signal
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            self.process.wait(10)
        shutil.rmtree(self.directory, ignore_errors=True)


# ---------------------------------------------------------------- the project

class Project:
    """A git copy of examples/hello-app under a unique project name."""

    def __init__(self, work: Path, name: str, payload_mb: int = 0) -> None:
        self.name = name
        self.path = work / name
        shutil.copytree(EXAMPLE, self.path)
        (self.path / ".dockerignore").write_text(DOCKERIGNORE)
        if payload_mb:
            # incompressible, so layer sizes show what really moves
            (self.path / "src" / "assets.bin").write_bytes(os.urandom(payload_mb * 1_000_000))
        self.git("init", "-q", "-b", "main")
        self.commit("initial")

    def git(self, *args: str) -> None:
        env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@werf.invalid",
               "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@werf.invalid", "GIT_CONFIG_NOSYSTEM": "1"}
        subprocess.run(["git", *args], cwd=self.path, env=env, check=True, capture_output=True)

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def change_one_file(self) -> None:
        (self.path / "src" / "VERSION").write_text("1.0.1\n")
        self.commit("bump VERSION")


def forget_images(client, project: str) -> None:
    """Remove the project's images from the engine, children before parents (the engine refuses otherwise)."""
    import docker.errors
    for _ in range(20):
        images = client.images.list(filters={"label": f"werf={project}"}, all=True)
        if not images:
            return
        for image in images:
            try:
                client.images.remove(image.id, force=True)
            except docker.errors.APIError:
                pass


# ---------------------------------------------------------------- the tools

class ContainerStarts:
    """Counts the project's build containers the engine starts while in the `with` block: a live `docker events`
    stream (the engine keeps only its last 256 events for `--since` queries, too few on a busy shared engine)."""

    def __init__(self, project: str) -> None:
        self.project = project
        self.count = 0

    def __enter__(self) -> ContainerStarts:
        self.process = subprocess.Popen([DOCKER_20_10, "events", "--filter", "type=container", "--filter", "event=start",
                                         "--filter", f"label=werf={self.project}", "--format", "{{.ID}}"],
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        time.sleep(0.3)   # subscribed before the build starts
        return self

    def __exit__(self, *exc) -> None:
        time.sleep(0.3)
        self.process.terminate()
        out, _ = self.process.communicate(timeout=10)
        self.count = len(out.split())


class WerfPrefect:
    label = "werf-prefect"
    layer_native = "1"

    def __init__(self, registry: BenchRegistry, base: str, work: Path, client) -> None:
        self.registry, self.base, self.work, self.client = registry, base, work, client
        self.home: Path | None = None
        self.containers: int | None = None

    def env(self) -> dict:
        env = {**os.environ, "WERF_HOME": str(self.home), "WERF_EXAMPLE_BASE_IMAGE": self.base, "DO_NOT_TRACK": "1",
               "WERF_LAYER_NATIVE": self.layer_native}
        env.pop("PREFECT_API_URL", None)
        return env

    def fresh_runner(self, project: Project) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="home-", dir=self.work))
        forget_images(self.client, project.name)

    def args(self, command: str, project: Project) -> list[str]:
        return [WERF, command, "--dir", str(project.path), "--project-name", project.name,
                "--stages-storage", f"{self.registry.address}/{project.name}/stages", "--synchronization", ":local"]

    def build(self, project: Project) -> float:
        with ContainerStarts(project.name) as starts:
            seconds = run([*self.args("build-and-publish", project), "--images-repo",
                           f"{self.registry.address}/{project.name}", "--tag-custom", "latest"], env=self.env())
        self.containers = starts.count
        return seconds

    def idle_build_only(self, project: Project) -> float:
        return run(self.args("build", project), env=self.env())

    def cleanup(self, project: Project) -> None:
        forget_images(self.client, project.name)


class WerfPrefectContainers(WerfPrefect):
    label = "werf-prefect, WERF_LAYER_NATIVE=0"
    layer_native = "0"


class BuildKit:
    label = "BuildKit (inline cache)"
    containers = None

    def __init__(self, registry: BenchRegistry, base: str, work: Path, client) -> None:
        self.registry, self.base, self.client = registry, base, client

    def image(self, project: Project) -> str:
        return f"{self.registry.address}/{project.name}/buildkit:latest"

    def fresh_runner(self, project: Project) -> None:
        self.cleanup(project)
        # a fresh runner has no local build cache; the engine's BuildKit cache is shared, so prune it all
        subprocess.run([DOCKER_20_10, "builder", "prune", "-af"], capture_output=True, check=True)

    def build(self, project: Project) -> float:
        env = {**os.environ, "DOCKER_BUILDKIT": "1"}
        seconds = run([DOCKER_20_10, "build", "--network=none", "-f", str(DOCKERFILE), "--build-arg",
                       f"BASE={self.base}", "--build-arg", "BUILDKIT_INLINE_CACHE=1", "--cache-from",
                       self.image(project), "-t", self.image(project), str(project.path)], env=env)
        return seconds + run([DOCKER_20_10, "push", self.image(project)])

    def cleanup(self, project: Project) -> None:
        import docker.errors
        try:
            self.client.images.remove(self.image(project), force=True)
        except docker.errors.ImageNotFound:
            pass


class Buildah:
    label = "buildah (layers, registry cache)"
    containers = None

    def __init__(self, registry: BenchRegistry, base: str, work: Path, client) -> None:
        self.registry, self.base, self.work = registry, base, work
        self.root: Path | None = None

    def cli(self) -> list[str]:
        return ["buildah", "--root", str(self.root / "root"), "--runroot", str(self.root / "run"),
                "--storage-driver", "vfs"]

    def fresh_runner(self, project: Project) -> None:
        self.cleanup(project)
        self.root = Path(tempfile.mkdtemp(prefix="buildah-", dir=self.work))
        run([*self.cli(), "pull", "--tls-verify=false", "-q", self.base])     # the base image, like the engine's

    def build(self, project: Project) -> float:
        image = f"{self.registry.address}/{project.name}/buildah:latest"
        cache = f"{self.registry.address}/{project.name}/buildah-cache"
        seconds = run([*self.cli(), "bud", "--isolation", "chroot", "--layers", "--tls-verify=false",
                       "--cache-from", cache, "--cache-to", cache, "--build-arg", f"BASE={self.base}",
                       "-f", str(DOCKERFILE), "-t", image, str(project.path)])
        return seconds + run([*self.cli(), "push", "--tls-verify=false", image])

    def cleanup(self, project: Project) -> None:
        if self.root is not None:
            subprocess.run(["buildah", "--root", str(self.root / "root"), "--runroot", str(self.root / "run"),
                            "--storage-driver", "vfs", "rm", "--all"], capture_output=True)
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


TOOLS = {"werf": WerfPrefect, "werf-containers": WerfPrefectContainers, "buildkit": BuildKit, "buildah": Buildah}


@dataclass
class Sample:
    seconds: float
    transfers: Transfers
    containers: int | None = None


def measure(tool, project: Project, registry: BenchRegistry) -> Sample:
    position = registry.position()
    seconds = tool.build(project)
    return Sample(seconds, registry.transfers(position), tool.containers)


def print_table(tools, samples) -> None:
    """Per phase and tool: median wall time, blob bytes by kind, build containers started."""
    width = max(len(t.label) for t in tools)
    columns = ("layers pulled", "layers pushed", "metadata pulled", "metadata pushed")
    print(f"| {'phase':<15} | {'tool':<{width}} | {'wall time':>9} | " + " | ".join(columns) + " | containers |")
    print(f"|{'-' * 17}|{'-' * (width + 2)}|{'-' * 11}|" + "|".join("-" * (len(c) + 2) for c in columns)
          + "|------------|")
    for phase in PHASES:
        for tool in tools:
            got = samples[(tool.label, phase)]
            cells = [human(statistics.median(getattr(s.transfers, c.replace(" ", "_")) for s in got)).rjust(len(c))
                     for c in columns]
            starts = [s.containers for s in got if s.containers is not None]
            started = f"{statistics.median(starts):.0f}" if starts else "-"
            print(f"| {phase:<15} | {tool.label:<{width}} | {statistics.median(s.seconds for s in got):>7.2f} s | "
                  + " | ".join(cells) + f" | {started:>10} |")



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tools", default="werf,buildkit,buildah")
    parser.add_argument("--payload-mb", type=int, default=0,
                        help="add an incompressible file of this size to src/ (a project with real weight)")
    args = parser.parse_args()
    print(ensure_bytecode())

    from scripts import devenv
    client = devenv.docker_client()
    devenv.ensure_busybox_image(client)
    registry = BenchRegistry()
    work = Path(tempfile.mkdtemp(prefix="werf-bench-distributed-"))
    base = f"{registry.address}/werf-prefect/busybox:latest"
    devenv.push_image(client, devenv.BUSYBOX_IMAGE, base)
    tools = [TOOLS[name](registry, base, work, client) for name in args.tools.split(",")]
    samples: dict[tuple[str, str], list[Sample]] = {}
    idle_build_only: list[float] = []
    projects: list[tuple[object, Project]] = []
    try:
        for n in range(args.runs):
            for tool in tools:
                project = Project(work, f"bench-{uuid.uuid4().hex[:8]}", args.payload_mb)
                projects.append((tool, project))
                for phase in PHASES:
                    if phase == "one-file change":
                        project.change_one_file()
                    tool.fresh_runner(project)
                    samples.setdefault((tool.label, phase), []).append(measure(tool, project, registry))
                if type(tool) is WerfPrefect:
                    tool.fresh_runner(project)
                    idle_build_only.append(tool.idle_build_only(project))
                tool.cleanup(project)
                print(f"run {n + 1}/{args.runs}: {tool.label} done", file=sys.stderr, flush=True)
        startup = statistics.median(run([WERF, "version"]) for _ in range(max(5, args.runs)))
    finally:
        for tool, project in projects:
            tool.cleanup(project)
        client.images.remove(base, noprune=True)
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)

    payload = f" with a {args.payload_mb} MB file added to src/" if args.payload_mb else ""
    print(f"examples/hello-app{payload}, fresh runner for every phase, median of {args.runs} runs; blob bytes seen "
          "by the registry (metadata = image configs and record images)\n")
    print_table(tools, samples)
    if idle_build_only:
        idle = statistics.median(idle_build_only)
        print(f"\nwerf-prefect `werf build`, idle, fresh runner: {idle:.2f} s; process start-up (`werf version`): "
              f"{startup:.2f} s; idle work on top of start-up: {idle - startup:.2f} s (requirement: under 2 s)")


if __name__ == "__main__":
    main()
