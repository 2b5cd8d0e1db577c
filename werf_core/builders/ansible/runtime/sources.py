"""What the ansible runtime is made from, found on the host.

Debian's python3.11 (binary, standard library, the shared libraries it links), glibc's loader and C.utf8 locale,
Debian's static busybox, and ansible-core plus its dependencies at exactly the versions installed next to
werf-prefect (fetched with pip into the runtime). A missing piece is a `BuildError` that says what to install.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from werf_core.errors import BuildError

PYTHON = Path("/usr/bin/python3.11")
STDLIB = Path("/usr/lib/python3.11")
LOADER = Path("/lib64/ld-linux-x86-64.so.2")
BUSYBOX = Path("/bin/busybox")
LOCALE = Path("/usr/lib/locale/C.utf8")
# our own scripts and plugins (package data), copied into the runtime
RUNTIME_FILES = Path(__file__).resolve().parent.parent / "runtime_files"

ROOT_DISTRIBUTION = "ansible-core"
# ansible-core requires cryptography, but only ansible-vault and a TLS detail of get_url use it (both imports are
# optional); leaving it out (with cffi and pycparser) saves ~16 MB in every runtime.
LEFT_OUT_DISTRIBUTIONS = frozenset({"cryptography", "cffi", "pycparser"})


@dataclass(frozen=True)
class HostSources:
    python: Path
    stdlib: Path
    loader: Path
    busybox: Path
    locale: Path
    requirements: tuple[str, ...]  # "name==version", ansible-core first


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_requirements() -> tuple[str, ...]:
    """ansible-core and its (transitive) dependencies, pinned to the versions installed here."""
    import importlib.metadata

    from packaging.requirements import Requirement

    try:
        root_version = importlib.metadata.version(ROOT_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise BuildError("ansible-core is not installed next to werf-prefect; the ansible runtime copies its version",
                         hint="reinstall werf-prefect (`make setup`), which depends on ansible-core") from None
    pins = {_normalise(ROOT_DISTRIBUTION): f"{ROOT_DISTRIBUTION}=={root_version}"}
    queue = [ROOT_DISTRIBUTION]
    while queue:
        for spec in importlib.metadata.requires(queue.pop()) or []:
            requirement = Requirement(spec)
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            key = _normalise(requirement.name)
            if key in pins or key in LEFT_OUT_DISTRIBUTIONS:
                continue
            try:
                version = importlib.metadata.version(requirement.name)
            except importlib.metadata.PackageNotFoundError:
                raise BuildError(f"{requirement.name}, needed by ansible-core, is not installed",
                                 hint="reinstall werf-prefect's dependencies (`make setup`)") from None
            pins[key] = f"{requirement.name}=={version}"
            queue.append(requirement.name)
    root = pins.pop(_normalise(ROOT_DISTRIBUTION))
    return (root, *sorted(pins.values(), key=str.lower))


def find_host_sources() -> HostSources:
    missing = [(path, package) for path, package in (
        (PYTHON, "python3.11"), (STDLIB, "libpython3.11-stdlib"), (LOADER, "libc6"), (BUSYBOX, "busybox-static"),
        (LOCALE, "libc-bin"),
    ) if not path.exists()]
    if missing:
        paths = ", ".join(str(p) for p, _ in missing)
        packages = " ".join(sorted({pkg for _, pkg in missing}))
        raise BuildError(f"the ansible runtime is assembled from Debian's Python and busybox, but {paths} "
                         f"{'is' if len(missing) == 1 else 'are'} missing",
                         hint=f"apt-get install {packages}")
    return HostSources(python=PYTHON, stdlib=STDLIB, loader=LOADER, busybox=BUSYBOX, locale=LOCALE,
                       requirements=pinned_requirements())
