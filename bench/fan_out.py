"""A fanned-out build on 1 worker vs 3 workers: the makespan of a generated 12-image project.

Each image spends ~`--seconds` in a shell stage (`sleep`). Registry stages storage (a throw-away registry),
`kubernetes://` synchronization (the API emulator), a throw-away Prefect server, process workers each with their
own WERF_HOME (as if on machines of their own). A fresh project per run, so every run builds every image.

    .venv/bin/python bench/fan_out.py [--images 12] [--seconds 3] [--runs 1]

Prints the makespans side by side, and checks that every stage was published once.
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
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@werf.invalid", "GIT_COMMITTER_NAME": "bench",
           "GIT_COMMITTER_EMAIL": "bench@werf.invalid"}


def make_project(directory: Path, project: str, base: str, images: int, seconds: float) -> None:
    documents = [f"project: {project}\nconfigVersion: 1\n"]
    for n in range(images):
        documents.append(f"image: image-{n:02d}\nfrom: {base}\nshell:\n  install:\n"
                         f"  - sleep {seconds}; echo {n} > /built\n")
    directory.mkdir(parents=True)
    (directory / "werf.yaml").write_text("---\n".join(documents))
    env = {**os.environ, **GIT_ENV}
    for command in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"], ["git", "commit", "-qm", "bench"]):
        subprocess.run(command, cwd=directory, env=env, check=True)


def deploy(env: dict[str, str], pool: str) -> None:
    prefect = Path(sys.executable).with_name("prefect")
    for command in ([str(prefect), "work-pool", "create", pool, "--type", "process", "--overwrite"],
                    [str(prefect), "--no-prompt", "deploy", "--all", "--prefect-file", "deployments/prefect.yaml"]):
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()

    from tests.support.kube_emulator import KubeEmulator
    from tests.support.prefect_server import PrefectServer, ProcessWorker
    from tests.support.registry import remove_registry, start_throwaway_registry

    work = Path(tempfile.mkdtemp(prefix="werf-prefect-bench-fan-out-"))
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    print("starting a registry, the Kubernetes API emulator and a Prefect server ...", file=sys.stderr)
    registry = start_throwaway_registry()
    emulator = KubeEmulator().start()
    server = PrefectServer(work / "prefect").start()
    os.environ.update(server.client_environment())
    os.environ["WERF_HOME"] = str(work / "parent-home")
    kubeconfig = emulator.write_kubeconfig(work / "kubeconfig")
    env = {**os.environ, "WERF_PREFECT_ROOT": str(ROOT), "WERF_PREFECT_REBUILD_REPOSITORY": "/nonexistent",
           "WERF_PREFECT_REBUILD_REF": "main", "WERF_PREFECT_IMAGES_REPO": registry.repo("unused")}
    deploy(env, "werf-builders")
    from scripts import devenv
    client = devenv.docker_client()
    devenv.ensure_busybox_image(client)
    base = registry.repo(devenv.BUSYBOX_IMAGE)
    devenv.push_image(client, devenv.BUSYBOX_IMAGE, base)
    from flows.build import build

    results: dict[int, list[float]] = {1: [], 3: []}
    published_twice = 0
    try:
        for workers_count in (1, 3):
            for run in range(args.runs):
                workers = [ProcessWorker("werf-builders",
                                         {**env, "WERF_HOME": str(work / f"w{workers_count}-{run}-{n}")},
                                         work / f"worker-{workers_count}-{run}-{n}.log", limit=1).start()
                           for n in range(workers_count)]
                try:
                    time.sleep(3)                              # workers polling the pool
                    project = f"bench-fan-{uuid.uuid4().hex[:8]}"
                    repository = work / project
                    make_project(repository, project, base, args.images, args.seconds)
                    started = time.monotonic()
                    state = build(repository=str(repository), ref="main", project_name=project,
                                  stages_storage=registry.repo(f"{project}/stages"),
                                  synchronization=f"kubernetes://werf-sync@{kubeconfig}", fan_out=True,
                                  return_state=True)
                    elapsed = time.monotonic() - started
                    if not state.is_completed():
                        print(f"run failed: {state.message}", file=sys.stderr)
                        for worker in workers:
                            print(worker.log_tail(), file=sys.stderr)
                        return 1
                    results[workers_count].append(elapsed)
                    digests = [t.rsplit("-", 1)[0] for t in registry.tags(f"{project}/stages") if len(t) > 60]
                    published_twice += sum(1 for count in Counter(digests).values() if count > 1)
                finally:
                    for worker in workers:
                        worker.stop()
    finally:
        server.stop()
        emulator.stop()
        remove_registry(registry)
        shutil.rmtree(work, ignore_errors=True)

    one, three = statistics.median(results[1]), statistics.median(results[3])
    print(f"\n{args.images} images, each ~{args.seconds:.0f} s in a shell stage; registry stages, kubernetes:// "
          f"sync (emulator); median of {args.runs} run(s)\n")
    print("| workers | makespan (s) | vs 1 worker |")
    print("|---:|---:|---:|")
    print(f"| 1 | {one:.1f} | 1.00× |")
    print(f"| 3 | {three:.1f} | {three / one:.2f}× |")
    print(f"\nstages published more than once: {published_twice}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
