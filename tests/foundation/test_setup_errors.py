"""Missing privileges or an engine that cannot be reached end in one clear message, not a traceback."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_devenv(env_overrides, *prefix):
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
    env.update(env_overrides)
    return subprocess.run([*prefix, sys.executable, str(ROOT / "scripts/devenv.py"), "up"],
                          capture_output=True, text=True, env=env, timeout=120)


def test_unreachable_docker_host_is_one_clear_message(tmp_path):
    result = run_devenv({"DOCKER_HOST": f"unix://{tmp_path}/no.sock", "WERF_DEV_STATE_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: no Docker engine answers at DOCKER_HOST=")


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root to drop privileges")
def test_unprivileged_user_without_engine_access_is_told_why(tmp_path):
    tmp_path.chmod(0o777)
    result = run_devenv({"WERF_DEV_STATE_DIR": str(tmp_path), "HOME": str(tmp_path)},
                        "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert "needs root" in result.stderr
