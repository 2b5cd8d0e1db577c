"""A fanned-out build on 1 worker vs 3 workers: the makespan of a generated 12-image project.

Each image spends ~`--seconds` in a shell stage (`sleep`). Registry stages storage (a throw-away registry),
`kubernetes://` synchronization (the API emulator), a throw-away Prefect server, process workers each with their
own WERF_HOME (as if on machines of their own). A fresh project per run, so every run builds every image.

Every worker, in both columns, takes one flow run at a time (`prefect worker start --limit 1`): "1 worker" is one
such machine, "3 workers" three. Workers poll the pool every second (`PREFECT_WORKER_QUERY_SECONDS=1`,
`PREFECT_WORKER_PREFETCH_SECONDS=2`: the settings deployments/README recommends for fan-out pools). Besides the
makespan the table shows, per image run, the median time from its submission to its engine running it, its
running time, the CPU seconds its engine used (the children of the workers' engine fork servers and the workers'
own children, the launchers; from /proc) and the CPU seconds of the worker processes themselves.

Workers and the parent run with the settings deployments/README recommends for fan-out: the `fan-out-image`
deployment's engine fork server, and `PREFECT_API_SSL_CERT_FILE` set to the API's CA alone (here, an http API: a
throw-away certificate) instead of certifi's bundle, which every Prefect client of a run would load again; logs
sent to the API every 2 s (Prefect's default).

Side by side, the same 12 images as one Dockerfile (12 independent stages and a final stage taking a file from
each) built on this one machine's engine by BuildKit (independent stages run concurrently) and by buildah
(`bud --isolation chroot --layers --storage-driver vfs`, stages one after another); neither pushes anything.

    .venv/bin/python bench/fan_out.py [--images 12] [--seconds 3] [--runs 1] [--tools werf,buildkit,buildah]

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


WORKER_LIMIT = 1          # flow runs a worker takes at once, the same in both columns


def dockerfile(base: str, images: int, seconds: float) -> str:
    """The same images for the one-machine builders: independent stages, and a final one that needs them all."""
    stages = [f"FROM {base} AS image-{n:02d}\nRUN sleep {seconds}; echo {n} > /built\n" for n in range(images)]
    final = f"FROM {base}\n" + "".join(f"COPY --from=image-{n:02d} /built /built-{n:02d}\n" for n in range(images))
    return "".join(stages) + final


def time_buildkit(directory: Path) -> float:
    started = time.monotonic()
    built = subprocess.run(["/usr/bin/docker", "build", "--no-cache", "--network=none", "-q", str(directory)],
                           env={**os.environ, "DOCKER_BUILDKIT": "1"}, check=True, capture_output=True, text=True)
    seconds = time.monotonic() - started
    subprocess.run(["/usr/bin/docker", "rmi", built.stdout.strip()], capture_output=True)   # ours, untagged
    return seconds


def time_buildah(directory: Path, base: str) -> float:
    root = directory / "buildah"
    cli = ["buildah", "--root", str(root / "root"), "--runroot", str(root / "run"), "--storage-driver", "vfs"]
    subprocess.run([*cli, "pull", "--tls-verify=false", "-q", base], check=True, capture_output=True)
    started = time.monotonic()   # the base image is already there, as in the engine
    subprocess.run([*cli, "bud", "--isolation", "chroot", "--layers", "--tls-verify=false", "-q", str(directory)],
                   check=True, capture_output=True)
    seconds = time.monotonic() - started
    subprocess.run(["buildah", "unshare", "rm", "-rf", str(root)], capture_output=True)
    shutil.rmtree(root, ignore_errors=True)
    return seconds


def engine_cpu_seconds(pid: int) -> tuple[float, float]:
    """(own, reaped children's) CPU seconds of a process: a worker's children are its flow runs' engines."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick


def child_timings(project: str) -> tuple[list[float], list[float]]:
    """Per image run: seconds from its creation to Running, and its running time."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(like_=f"image-{project}-")))
    waits = [(r.start_time - r.created).total_seconds() for r in runs if r.start_time and r.created]
    running = [(r.end_time - r.start_time).total_seconds() for r in runs if r.start_time and r.end_time]
    return waits, running


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--tools", default="werf,buildkit,buildah")
    args = parser.parse_args()
    tools = set(args.tools.split(","))

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
    from tests.support.git_http_server import self_signed_certificate
    (work / "api-ca").mkdir()
    os.environ["PREFECT_API_SSL_CERT_FILE"] = str(self_signed_certificate(work / "api-ca")[0])
    # Prefect's default (the test fixtures' 0.5 s shows logs sooner but costs the API server ~0.4 s CPU per image run)
    os.environ["PREFECT_LOGGING_TO_API_BATCH_INTERVAL"] = "2"
    env = {**os.environ, "WERF_PREFECT_ROOT": str(ROOT), "WERF_PREFECT_REBUILD_REPOSITORY": "/nonexistent",
           "WERF_PREFECT_REBUILD_REF": "main", "WERF_PREFECT_IMAGES_REPO": registry.repo("unused")}
    deploy(env, "werf-builders")
    from scripts import devenv
    client = devenv.docker_client()
    devenv.ensure_busybox_image(client)
    base = registry.repo(devenv.BUSYBOX_IMAGE)
    devenv.push_image(client, devenv.BUSYBOX_IMAGE, base)
    from flows.build import build

    results: dict[str, list[float]] = {}
    details: dict[int, dict[str, list[float]]] = {}
    published_twice = 0
    try:
        for workers_count in (1, 3) if "werf" in tools else ():
            for run in range(args.runs):
                engines_dir = work / f"engines-{workers_count}-{run}"
                engines_dir.mkdir(mode=0o700)
                workers = [ProcessWorker("werf-builders",
                                         {**env, "WERF_HOME": str(work / f"w{workers_count}-{run}-{n}"),
                                          "WERF_PREFECT_ENGINE_SERVER_DIR": str(engines_dir)},
                                         work / f"worker-{workers_count}-{run}-{n}.log", limit=WORKER_LIMIT).start()
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
                    results.setdefault(f"werf-prefect, {workers_count}", []).append(elapsed)
                    workers_cpu = [engine_cpu_seconds(w.process.pid) for w in workers if w.process is not None]
                    servers_cpu = [engine_cpu_seconds(int(p.read_text())) for p in engines_dir.glob("*.pid")]
                    engines = sum(c[1] for c in workers_cpu + servers_cpu)
                    waits, running = child_timings(project)
                    found = details.setdefault(workers_count, {"wait": [], "running": [], "cpu": [], "worker": []})
                    found["worker"].append(sum(c[0] for c in workers_cpu) / args.images)
                    found["wait"] += waits
                    found["running"] += running
                    found["cpu"].append(engines / args.images)
                    digests = [t.rsplit("-", 1)[0] for t in registry.tags(f"{project}/stages") if len(t) > 60]
                    published_twice += sum(1 for count in Counter(digests).values() if count > 1)
                finally:
                    for worker in workers:
                        worker.stop()
        for tool in ("buildkit", "buildah"):
            if tool not in tools:
                continue
            for run in range(args.runs):
                directory = work / f"{tool}-{run}"
                directory.mkdir()
                (directory / "Dockerfile").write_text(dockerfile(base, args.images, args.seconds))
                seconds = time_buildkit(directory) if tool == "buildkit" else time_buildah(directory, base)
                results.setdefault(tool, []).append(seconds)
    finally:
        server.stop()
        emulator.stop()
        remove_registry(registry)
        shutil.rmtree(work, ignore_errors=True)

    print(f"\n{args.images} images, each ~{args.seconds:g} s in a shell stage; median of {args.runs} run(s); "
          f"load average before: {LOAD_BEFORE}, after: {os.getloadavg()[0]:.2f} (2 cores shared)\n")
    one = statistics.median(results["werf-prefect, 1"]) if "werf-prefect, 1" in results else None
    print("| builder | machines | makespan (s) | vs 1 worker | image run: submitted→running (s) | running (s) "
          "| engine CPU per image (s) | worker CPU per image (s) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for workers_count in (1, 3):
        key = f"werf-prefect, {workers_count}"
        if key not in results:
            continue
        found, makespan = details[workers_count], statistics.median(results[key])
        print(f"| werf-prefect fan-out (registry stages, kubernetes:// sync), workers of limit {WORKER_LIMIT} "
              f"| {workers_count} | {makespan:.1f} | {makespan / one:.2f}× | "
              f"{statistics.median(found['wait']):.1f} | {statistics.median(found['running']):.1f} | "
              f"{statistics.median(found['cpu']):.1f} | {statistics.median(found['worker']):.2f} |")
    labels = {"buildkit": "BuildKit, one Dockerfile (stages concurrently), no push",
              "buildah": "buildah bud --layers, one Dockerfile (stages in turn), no push"}
    for tool, label in labels.items():
        if tool in results:
            print(f"| {label} | 1 | {statistics.median(results[tool]):.1f} | - | - | - | - | - |")
    if "werf" in tools:
        print(f"\nstages published more than once: {published_twice}")
    return 0


LOAD_BEFORE = f"{os.getloadavg()[0]:.2f}"

if __name__ == "__main__":
    sys.exit(main())
