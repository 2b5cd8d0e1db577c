"""Build-time mounts (`mount:`): host directories bound into every build container of an image.

tmp_dir lives only for one build; build_dir is shared by all builds of the project on this host (a cache, e.g. for
package managers); `fromPath` binds a host path (relative paths are taken from the project directory).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from werf_core.builders.instructions import Bind
from werf_core.stages.spec import MountKind, MountSpec


def slug(path: str) -> str:
    cleaned = path.strip("/").replace("/", "-") or "root"
    return f"{cleaned[:40]}-{hashlib.sha256(path.encode()).hexdigest()[:8]}"


def mount_labels(mounts: tuple[MountSpec, ...]) -> dict[str, str]:
    tmp = [m.to for m in mounts if m.kind == MountKind.TMP_DIR]
    build = [m.to for m in mounts if m.kind == MountKind.BUILD_DIR]
    labels = {}
    if tmp:
        labels["werf-mount-type-tmp-dir"] = ";".join(tmp)
    if build:
        labels["werf-mount-type-build-dir"] = ";".join(build)
    for m in mounts:
        if m.kind == MountKind.CUSTOM:
            labels[f"werf-mount-type-custom-dir-{m.from_path.replace('/', '--')}"] = m.to
    return labels


def mount_binds(mounts: tuple[MountSpec, ...], *, project: str, project_dir: str, werf_home: str,
                build_tmp_dir: str) -> list[Bind]:
    binds = []
    for m in mounts:
        if m.kind == MountKind.TMP_DIR:
            host = Path(build_tmp_dir) / "mount" / slug(m.to)
        elif m.kind == MountKind.BUILD_DIR:
            host = Path(werf_home) / "shared_context" / "mounts" / "projects" / project / slug(m.to)
        else:
            host = Path(m.from_path) if os.path.isabs(m.from_path) else Path(project_dir) / m.from_path
        if m.kind != MountKind.CUSTOM:
            host.mkdir(parents=True, exist_ok=True)
        binds.append(Bind(str(host), m.to, read_only=False))
    return binds
