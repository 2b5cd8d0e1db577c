"""Benchmark: many runners, one project — do concurrent runners cooperate (build intents) or race?

N runners (default 6), each with its own --home-dir, build the same project at the same moment, commit after commit
(default 5 commits), against one registry stages storage with `kubernetes://` synchronization on the Kubernetes API
emulator (tests/support/kube_emulator.py). Before every round the project's images are removed from the Docker
engine, so each build is a fresh runner as far as the engine goes. The same commits are also built by a lone runner
(its own project and storage) for the baseline.

The project: two images with `sleep` in their shell stages (so stage builds cost real, measurable time on a small
machine); every commit changes a file the `setup` stage of both images depends on, so every round has new stages.

Printed (from the builds' JSON reports and the registry's tags):
- stage-seconds built vs discarded (a runner built a stage somebody else published first) — requirement ≤ 10 %;
- failed builds, digests published twice (requirement: 0 and 0);
- median build wall time of the concurrent runners vs the lone runner (requirement ≤ 1.5×).

BuildKit and buildah have no shared-storage coordination to compare with: each of their runners would build
everything itself; the lone-runner row is the reference.

    .venv/bin/python bench/many_runners.py [--runners 6] [--commits 5] [--sleep 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.distributed_build import BenchRegistry  # noqa: E402

WERF = str(Path(sys.executable).with_name("werf"))


def werf_yaml(project: str, base: str, sleep: float) -> str:
    images = []
    for name in ("api", "worker"):
        images.append(f"""
image: {name}
from: {base}
git:
- add: /src
  to: /app
  stageDependencies:
    setup: ["config.txt"]
shell:
  beforeInstall: ["sleep {sleep}", "echo {name} > /etc/role"]
  install: ["sleep {sleep}", "cp /app/VERSION /etc/version-at-install"]
  setup: ["sleep {sleep}", "cat /app/config.txt > /etc/config-{name}"]
""")
    return f"project: {project}\nconfigVersion: 1\n---" + "---".join(images)


class GitProject:
    def __init__(self, path: Path, project: str, base: str, sleep: float) -> None:
        self.path = path
        self.name = project
        (path / "src").mkdir(parents=True)
        (path / "werf.yaml").write_text(werf_yaml(project, base, sleep))
        (path / "src" / "VERSION").write_text("1\n")
        (path / "src" / "config.txt").write_text("round 0\n")
        self.git("init", "-q", "-b", "main")
        self.commit("initial")

    def git(self, *args: str) -> None:
        env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@werf.invalid",
               "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@werf.invalid", "GIT_CONFIG_NOSYSTEM": "1"}
        subprocess.run(["git", *args], cwd=self.path, env=env, check=True, capture_output=True)

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def next_commit(self, n: int) -> None:
        (self.path / "src" / "config.txt").write_text(f"round {n}\n")
        self.commit(f"round {n}")


@dataclass
class Build:
    seconds: float
    ok: bool
    stages: list[dict] = field(default_factory=list)
    error: str = ""
    conveyor_seconds: float = 0.0      # the build itself, without process start-up and opening the project


def run_build(project: GitProject, home: Path, stages: str, sync: str, report: Path) -> Build:
    env = {**os.environ, "DO_NOT_TRACK": "1"}
    env.pop("PREFECT_API_URL", None)
    args = [WERF, "build", "--dir", str(project.path), "--home-dir", str(home), "--stages-storage", stages,
            "--synchronization", sync, "--report-path", str(report), "--log-format", "json"]
    started = time.monotonic()
    done = subprocess.run(args, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        return Build(seconds, False, error=done.stderr[-2000:])
    data = json.loads(report.read_text())
    stages = [s for image in data["images"].values() for s in image["stages"]]
    return Build(seconds, True, stages, conveyor_seconds=float(data.get("seconds") or 0.0))


def forget_images(client, project: str) -> None:
    """Remove the project's images from the engine, children first; images that vanish meanwhile (other processes
    cleaning up) are fine — the low-level listing avoids the SDK's per-image inspect, which fails on those."""
    import docker.errors
    for _ in range(20):
        images = client.api.images(filters={"label": f"werf={project}"}, all=True)
        if not images:
            return
        for image in images:
            try:
                client.api.remove_image(image["Id"], force=True)
            except docker.errors.APIError:
                pass


def stage_seconds(builds: list[Build], status: str) -> float:
    return sum(s["seconds"] for b in builds for s in b.stages if s["status"] == status)


def published_twice(registry: BenchRegistry, repository: str) -> int:
    import httpx
    tags = httpx.get(f"http://{registry.address}/v2/{repository}/tags/list", timeout=30).json().get("tags") or []
    per_digest = Counter(t.rsplit("-", 1)[0] for t in tags if t.rsplit("-", 1)[-1].isdigit() and "-" in t)
    return sum(1 for n in per_digest.values() if n > 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runners", type=int, default=6)
    parser.add_argument("--commits", type=int, default=5)
    parser.add_argument("--sleep", type=float, default=2.0, help="seconds each shell stage sleeps")
    args = parser.parse_args()

    from scripts import devenv
    from tests.support.kube_emulator import KubeEmulator
    client = devenv.docker_client()
    devenv.ensure_busybox_image(client)
    registry = BenchRegistry()
    work = Path(tempfile.mkdtemp(prefix="werf-bench-many-runners-"))
    base = f"{registry.address}/werf-prefect/busybox:latest"
    devenv.push_image(client, devenv.BUSYBOX_IMAGE, base)
    emulator = KubeEmulator().start()
    kubeconfig = emulator.write_kubeconfig(work / "kubeconfig")
    sync = f"kubernetes://werf-synchronization@{kubeconfig}"
    suffix = uuid.uuid4().hex[:8]
    shared = GitProject(work / "shared", f"many-{suffix}", base, args.sleep)
    lone = GitProject(work / "lone", f"lone-{suffix}", base, args.sleep)
    shared_stages = f"{registry.address}/{shared.name}/stages"
    lone_stages = f"{registry.address}/{lone.name}/stages"
    homes = [work / f"home-{n}" for n in range(args.runners)]
    concurrent: list[Build] = []
    alone: list[Build] = []
    try:
        for round_ in range(args.commits):
            if round_:
                shared.next_commit(round_)
                lone.next_commit(round_)
            forget_images(client, lone.name)
            alone.append(run_build(lone, work / "home-lone", lone_stages, sync, work / f"lone-{round_}.json"))
            forget_images(client, shared.name)
            with ThreadPoolExecutor(max_workers=args.runners) as pool:
                builds = list(pool.map(
                    lambda n, round_=round_: run_build(shared, homes[n], shared_stages, sync,
                                                       work / f"r{n}-{round_}.json"),
                    range(args.runners)))
            concurrent.extend(builds)
            print(f"commit {round_ + 1}/{args.commits}: lone {alone[-1].seconds:.1f} s, concurrent "
                  f"{', '.join(f'{b.seconds:.1f}' for b in builds)} s", file=sys.stderr, flush=True)
        twice = published_twice(registry, f"{shared.name}/stages")
        lone_twice = published_twice(registry, f"{lone.name}/stages")
    finally:
        forget_images(client, shared.name)
        forget_images(client, lone.name)
        emulator.stop()
        client.images.remove(base, noprune=True)
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)

    failed = [b for b in concurrent + alone if not b.ok]
    for build in failed[:3]:
        print(f"failed build ({build.seconds:.1f} s):\n{build.error}\n", file=sys.stderr)
    built, discarded = stage_seconds(concurrent, "built"), stage_seconds(concurrent, "discarded")
    counts = Counter(s["status"] for b in concurrent for s in b.stages)
    median_concurrent = statistics.median(b.seconds for b in concurrent)
    median_alone = statistics.median(b.seconds for b in alone)
    share = discarded / (built + discarded) if built + discarded else 0.0
    print(f"{args.runners} concurrent runners × {args.commits} commits, 2 images × 3 shell stages sleeping "
          f"{args.sleep:g} s, registry stages storage, kubernetes:// on the API emulator\n")
    print("| measure                                   | value      | requirement |")
    print("|-------------------------------------------|------------|-------------|")
    print(f"| builds (failed)                           | {len(concurrent):>4} ({len(failed)})   | 0 failed    |")
    print(f"| stages built / discarded / reused         | {counts['built']:>3} / {counts['discarded']} / "
          f"{counts['reused']:<3}|             |")
    print(f"| stage-seconds built                       | {built:>8.1f} s |             |")
    print(f"| stage-seconds discarded                   | {discarded:>8.1f} s |             |")
    print(f"| discarded share of stage-seconds          | {share * 100:>8.1f} % | ≤ 10 %      |")
    print(f"| digests published twice (lone runner)    | {twice:>4} ({lone_twice})   | 0           |")
    print(f"| median build, lone runner                 | {median_alone:>8.2f} s |             |")
    print(f"| median build, concurrent runners          | {median_concurrent:>8.2f} s |             |")
    print(f"| concurrent / lone                         | {median_concurrent / median_alone:>8.2f} × | ≤ 1.5 ×     |")
    conveyor_concurrent = statistics.median(b.conveyor_seconds for b in concurrent)
    conveyor_alone = statistics.median(b.conveyor_seconds for b in alone)
    print(f"| median conveyor time (no start-up), lone  | {conveyor_alone:>8.2f} s |             |")
    print(f"| median conveyor time, concurrent runners  | {conveyor_concurrent:>8.2f} s |             |")
    print(f"| concurrent / lone (conveyor time)         | {conveyor_concurrent / conveyor_alone:>8.2f} × |             |")


if __name__ == "__main__":
    main()
