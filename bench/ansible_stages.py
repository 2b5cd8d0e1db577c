"""Benchmark: the ansible runtime's first build, its reuse check, and what an ansible stage costs per stage and task.

- first build: the full runtime (Debian's Python + ansible-core via pip + busybox + locale, pruned, bytecode, docker
  import), built under a throw-away version so the runtime real builds use is not touched, then removed;
- reuse check: `AnsibleRuntime.ensure()` when the runtime exists (median of 20);
- per stage: the same build runner (werf_core.builders.container.ContainerRunner, toolchain included) on busybox for a
  shell stage running `true`, an ansible stage with one `debug` task, and ansible stages with 10 tasks of one kind;
  medians of `--runs` builds, each including container create, run, commit and removal of the result.

    .venv/bin/python bench/ansible_stages.py [--runs 3] [--skip-first-build]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BASE_IMAGE = "werf-prefect/busybox:latest"


def first_build(client) -> tuple[float, int]:
    from werf_core.builders.ansible.runtime.image import AnsibleRuntime

    runtime = AnsibleRuntime(client, version=f"bench-{uuid.uuid4().hex[:8]}", remove_stale=False)
    started = time.monotonic()
    info = runtime.ensure()
    seconds = time.monotonic() - started
    client.api.remove_container(info.container, v=True, force=True)
    client.api.remove_image(info.image)
    return seconds, info.size_bytes or 0


def reuse_check(client) -> float:
    from werf_core.builders.ansible.runtime.image import AnsibleRuntime

    AnsibleRuntime(client).ensure()
    timings = []
    for _ in range(20):
        started = time.monotonic()
        AnsibleRuntime(client).ensure()
        timings.append(time.monotonic() - started)
    return statistics.median(timings)


def stage_seconds(client, runner, make_instructions, runs: int) -> float:
    timings = []
    for _ in range(runs):
        work = Path(tempfile.mkdtemp(prefix="werf-bench-ansible-"))
        try:
            started = time.monotonic()
            image = runner.build(BASE_IMAGE, make_instructions(work), stage="install")
            timings.append(time.monotonic() - started)
            client.api.remove_image(image)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-first-build", action="store_true")
    args = parser.parse_args()

    from scripts import devenv
    from werf_core.builders.ansible import AnsibleBuilder
    from werf_core.builders.container import ContainerRunner
    from werf_core.builders.shell import shell_instructions
    from werf_core.builders.toolchain import ensure_toolchain

    client = devenv.docker_client()
    devenv.ensure_busybox_image(client)
    rows = []
    if not args.skip_first_build:
        seconds, size = first_build(client)
        rows.append(("runtime: first build (pip, prune, bytecode, import)", f"{seconds:.1f} s", f"{size / 1e6:.1f} MB"))
    rows.append(("runtime: reuse check (ensure, existing)", f"{reuse_check(client) * 1000:.0f} ms", ""))

    runner = ContainerRunner(client, project=f"bench-{uuid.uuid4().hex[:6]}",
                             toolchain_container=ensure_toolchain(client))
    builder = AnsibleBuilder.for_engine(client)
    cases = [
        ("shell stage: `true`", lambda work: shell_instructions(["true"])),
        ("ansible stage: 1 debug task", lambda work: builder.instructions("install", [{"debug": {"msg": "hi"}}], work)),
        ("ansible stage: 10 shell tasks", lambda work: builder.instructions("install", [{"shell": "true"}] * 10, work)),
        ("ansible stage: 10 file tasks", lambda work: builder.instructions(
            "install", [{"file": {"path": f"/f{i}", "state": "touch"}} for i in range(10)], work)),
        ("ansible stage: 10 copy tasks", lambda work: builder.instructions(
            "install", [{"copy": {"content": f"{i}\n", "dest": f"/c{i}"}} for i in range(10)], work)),
    ]
    measured = {}
    for label, make in cases:
        measured[label] = stage_seconds(client, runner, make, args.runs)
        rows.append((label, f"{measured[label]:.2f} s", ""))
    shell = measured["shell stage: `true`"]
    one = measured["ansible stage: 1 debug task"]
    rows.append(("ansible overhead per stage (1 task - shell)", f"{one - shell:.2f} s", ""))
    for kind in ("shell", "file", "copy"):
        per_task = (measured[f"ansible stage: 10 {kind} tasks"] - one) / 9
        rows.append((f"per {kind} task (10 tasks vs 1)", f"{per_task:.2f} s", ""))

    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  {'time':>9}  {'size':>8}")
    for label, value, extra in rows:
        print(f"{label.ljust(width)}  {value:>9}  {extra:>8}")


if __name__ == "__main__":
    main()
