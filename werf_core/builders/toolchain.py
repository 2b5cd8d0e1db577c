"""The build toolchain: a static busybox mounted read-only at /.werf/stapel into every build container.

Like werf's stapel, it lets base images contain nothing at all: the builder's own scripts (applying git archives and
patches, imports, the user's shell commands) run with /.werf/stapel/bin/sh and the busybox applets next to it.

It is shipped as an image whose only content is /.werf/stapel, declared as a VOLUME, plus one created (never
started) container from it; build containers mount it with `volumes_from=[<container>:ro]`. The image tag carries a
hash of the toolchain's content, so a changed busybox gives a new toolchain and stale ones are never used.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import tarfile
from contextlib import AbstractContextManager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from werf_core import paths
from werf_core.builders.instructions import TOOLCHAIN_MOUNT
from werf_core.errors import BuildError
from werf_core.fsutil import exclusive_file_lock

if TYPE_CHECKING:
    import docker

BUSYBOX = Path("/bin/busybox")
IMAGE_REPOSITORY = "werf-prefect/toolchain"
CONTAINER_PREFIX = "werf-toolchain-"
LAYOUT_VERSION = "1"


@lru_cache(maxsize=1)
def _busybox() -> tuple[bytes, list[str]]:
    if not BUSYBOX.exists():
        raise BuildError(f"{BUSYBOX} is missing: the build toolchain is made from a static busybox",
                         hint="install Debian's busybox-static (`make setup` does)")
    data = BUSYBOX.read_bytes()
    applets = subprocess.run([str(BUSYBOX), "--list"], capture_output=True, text=True, check=True).stdout.split()
    return data, sorted(a for a in applets if a != "busybox")


def toolchain_version() -> str:
    data, applets = _busybox()
    h = hashlib.sha256(LAYOUT_VERSION.encode())
    h.update(data)
    h.update("\n".join(applets).encode())
    return h.hexdigest()[:16]


def _toolchain_tar() -> bytes:
    data, applets = _busybox()
    root = TOOLCHAIN_MOUNT.lstrip("/")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        parts = root.split("/")
        for i in range(1, len(parts) + 1):
            d = tarfile.TarInfo("/".join(parts[:i]))
            d.type, d.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(d)
        d = tarfile.TarInfo(f"{root}/bin")
        d.type, d.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(d)
        f = tarfile.TarInfo(f"{root}/bin/busybox")
        f.size, f.mode = len(data), 0o755
        tar.addfile(f, io.BytesIO(data))
        for applet in applets:
            link = tarfile.TarInfo(f"{root}/bin/{applet}")
            link.type, link.linkname, link.mode = tarfile.SYMTYPE, "busybox", 0o777
            tar.addfile(link)
    return buf.getvalue()


def host_lock(name: str) -> AbstractContextManager[None]:
    """An exclusive host-wide lock, so two processes never create the same toolchain (or runtime) at once."""
    return exclusive_file_lock(paths.locks_dir() / f"{name}.lock")


def ensure_toolchain(client: docker.DockerClient) -> str:
    """Return the name of the toolchain container to use with `volumes_from`, creating image and container once."""
    import docker.errors

    version = toolchain_version()
    container_name = CONTAINER_PREFIX + version
    try:
        client.api.inspect_container(container_name)
        return container_name
    except docker.errors.NotFound:
        pass
    with host_lock(f"toolchain-{version}"):
        try:
            client.api.inspect_container(container_name)
            return container_name
        except docker.errors.NotFound:
            pass
        image = f"{IMAGE_REPOSITORY}:{version}"
        try:
            client.api.inspect_image(image)
        except docker.errors.ImageNotFound:
            client.api.import_image_from_data(
                _toolchain_tar(), repository=IMAGE_REPOSITORY, tag=version,
                changes=[f"VOLUME {TOOLCHAIN_MOUNT}", f'CMD ["{TOOLCHAIN_MOUNT}/bin/true"]'])
        try:
            client.api.create_container(image, name=container_name, network_disabled=True,
                                        labels={"werf-toolchain": version})
        except docker.errors.APIError as err:
            if err.status_code != 409:  # created meanwhile by a process that does not share our WERF_HOME
                raise
    return container_name
