"""Kubernetes synchronization when a runner dies while publishing (`kill -9` of the lock holder).

Runner A is frozen by the test hook right after it took the lock of its first stage (it holds the stage's build
intent too); runner B waits for it. A is killed: nobody renews its leases, B takes over once they expire (TTL 10 s)
and finishes. The stages storage ends with one stage per digest, and the ConfigMap cache lists every digest.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.support.kube_emulator import KubeEmulator
from tests.support.project import make_project, werf_env

pytestmark = [pytest.mark.docker, pytest.mark.registry, pytest.mark.slow]

WERF = str(Path(sys.executable).with_name("werf"))


def config(project: str, base: str) -> str:
    return f"""
    project: {project}
    configVersion: 1
    ---
    image: app
    from: {base}
    git:
    - add: /
      to: /app
    shell:
      install: [echo installed > /installed]
    docker:
      CMD: ["cat", "/installed"]
    """


def lease_annotations(emulator: KubeEmulator, project: str) -> dict:
    cm = emulator.config_map("werf-synchronization", f"werf-{project}") or {}
    return {k: v for k, v in (cm.get("metadata", {}).get("annotations") or {}).items()
            if k.startswith("lockgate.io/")}


def cached_digests(emulator: KubeEmulator, project: str) -> dict[str, list]:
    """Every entry of the project's sharded stages-storage cache."""
    from werf_core.sync.kube_stages_cache import all_shards, shard_config_map_name
    entries = {}
    for shard in all_shards():
        cm = emulator.config_map("werf-synchronization", shard_config_map_name(project, shard)) or {}
        for digest, value in (cm.get("data") or {}).items():
            entries[digest] = json.loads(value)["stages"]
    return entries


class StderrTail:
    """Reads a process's stderr as it comes, so a test can wait for a line before acting (under load, a fixed sleep
    is either too short or wastes time)."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()

    def wait_for(self, *needles: str, timeout: float = 120) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not any(n in line for line in self.lines for n in needles):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.proc.poll() is not None and not self._thread.is_alive()):
                    return False
                self._changed.wait(min(remaining, 0.5))
            return True

    def text(self, timeout: float = 300) -> str:
        self.proc.wait(timeout)
        self._thread.join(10)
        return "".join(self.lines)


def stage_done_times(stderr: str) -> dict[str, float]:
    times = {}
    for line in stderr.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "stage_done":
            times[event["name"]] = event["time"]
    return times


def test_killed_lock_holder_is_taken_over_within_15_seconds(git_repo, registry, registry_busybox, project_name,
                                                             tmp_path):
    make_project(git_repo, config(project_name, registry_busybox), {"hello.txt": "hi\n"})
    stages = registry.repo(f"{project_name}/stages")
    with KubeEmulator() as emulator:
        kubeconfig = emulator.write_kubeconfig(tmp_path / "kubeconfig")
        args = [WERF, "build", "--dir", str(git_repo.path), "--stages-storage", stages,
                "--synchronization", f"kubernetes://werf-synchronization@{kubeconfig}", "--log-format", "json"]
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        holder = subprocess.Popen(args, env=werf_env(tmp_path / "a", WERF_TEST_SLEEP_SECONDS_BEFORE_STAGE_SAVE="300"),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not lease_annotations(emulator, project_name):
            assert holder.poll() is None, holder.communicate()
            time.sleep(0.2)
        assert lease_annotations(emulator, project_name), "runner A never took a stage lock"

        waiter = subprocess.Popen(args + ["--report-path", str(tmp_path / "b.json")], env=werf_env(tmp_path / "b"),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        tail = StderrTail(waiter)
        # B waits for A's build intent (or, had it built the stage itself, for A's publication lock)
        assert tail.wait_for("waiting for another runner", "Waiting for locked"), "".join(tail.lines)
        os.kill(holder.pid, signal.SIGKILL)
        killed_at = time.time()
        holder.wait(10)
        err = tail.text()
        assert waiter.returncode == 0, err
        done = stage_done_times(err)
        assert done["from"] - killed_at < 15, f"B published {done['from'] - killed_at:.1f}s after the kill"

        report = json.loads((tmp_path / "b.json").read_text())
        digests = [s["digest"] for s in report["images"]["app"]["stages"]]
        assert set(digests) <= set(cached_digests(emulator, project_name))

    per_digest = Counter(t.rsplit("-", 1)[0] for t in registry.tags(f"{project_name}/stages")
                         if t.rsplit("-", 1)[-1].isdigit())
    assert set(per_digest) == set(digests) and set(per_digest.values()) == {1}, per_digest
