"""What `werf` loads before it answers: commands that need no engine, registry, config or git must not import the
libraries for them, and an idle local build (or a change of layer-native stages only) must not import docker-py.

These imports are most of a short command's time (docker-py with requests/urllib3 alone is more than an idle build's
own work), so a stray top-level import is a performance bug; these tests catch it. They run the real CLI in a fresh
interpreter and look at `sys.modules` when it is done.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.project import make_project, werf_env

ROOT = Path(__file__).resolve().parents[2]

# third-party packages a build may need, none of which `version` or `--help` should pay for
HEAVY = ("docker", "requests", "urllib3", "pydantic", "pydantic_core", "yaml", "git", "prefect", "kubernetes",
         "httpx", "re2", "ansible")
# what an idle local build (and a change of layer-native stages only) must not import
NOT_FOR_LOCAL_LAYER_NATIVE = ("docker", "requests", "urllib3", "git", "prefect", "kubernetes", "httpx")

_PROBE = """
import contextlib, io, json, sys
from werf_cli.main import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "output": out.getvalue(),
                  "modules": sorted({name.split(".")[0] for name, module in sys.modules.items()
                                     if module is not None})}))   # None: an import blocked on purpose
"""


def loaded_by(args: list[str], env: dict[str, str] | None = None) -> dict:
    done = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [["version"], ["--help"], ["build", "--help"], ["stages", "--help"]])
def test_commands_without_a_project_load_no_heavy_library(args):
    result = loaded_by(args)
    assert result["code"] == 0, result["output"]
    assert sorted(set(HEAVY) & set(result["modules"])) == []


def test_idle_and_layer_native_change_load_no_docker_py(git_repo, werf_home, project_name, busybox_image):
    make_project(git_repo, f"""
    project: {project_name}
    configVersion: 1
    ---
    image: app
    from: {busybox_image}
    git:
    - add: /src
      to: /app
    docker:
      WORKDIR: /app
    """, {"src/VERSION": "1\n"})
    env = werf_env(werf_home)
    build = ["build", "--dir", str(git_repo.path), "--stages-storage", ":local"]
    cold = loaded_by(build, env)
    assert cold["code"] == 0, cold["output"]

    idle = loaded_by(build, env)
    assert idle["code"] == 0 and "built" not in idle["output"], idle["output"]
    assert sorted(set(NOT_FOR_LOCAL_LAYER_NATIVE) & set(idle["modules"])) == []

    git_repo.write("src/VERSION", "2\n")
    git_repo.commit("change")
    change = loaded_by(build, env)
    assert change["code"] == 0, change["output"]
    assert "gitLatestPatch" in change["output"] and "built" in change["output"]
    assert sorted(set(NOT_FOR_LOCAL_LAYER_NATIVE) & set(change["modules"])) == []


def _registry_client_modules(env: dict[str, str] | None = None) -> set[str]:
    """The modules loaded once the registry client has made a plain-HTTP request (an unused loopback port)."""
    probe = ("import json, sys\n"
             "from werf_core.registry.client import RegistryClient\n"
             "with RegistryClient() as client:\n"
             "    try:\n"
             "        client._transport._client(True).get('http://127.0.0.1:9/v2/', timeout=2)\n"
             "    except Exception:\n"
             "        pass\n"
             "loaded = {name for name, module in sys.modules.items() if module is not None}\n"
             "print(json.dumps(sorted({name.split('.')[0] for name in loaded} | loaded)))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


def test_the_registry_client_loads_httpx_without_its_command_line_client_or_http2():
    """httpx's package import pulls in its CLI (click, rich, pygments) and httpcore the HTTP/2 stack when they are
    installed; we need neither."""
    modules = _registry_client_modules({"PREFECT_API_ENABLE_HTTP2": ""})
    assert "httpx" in modules and "httpcore" in modules
    assert not {"httpx._main", "rich", "pygments", "h2", "hpack"} & modules


def test_http2_stays_available_when_prefect_is_set_to_use_it():
    modules = _registry_client_modules({"PREFECT_API_ENABLE_HTTP2": "true"})
    assert "h2" in modules
