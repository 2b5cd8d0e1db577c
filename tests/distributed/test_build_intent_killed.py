"""Build intents across real builds (`werf build`, registry stages storage, `kubernetes://` on the API emulator).

Runner A announces its first stage and is frozen there by a test hook (as if its build took forever); runner B
reaches the same stage, says that it waits for another runner, and builds nothing. A is killed with -9: nobody
renews its intent, B takes it over once the lease expires (TTL 10 s) and the build succeeds, with one stage per
digest in the storage.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter

import pytest

from tests.distributed.test_lock_holder_killed import WERF, StderrTail, cached_digests, config, stage_done_times
from tests.support.kube_emulator import KubeEmulator
from tests.support.project import make_project, werf_env

pytestmark = [pytest.mark.docker, pytest.mark.registry, pytest.mark.slow]

TTL = 10.0


def intent_annotations(emulator: KubeEmulator, project: str) -> dict:
    found = {}
    for shard in range(16):
        cm = emulator.config_map("werf-synchronization", f"werf-{project}-intents-{shard:x}") or {}
        found.update({k: v for k, v in (cm.get("metadata", {}).get("annotations") or {}).items()
                      if k.startswith("lockgate.io/")})
    return found


def test_a_runner_killed_while_holding_a_build_intent_is_replaced_within_the_lease_ttl(
        git_repo, registry, registry_busybox, project_name, tmp_path):
    make_project(git_repo, config(project_name, registry_busybox), {"hello.txt": "hi\n"})
    stages = registry.repo(f"{project_name}/stages")
    with KubeEmulator() as emulator:
        kubeconfig = emulator.write_kubeconfig(tmp_path / "kubeconfig")
        args = [WERF, "build", "--dir", str(git_repo.path), "--stages-storage", stages,
                "--synchronization", f"kubernetes://werf-synchronization@{kubeconfig}", "--log-format", "json"]
        (tmp_path / "a").mkdir()
        (tmp_path / "b").mkdir()
        holder = subprocess.Popen(args, env=werf_env(tmp_path / "a", WERF_TEST_SLEEP_SECONDS_AFTER_BUILD_INTENT="300"),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not intent_annotations(emulator, project_name):
            assert holder.poll() is None, holder.communicate()
            time.sleep(0.2)
        records = intent_annotations(emulator, project_name)
        assert records, "runner A never announced a build"
        assert all(json.loads(r)["lockName"].startswith("stage-intent/") for r in records.values())

        waiter = subprocess.Popen(args + ["--report-path", str(tmp_path / "b.json")], env=werf_env(tmp_path / "b"),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        tail = StderrTail(waiter)
        assert tail.wait_for("waiting for another runner"), "".join(tail.lines)
        os.kill(holder.pid, signal.SIGKILL)
        killed_at = time.time()
        holder.wait(10)
        err = tail.text()
        assert waiter.returncode == 0, err
        events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
        waits = [e["message"] for e in events if e.get("event") == "info" and "waiting for another runner" in e["message"]]
        assert waits and "app/from" in waits[0] and "stage-intent/" in waits[0], waits
        # B took the intent over once A's lease expired, then built and published the stage itself
        takeovers = [e["time"] for e in events if e.get("event") == "info" and "gave up" in e["message"]
                     and "app/from" in e["message"]]
        assert takeovers and 0 < takeovers[0] - killed_at <= TTL + 4, \
            f"B took over {takeovers[0] - killed_at:.1f}s after the kill" if takeovers else err
        assert stage_done_times(err)["from"] > takeovers[0]

        report = json.loads((tmp_path / "b.json").read_text())
        statuses = {s["name"]: s["status"] for s in report["images"]["app"]["stages"]}
        assert set(statuses.values()) == {"built"}, statuses
        digests = [s["digest"] for s in report["images"]["app"]["stages"]]
        assert set(digests) <= set(cached_digests(emulator, project_name))

    per_digest = Counter(t.rsplit("-", 1)[0] for t in registry.tags(f"{project_name}/stages")
                         if t.rsplit("-", 1)[-1].isdigit())
    assert set(per_digest) == set(digests) and set(per_digest.values()) == {1}, per_digest
