"""Assembling the ansible runtime's files: a folder that becomes /.werf/ansible in build containers.

Layout (all paths relative to /.werf/ansible):
  bin/busybox, bin/sh, bin/su         Debian's static busybox; `sh` runs every ansible command, `su` does become
  bin/python3, bin/ansible-playbook   wrapper scripts (package data in runtime_files/)
  libexec/python3.11                  Debian's CPython binary, only ever started through lib/ld-linux-x86-64.so.2
  lib/                                glibc's loader and every shared library `ldd` finds for Python and its modules
  lib/python3.11/                     the standard library (pruned, see prune.py)
  site-packages/                      ansible-core and its dependencies (pip --target), sitecustomize.py
  plugins/callback, plugins/become    our stdout callback and become plugin (package data)
  tools/                              busybox applets ansible itself calls (mkdir, chmod, chown, rm, tar ...),
                                      appended to PATH so that an image's own tools come first
  locale/C.utf8                       glibc's C.UTF-8 locale (Ansible refuses to run without a UTF-8 locale)
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from werf_core.builders.ansible.layout import RUNTIME_MOUNT
from werf_core.builders.ansible.runtime.prune import prune_site_packages, stdlib_ignore
from werf_core.builders.ansible.runtime.sources import RUNTIME_FILES, HostSources
from werf_core.errors import BuildError

# Applets ansible-core's own machinery and common modules call by name (temp dirs, permissions, archives, checks).
TOOL_APPLETS = (
    "[", "basename", "bunzip2", "bzip2", "cat", "chgrp", "chmod", "chown", "cp", "cut", "date", "dirname", "echo",
    "env", "false", "find", "grep", "gunzip", "gzip", "head", "id", "ln", "ls", "md5sum", "mkdir", "mktemp", "mv",
    "printf", "readlink", "rm", "rmdir", "sed", "sh", "sha1sum", "sha256sum", "sleep", "sort", "stat", "tail", "tar",
    "tee", "test", "touch", "tr", "true", "uname", "uniq", "unxz", "unzip", "wc", "which", "xz", "zcat",
)
PYTHON_NAME = "python3.11"


def _copy_file(src: Path, dst: Path, mode: int | None = None) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)  # follows symlinks: the runtime holds real files only
    os.chmod(dst, mode if mode is not None else (0o755 if os.access(src, os.X_OK) else 0o644))


def _install_python(root: Path, sources: HostSources) -> None:
    _copy_file(sources.python, root / "libexec" / PYTHON_NAME, 0o755)
    shutil.copytree(sources.stdlib, root / "lib" / PYTHON_NAME, ignore=stdlib_ignore, symlinks=False,
                    ignore_dangling_symlinks=True)


def wheel_selection_args(glibc_version: str | None = None) -> list[str]:
    """pip arguments that pick wheels for the runtime's interpreter (CPython 3.11 on this host's glibc), whatever
    Python runs werf-prefect itself: a werf-prefect on Python 3.12 must still fetch cp311 extension modules."""
    libc = glibc_version or os.confstr("CS_GNU_LIBC_VERSION")
    if not libc:
        raise BuildError("the ansible runtime needs a glibc host: this system does not report a glibc version",
                         hint="run werf-prefect on a glibc-based system (Debian, Ubuntu, Fedora, ...)")
    version = libc.split()[-1]   # "glibc 2.36" -> "2.36" (or the bare version given)  # "glibc 2.36" -> "2.36"
    major, minor = (int(x) for x in version.split(".")[:2])
    machine = platform.machine()
    platforms = [f"manylinux_{major}_{m}_{machine}" for m in range(minor, 4, -1)]
    platforms += [f"manylinux{alias}_{machine}" for alias, needs in (("2014", 17), ("2010", 12), ("1", 5))
                  if minor >= needs]
    python = PYTHON_NAME.removeprefix("python")  # "3.11"
    args = ["--python-version", python, "--implementation", "cp", "--abi", "cp" + python.replace(".", "")]
    for name in platforms:
        args += ["--platform", name]
    return args


def _install_packages(root: Path, sources: HostSources) -> None:
    site = root / "site-packages"
    site.mkdir(parents=True, exist_ok=True)
    # --no-deps with exact pins: the dependency set is decided by sources.pinned_requirements, not by pip.
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
           "--no-deps", "--no-compile", "--only-binary=:all:", *wheel_selection_args(), "--target", str(site),
           *sources.requirements]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise BuildError(f"installing {', '.join(sources.requirements)} into the ansible runtime failed:\n{tail}",
                         hint="the runtime is installed with pip from the package index; check that pip can reach it")
    prune_site_packages(site)
    _copy_file(RUNTIME_FILES / "sitecustomize.py", site / "sitecustomize.py", 0o644)


def _install_runtime_files(root: Path) -> None:
    _copy_file(RUNTIME_FILES / "python3.sh", root / "bin" / "python3", 0o755)
    _copy_file(RUNTIME_FILES / "ansible-playbook.sh", root / "bin" / "ansible-playbook", 0o755)
    for plugin in sorted((RUNTIME_FILES / "plugins").glob("*/*.py")):
        if not plugin.name.startswith("_"):
            _copy_file(plugin, root / "plugins" / plugin.parent.name / plugin.name, 0o644)


def _install_busybox(root: Path, sources: HostSources) -> None:
    _copy_file(sources.busybox, root / "bin" / "busybox", 0o755)
    for name in ("sh", "su"):
        (root / "bin" / name).symlink_to("busybox")
    applets = set(subprocess.run([str(sources.busybox), "--list"], capture_output=True, text=True,
                                 check=True).stdout.split())
    tools = root / "tools"
    tools.mkdir()
    for applet in TOOL_APPLETS:
        if applet in applets:
            (tools / applet).symlink_to("../bin/busybox")


def _install_locale(root: Path, sources: HostSources) -> None:
    shutil.copytree(sources.locale, root / "locale" / sources.locale.name, symlinks=False)


def _elf_files(root: Path) -> list[Path]:
    files = [root / "libexec" / PYTHON_NAME]
    files += sorted((root / "lib" / PYTHON_NAME / "lib-dynload").glob("*.so"))
    files += sorted((root / "site-packages").rglob("*.so"))
    return files


def _shared_libraries(files: list[Path]) -> dict[str, Path]:
    """soname -> host path of every library the files link, as the host's loader resolves them."""
    proc = subprocess.run(["ldd", *map(str, files)], capture_output=True, text=True)
    libraries: dict[str, Path] = {}
    missing = []
    for line in proc.stdout.splitlines():
        line = line.strip()
        if "=>" not in line:
            continue
        name, _, target = line.partition("=>")
        target = target.strip()
        if target.startswith("not found"):
            missing.append(name.strip())
        elif target.startswith("/"):
            libraries[name.strip()] = Path(target.split(" (", 1)[0])
    if missing:
        raise BuildError(f"shared libraries needed by the ansible runtime are missing on this host: "
                         f"{', '.join(sorted(set(missing)))}",
                         hint="install the Debian packages that provide them (apt-file search <name>)")
    return libraries


def _install_libraries(root: Path, sources: HostSources) -> None:
    lib = root / "lib"
    for soname, path in sorted(_shared_libraries(_elf_files(root)).items()):
        _copy_file(path, lib / soname, 0o755)
    _copy_file(sources.loader, lib / sources.loader.name, 0o755)


def _compile_bytecode(root: Path, sources: HostSources) -> None:
    """Compile the standard library and the packages ahead of time.

    The runtime is mounted read-only, so Python could never cache bytecode itself and would compile ansible again at
    every start, and the standard library again for every task's module process. Measured here: importing
    ansible-playbook 1.0 s -> 0.4 s, each module process 0.47 s -> 0.13 s, for about 20 MB of .pyc files.
    unchecked-hash pycs stay valid whatever the files' times are; -s/-p make tracebacks show /.werf/ansible paths.
    """
    cmd = [str(sources.python), "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
           "-s", str(root), "-p", RUNTIME_MOUNT, str(root / "lib" / PYTHON_NAME), str(root / "site-packages")]
    # a file that does not compile (there are a few Python-2-only templates) just stays without a .pyc
    subprocess.run(cmd, capture_output=True, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})


def assemble_runtime(root: Path, sources: HostSources, version: str) -> None:
    """Create the runtime's files in `root` (an empty or missing folder that stands for /.werf/ansible)."""
    root.mkdir(parents=True, exist_ok=True)
    _install_python(root, sources)
    _install_packages(root, sources)
    _install_runtime_files(root)
    _install_busybox(root, sources)
    _install_locale(root, sources)
    _install_libraries(root, sources)
    _compile_bytecode(root, sources)
    (root / "VERSION").write_text(f"{version}\n" + "".join(f"{r}\n" for r in sources.requirements))
