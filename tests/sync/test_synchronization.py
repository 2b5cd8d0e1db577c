"""open_synchronization: what each address gives the builder, defaults, warnings and kubeconfig handling."""

from __future__ import annotations

import base64
import subprocess
import sys

import pytest

from tests.sync.conftest import FAST
from werf_core.storage.stage_id import StageID
from werf_core.sync.distributed_locker import DistributedLocker
from werf_core.sync.errors import SynchronizationError
from werf_core.sync.file_locker import FileLocker
from werf_core.sync.kube_stages_cache import KubernetesStagesStorageCache
from werf_core.sync.stages_cache import FileStagesStorageCache
from werf_core.sync.synchronization import host_locker, open_synchronization

DIGEST = "c" * 56


def test_local_uses_host_file_locks_and_the_file_cache(werf_home):
    warnings: list[str] = []
    sync = open_synchronization(":local", "proj", stages_storage=":local", warn=warnings.append, env={})
    assert isinstance(sync.locker, FileLocker) and isinstance(sync.cache, FileStagesStorageCache)
    assert sync.locker.locks_dir == werf_home / "service" / "locks"
    assert sync.stage_lock_name(DIGEST) == f"proj.{DIGEST}"
    assert sync.stage_cache_lock_name(DIGEST) == f"proj.{DIGEST}.cache"
    assert sync.image_lock_name("r/app:1") == "r/app:1.image"
    with sync.locker.locked(sync.stage_lock_name(DIGEST)) as handle:
        handle.ensure_held()
        sync.cache.store_stages("proj", DIGEST, [StageID(DIGEST, 1)])
    assert (werf_home / "shared_context/storage/stages_storage_cache/1/proj" / DIGEST).exists()
    assert warnings == []


def test_unset_with_local_storage_is_local_without_warning(werf_home):
    warnings: list[str] = []
    sync = open_synchronization(None, "proj", stages_storage=":local", warn=warnings.append, env={})
    assert sync.address == ":local" and warnings == []


def test_unset_with_a_registry_storage_is_local_with_a_warning(werf_home):
    warnings: list[str] = []
    sync = open_synchronization(None, "proj", stages_storage="registry.example/proj", warn=warnings.append, env={})
    assert sync.address == ":local"
    assert len(warnings) == 1 and "will not be coordinated" in warnings[0]
    assert "registry.example/proj" in warnings[0] and "kubernetes://" in warnings[0]


def test_default_warning_goes_to_stderr(werf_home):
    code = ("from werf_core.sync.synchronization import open_synchronization as o; "
            "o(None, 'p', stages_storage='r/x', env={})")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stderr.startswith("Warning: no --synchronization") and result.stdout == ""


def test_environment_variable_is_used_when_no_flag_is_given(werf_home, kubeconfig_path):
    env = {"WERF_SYNCHRONIZATION": f"kubernetes://ns-from-env@{kubeconfig_path}"}
    sync = open_synchronization(None, "proj", stages_storage="r/x", env=env, timings=FAST)
    assert sync.is_kubernetes and sync.address == env["WERF_SYNCHRONIZATION"]
    flag = open_synchronization(":local", "proj", stages_storage="r/x", env=env)
    assert not flag.is_kubernetes  # the flag wins over the environment


def test_kubernetes_uses_the_projects_config_map_for_locks_and_cache(kube_emulator, kubeconfig_path):
    sync = open_synchronization(f"kubernetes://team-sync@{kubeconfig_path}", "proj", stages_storage="r/x",
                                env={}, timings=FAST)
    assert isinstance(sync.locker, DistributedLocker) and isinstance(sync.cache, KubernetesStagesStorageCache)
    assert sync.stage_lock_name(DIGEST) == f"stage/{DIGEST}"
    assert sync.stage_cache_lock_name(DIGEST) == f"stage-cache/{DIGEST}"
    assert sync.image_lock_name("r/app:1") == "image/r/app:1"
    with sync.locker.locked(sync.stage_lock_name(DIGEST)) as handle:
        cm = kube_emulator.config_map("team-sync", "werf-proj")
        assert any(key.startswith("lockgate.io/") for key in cm["metadata"]["annotations"])
        handle.ensure_held()
        sync.cache.store_stages("proj", DIGEST, [StageID(DIGEST, 5)])
    assert DIGEST in kube_emulator.config_map("team-sync", f"werf-proj-stages-cache-{DIGEST[:2]}")["data"]
    assert not (kube_emulator.config_map("team-sync", "werf-proj").get("data") or {})   # locks only
    assert sync.build_intent_lock_name(DIGEST) == f"stage-intent/{DIGEST}"
    with sync.intents.building(DIGEST, what="x", find_published=lambda: None) as intent:
        assert intent.handle is not None
        intent_maps = [f"werf-proj-intents-{n:x}" for n in range(16)]
        held = [name for name in intent_maps
                if (kube_emulator.config_map("team-sync", name) or {}).get("metadata", {}).get("annotations")]
        assert len(held) == 1
    sync.close()


def test_default_namespace_and_default_kubeconfig(kube_emulator, kubeconfig_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig_path))
    sync = open_synchronization("kubernetes://", "proj", stages_storage="r/x", env={}, timings=FAST)
    sync.cache.store_stages("proj", DIGEST, [])
    assert kube_emulator.config_map("werf-synchronization", f"werf-proj-stages-cache-{DIGEST[:2]}") is not None


def test_inline_base64_kubeconfig_and_a_chosen_context(kube_emulator, tmp_path):
    config = kube_emulator.kubeconfig(context="main")
    other = kube_emulator.kubeconfig(context="broken")
    other["clusters"][0]["cluster"]["server"] = "http://127.0.0.1:9"  # the current context points nowhere
    config["clusters"] += other["clusters"]
    config["contexts"] += other["contexts"]
    config["current-context"] = "broken"
    import yaml
    data = base64.b64encode(yaml.safe_dump(config).encode()).decode()
    sync = open_synchronization(f"kubernetes://ns1:main@base64:{data}", "proj", stages_storage="r/x", env={},
                                timings=FAST)
    assert data not in sync.address
    sync.cache.store_stages("proj", DIGEST, [])
    assert kube_emulator.config_map("ns1", f"werf-proj-stages-cache-{DIGEST[:2]}") is not None


def test_werf_kube_context_variable_selects_the_context(kube_emulator, tmp_path):
    config = kube_emulator.kubeconfig(context="main")
    config["contexts"].append({"name": "nowhere", "context": {"cluster": "missing", "user": "werf-runner"}})
    config["current-context"] = "nowhere"
    import yaml
    path = tmp_path / "kc"
    path.write_text(yaml.safe_dump(config))
    sync = open_synchronization(f"kubernetes://ns1@{path}", "proj", stages_storage="r/x",
                                env={"WERF_KUBE_CONTEXT": "main"}, timings=FAST)
    sync.cache.store_stages("proj", DIGEST, [])
    assert kube_emulator.config_map("ns1", f"werf-proj-stages-cache-{DIGEST[:2]}") is not None


@pytest.mark.parametrize("address, fragment", [
    ("kubernetes://ns@/nonexistent/kubeconfig", "kubeconfig /nonexistent/kubeconfig does not exist"),
    ("kubernetes://ns@base64:!!!notbase64", "is not base64 of a YAML kubeconfig"),
])
def test_unusable_kubeconfig_is_a_clear_error(address, fragment):
    with pytest.raises(SynchronizationError) as info:
        open_synchronization(address, "proj", stages_storage="r/x", env={})
    assert fragment in info.value.message and info.value.hint


def test_unknown_context_is_a_clear_error(kubeconfig_path):
    with pytest.raises(SynchronizationError) as info:
        open_synchronization(f"kubernetes://ns:nosuch@{kubeconfig_path}", "proj", stages_storage="r/x", env={})
    assert "context 'nosuch'" in info.value.message and "nosuch" in info.value.message


def test_host_locker_lives_in_the_werf_home(werf_home):
    assert host_locker().locks_dir == werf_home / "service" / "locks"


def test_importing_the_package_does_not_import_kubernetes():
    code = "import sys, werf_core.sync; werf_core.sync.open_synchronization; print('kubernetes' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
