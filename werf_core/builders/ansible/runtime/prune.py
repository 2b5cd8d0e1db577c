"""What the ansible runtime leaves out: tests, docs, caches and modules ansible-playbook never imports.

Every entry here was checked against what ansible-core imports (its optional imports of curses and cryptography are
guarded); the runtime's size is reported by `werf_core.builders.ansible.runtime.image.RuntimeInfo`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

# Standard library folders: test suites, GUI/IDE, packaging tools, databases and the static libpython (24 MB).
STDLIB_DROP_DIRS = frozenset({
    "__pycache__", "__phello__", "test", "idlelib", "tkinter", "turtledemo", "lib2to3", "pydoc_data", "ensurepip",
    "distutils", "sqlite3", "dbm", "curses", "venv",
})
STDLIB_DROP_DIR_PREFIXES = ("config-3",)
# Debian's sitecustomize.py is a symlink into /etc of the host: ours replaces it.
STDLIB_DROP_FILES = frozenset({"sitecustomize.py", "__hello__.py", "turtle.py", "EXTERNALLY-MANAGED", "LICENSE.txt"})

# Extension modules nothing in ansible-core needs (and whose shared libraries we then need not carry).
DYNLOAD_DROP_PREFIXES = (
    "_test", "_ctypes_test", "_xx", "xx", "_curses", "_dbm", "_gdbm", "_sqlite3", "readline", "nis", "ossaudiodev",
    "audioop", "_tkinter",
)

# Installed packages: ansible-test (ansible's own test runner), galaxy's init templates, type stubs, console scripts.
SITE_DROP_PATHS = ("ansible_test", "bin", "ansible/galaxy/data")
SITE_DROP_SUFFIXES = (".pyi",)


def stdlib_ignore(directory: str, names: list[str]) -> set[str]:
    """`shutil.copytree(ignore=...)` for the standard library."""
    dropped = set()
    in_dynload = Path(directory).name == "lib-dynload"
    for name in names:
        if name in STDLIB_DROP_DIRS or name in STDLIB_DROP_FILES or name.startswith(STDLIB_DROP_DIR_PREFIXES):
            dropped.add(name)
        elif in_dynload and name.startswith(DYNLOAD_DROP_PREFIXES):
            dropped.add(name)
    return dropped


def prune_site_packages(site: Path) -> None:
    for rel in SITE_DROP_PATHS:
        target = site / rel
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    for path in sorted(site.rglob("*"), reverse=True):
        # only caches: "test" folders are real code here (ansible/plugins/test holds Jinja tests)
        if path.is_dir() and path.name == "__pycache__":
            shutil.rmtree(path)
        elif path.is_file() and path.suffix in SITE_DROP_SUFFIXES:
            path.unlink()
