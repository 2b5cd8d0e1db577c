"""Benchmark: does the `kubernetes://` stages-storage cache scale with a project's history?

A 20-image project is built once (registry stages storage, `kubernetes://` on the Kubernetes API emulator). Then a
fresh runner (new --home-dir, the project's images removed from the engine) runs an idle `werf build`, first with a
cache holding only the project's own digests, then after 20,000 other digests (with descriptions, as builds write
them) were added to the cache. Printed: median wall time and CPU time (the werf process and its children), the
Kubernetes requests and the registry requests of one idle build, and the process start-up (`werf version`). Requirement: with 20,000 digests within 10 % of the time with an empty cache, and no registry request.

(Before the sharded cache, the issue measured 3.7 s → 6.9 s for this idle build near the old 512 KiB budget.)

    .venv/bin/python bench/cache_scale.py [--images 20] [--digests 20000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
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

from bench.distributed_build import BenchRegistry  # noqa: E402
from bench.many_runners import forget_images  # noqa: E402

WERF = str(Path(sys.executable).with_name("werf"))


def werf_yaml(project: str, base: str, images: int) -> str:
    parts = [f"project: {project}\nconfigVersion: 1\n"]
    for n in range(images):
        parts.append(f"""image: image-{n}
from: {base}
git:
- add: /src
  to: /app
shell:
  install: ["echo {n} > /etc/image-number"]
docker:
  ENV: {{IMAGE: "{n}"}}
""")
    return "---\n".join(parts)


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build(project_dir: Path, home: Path, stages: str, sync: str) -> float:
    return timed_build(project_dir, home, stages, sync)[0]


def timed_build(project_dir: Path, home: Path, stages: str, sync: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the werf process and its children): on a shared machine CPU is the steadier
    number."""
    env = {**os.environ, "DO_NOT_TRACK": "1"}
    env.pop("PREFECT_API_URL", None)
    cpu_before, started = cpu_of_children(), time.monotonic()
    done = subprocess.run([WERF, "build", "--dir", str(project_dir), "--home-dir", str(home), "--stages-storage",
                           stages, "--synchronization", sync], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"werf build failed:\n{done.stderr[-3000:]}")
    return time.monotonic() - started, cpu_of_children() - cpu_before


def startup() -> tuple[float, float]:
    """`werf version`: the process start-up every command pays."""
    cpu_before, started = cpu_of_children(), time.monotonic()
    subprocess.run([WERF, "version"], capture_output=True, check=True)
    return time.monotonic() - started, cpu_of_children() - cpu_before


def fill_cache(kubeconfig: Path, namespace: str, project: str, stages: str, digests: int) -> int:
    """`digests` other digests spread over the shards, one stage each with a description — as builds store them."""
    from werf_core.storage.base import StageDescription
    from werf_core.storage.stage_id import StageID
    from werf_core.sync.kube_api import KubeApi, KubeConfigSource
    from werf_core.sync.kube_stages_cache import all_shards, shard_config_map_name, shard_of
    from werf_core.sync.stages_cache import CacheEntry
    api = KubeApi.connect(KubeConfigSource(config_path=str(kubeconfig)))
    by_shard: dict[str, dict[str, str]] = {shard: {} for shard in all_shards()}
    for n in range(digests):
        digest = secrets.token_hex(28)
        stage = StageID(digest, 1700000000000 + n)
        description = StageDescription(stage, f"{stages}:{stage.tag}", "sha256:" + secrets.token_hex(32),
                                       {"werf": project, "werf-stage-signature": digest,
                                        "werf-version": "bench", "werf-cache-version": "1"}, 1_000_000, 1.7e9)
        by_shard[shard_of(digest)][digest] = CacheEntry.of([description]).serialize()
    total = 0
    for shard, data in by_shard.items():
        def mutate(obj: dict, data: dict = data) -> bool:
            obj["data"] = {**data, **(obj.get("data") or {})}
            return True
        written = api.update_config_map(namespace, shard_config_map_name(project, shard), mutate)
        total += sum(len(k) + len(v) for k, v in (written.get("data") or {}).items())
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--digests", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from scripts import devenv
    from tests.support.kube_emulator import KubeEmulator
    client = devenv.docker_client()
    devenv.ensure_busybox_image(client)
    registry = BenchRegistry()
    work = Path(tempfile.mkdtemp(prefix="werf-bench-cache-scale-"))
    base = f"{registry.address}/werf-prefect/busybox:latest"
    devenv.push_image(client, devenv.BUSYBOX_IMAGE, base)
    emulator = KubeEmulator().start()
    namespace = "werf-synchronization"
    kubeconfig = emulator.write_kubeconfig(work / "kubeconfig")
    sync = f"kubernetes://{namespace}@{kubeconfig}"
    project = f"scale-{uuid.uuid4().hex[:8]}"
    project_dir = work / "project"
    (project_dir / "src").mkdir(parents=True)
    (project_dir / "werf.yaml").write_text(werf_yaml(project, base, args.images))
    (project_dir / "src" / "VERSION").write_text("1\n")
    git_env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@werf.invalid", "GIT_COMMITTER_NAME": "b",
               "GIT_COMMITTER_EMAIL": "b@werf.invalid", "GIT_CONFIG_NOSYSTEM": "1"}
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "init"]):
        subprocess.run(["git", *command], cwd=project_dir, env=git_env, check=True, capture_output=True)
    stages = f"{registry.address}/{project}/stages"
    rows = []
    try:
        build(project_dir, work / "home-cold", stages, sync)
        for label, extra in (("project's digests only", 0), (f"+ {args.digests:,} other digests", args.digests)):
            size = fill_cache(kubeconfig, namespace, project, stages, extra) if extra else None
            seconds, cpu, kube, registry_requests = [], [], [], []
            for run in range(args.runs):
                forget_images(client, project)
                kube_before, log_before = len(emulator.requests), registry.position()
                wall, used = timed_build(project_dir, work / f"home-{label[:3]}-{run}", stages, sync)
                seconds.append(wall)
                cpu.append(used)
                kube.append(len(emulator.requests) - kube_before)
                with open(registry.directory / "registry.log", "rb") as f:
                    f.seek(log_before)
                    registry_requests.append(sum(1 for line in f if b"HTTP/1" in line))
            rows.append((label, size, statistics.median(seconds), statistics.median(cpu), statistics.median(kube),
                         statistics.median(registry_requests)))
        started = [startup() for _ in range(args.runs)]
        start_wall, start_cpu = statistics.median(s[0] for s in started), statistics.median(s[1] for s in started)
    finally:
        forget_images(client, project)
        emulator.stop()
        client.images.remove(base, noprune=True)
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)

    print(f"fresh-runner idle `werf build` of {args.images} images, kubernetes:// on the API emulator, registry "
          f"stages storage; median of {args.runs} runs\n")
    print("| cache holds                  | cache size | wall time | CPU time | Kubernetes requests | registry requests |")
    print("|------------------------------|------------|-----------|----------|---------------------|-------------------|")
    for label, size, seconds, used, kube, registry_requests in rows:
        shown = f"{size / 1e6:.1f} MB" if size else "-"
        print(f"| {label:<28} | {shown:>10} | {seconds:>7.2f} s | {used:>6.2f} s | {kube:>19.0f} | "
              f"{registry_requests:>17.0f} |")
    print(f"| process start-up (`werf version`) |       | {start_wall:>7.2f} s | {start_cpu:>6.2f} s |"
          f"                     |                   |")
    empty, full = rows[0][2], rows[1][2]
    print(f"\nwith {args.digests:,} other digests: {full / empty:.2f}× the time ({rows[1][3] / rows[0][3]:.2f}× the "
          f"CPU) with the project's digests only (requirement ≤ 1.10×)")


if __name__ == "__main__":
    main()
