"""What the runtime is made from, what it leaves out, and what makes it a new version (no Docker needed)."""

from __future__ import annotations

import importlib.metadata
import platform
import shutil
import tarfile
from dataclasses import replace

import pytest

from werf_core.builders.ansible.runtime import image as runtime_image
from werf_core.builders.ansible.runtime import sources as runtime_sources
from werf_core.builders.ansible.runtime.assemble import wheel_selection_args
from werf_core.builders.ansible.runtime.image import _runtime_tar, runtime_version
from werf_core.builders.ansible.runtime.prune import prune_site_packages, stdlib_ignore
from werf_core.builders.ansible.runtime.sources import find_host_sources, pinned_requirements
from werf_core.errors import BuildError


def test_requirements_pin_the_installed_ansible_core_and_its_dependencies():
    pins = pinned_requirements()
    assert pins[0] == f"ansible-core=={importlib.metadata.version('ansible-core')}"
    names = {p.split("==")[0].lower() for p in pins}
    assert {"jinja2", "markupsafe", "pyyaml", "packaging", "resolvelib"} <= names
    assert not names & {"cryptography", "cffi", "pycparser"}  # left out on purpose: ~16 MB, optional imports
    for pin in pins:
        name, version = pin.split("==")
        assert importlib.metadata.version(name) == version


def test_stdlib_prune_rules():
    assert stdlib_ignore("/usr/lib/python3.11", ["json", "test", "config-3.11-x86_64-linux-gnu", "sitecustomize.py",
                                                 "__pycache__", "os.py", "lib2to3", "sqlite3"]) == {
        "test", "config-3.11-x86_64-linux-gnu", "sitecustomize.py", "__pycache__", "lib2to3", "sqlite3"}
    dynload = ["_ssl.cpython-311-x86_64-linux-gnu.so", "_testcapi.cpython-311-x86_64-linux-gnu.so",
               "_sqlite3.cpython-311-x86_64-linux-gnu.so", "_ctypes.cpython-311-x86_64-linux-gnu.so",
               "readline.cpython-311-x86_64-linux-gnu.so", "_json.cpython-311-x86_64-linux-gnu.so"]
    assert stdlib_ignore("/usr/lib/python3.11/lib-dynload", dynload) == {
        "_testcapi.cpython-311-x86_64-linux-gnu.so", "_sqlite3.cpython-311-x86_64-linux-gnu.so",
        "readline.cpython-311-x86_64-linux-gnu.so"}


def test_site_packages_prune_keeps_jinja_test_plugins(tmp_path):
    for rel in ("ansible/plugins/test/core.py", "ansible/__pycache__/x.cpython-311.pyc", "ansible_test/a.py",
                "ansible/galaxy/data/x.j2", "ansible/galaxy/api.py", "bin/ansible", "yaml/__init__.pyi",
                "yaml/__init__.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    prune_site_packages(tmp_path)
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert left == ["ansible/galaxy/api.py", "ansible/plugins/test/core.py", "yaml/__init__.py"]


def test_missing_host_pieces_are_named_with_the_package_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(runtime_sources, "PYTHON", tmp_path / "python3.11")
    monkeypatch.setattr(runtime_sources, "BUSYBOX", tmp_path / "busybox")
    with pytest.raises(BuildError) as info:
        find_host_sources()
    assert str(tmp_path / "python3.11") in info.value.message and str(tmp_path / "busybox") in info.value.message
    assert info.value.hint == "apt-get install busybox-static python3.11"


def test_version_changes_with_any_input(tmp_path, monkeypatch):
    sources = find_host_sources()
    base = runtime_version(sources)
    assert base == runtime_version(sources) and len(base) == 16
    assert runtime_version(replace(sources, requirements=(*sources.requirements[:-1], "resolvelib==0.0.1"))) != base
    other_busybox = tmp_path / "busybox"
    shutil.copy(sources.busybox, other_busybox)
    assert runtime_version(replace(sources, busybox=other_busybox)) != base
    # our own scripts and plugins are part of the runtime: editing one gives a new version
    files = tmp_path / "runtime_files"
    shutil.copytree(runtime_sources.RUNTIME_FILES, files)
    monkeypatch.setattr(runtime_image, "RUNTIME_FILES", files)
    assert runtime_version(sources) == base
    (files / "python3.sh").write_text((files / "python3.sh").read_text() + "\n# changed\n")
    assert runtime_version(sources) != base


def test_tar_puts_everything_under_werf_ansible_owned_by_root_and_readable(tmp_path):
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "tool").write_text("#!/bin/sh\n")
    (root / "bin" / "tool").chmod(0o700)
    (root / "data.txt").write_text("x")
    (root / "data.txt").chmod(0o600)
    (root / "bin" / "sh").symlink_to("tool")
    tar_path = tmp_path / "rt.tar"
    _runtime_tar(root, tar_path)
    with tarfile.open(tar_path) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert set(members) == {".werf", ".werf/ansible", ".werf/ansible/bin", ".werf/ansible/bin/tool",
                            ".werf/ansible/bin/sh", ".werf/ansible/data.txt"}
    assert all(m.uid == 0 and m.gid == 0 for m in members.values())
    assert members[".werf/ansible/bin/tool"].mode == 0o755
    assert members[".werf/ansible/data.txt"].mode == 0o644
    assert members[".werf/ansible/bin/sh"].issym() and members[".werf/ansible/bin/sh"].linkname == "tool"


def test_wheels_are_chosen_for_the_runtime_interpreter_not_the_running_one():
    args = wheel_selection_args("2.17")
    pairs = dict(zip(args[::2], args[1::2]))
    assert pairs["--python-version"] == "3.11" and pairs["--abi"] == "cp311" and pairs["--implementation"] == "cp"
    platforms = args[args.index("--platform"):][1::2]
    assert platforms[0] == f"manylinux_2_17_{platform.machine()}" and f"manylinux_2_5_{platform.machine()}" in platforms
    assert f"manylinux2014_{platform.machine()}" in platforms  # the legacy alias of 2_17
    assert not [p for p in platforms if p.startswith("manylinux_2_18")]  # never newer than the host's glibc
    assert f"manylinux2014_{platform.machine()}" not in wheel_selection_args("2.12")[1::2]
