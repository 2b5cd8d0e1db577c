"""The ansible runtime in the Docker engine: an image plus one created (never started) container.

Like werf's stapel, the runtime is an image whose only content is /.werf/ansible, declared as a VOLUME; one container
is created from it (never started) and build containers mount its volume with `volumes_from=["<container>:ro"]`.

Its tag is a hash of everything the runtime is made from (host files, pinned package versions, our scripts and the
code that assembles it), so a change anywhere gives a new runtime instead of a stale one. It is built on first use
under a host file lock, and afterwards found with one `inspect` call.
"""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import tempfile
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from werf_core import paths
from werf_core.builders.ansible.layout import RUNTIME_MOUNT
from werf_core.builders.ansible.runtime.sources import RUNTIME_FILES, HostSources, find_host_sources
from werf_core.builders.toolchain import host_lock
from werf_core.errors import DockerEngineError

if TYPE_CHECKING:
    import docker

# (root, sources, version) -> None: builds the runtime file tree under root
Assembler = Callable[[Path, HostSources, str], None]

IMAGE_REPOSITORY = "werf-prefect/ansible-runtime"
CONTAINER_PREFIX = "werf-prefect-ansible-runtime-"
VERSION_LABEL = "werf-prefect-ansible-runtime"


@dataclass(frozen=True)
class RuntimeInfo:
    version: str
    image: str
    container: str
    built: bool  # True when this call built it
    build_seconds: float | None = None
    size_bytes: int | None = None  # the image's size, as the engine reports it


def _file_fingerprint(path: Path) -> str:
    real = path.resolve()
    st = real.stat()
    return f"{path}->{real}:{st.st_size}:{st.st_mtime_ns}"


def runtime_version(sources: HostSources) -> str:
    """Content hash of the runtime's inputs; cheap (stats and a few small files), so it can run on every build."""
    h = hashlib.sha256()
    for path in (sources.python, sources.stdlib, sources.loader, sources.busybox, sources.locale):
        h.update(_file_fingerprint(path).encode() + b"\n")
    for requirement in sources.requirements:
        h.update(requirement.encode() + b"\n")
    # our scripts and plugins, and the code that assembles the runtime (prune rules, layout)
    code = Path(__file__).resolve().parent
    for group, files in (("files", RUNTIME_FILES.rglob("*")), ("code", code.glob("*.py"))):
        base = RUNTIME_FILES if group == "files" else code
        for path in sorted(p for p in files if p.is_file() and "__pycache__" not in p.parts):
            h.update(f"{group}/{path.relative_to(base)}".encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def _runtime_tar(root: Path, tar_path: Path) -> None:
    """Pack `root` as .werf/ansible/..., owned by root and readable by everyone (become users run it too)."""
    arcroot = RUNTIME_MOUNT.lstrip("/")

    def normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        if info.isdir():
            info.mode = 0o755
        elif info.isfile():
            info.mode = 0o755 if info.mode & 0o111 else 0o644
        return info

    with tarfile.open(tar_path, "w") as tar:
        parent = tarfile.TarInfo(".werf")
        parent.type, parent.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(parent)
        tar.add(root, arcname=arcroot, filter=normalise)


class AnsibleRuntime:
    """Finds or builds the runtime for one Docker engine."""

    def __init__(self, client: docker.DockerClient, *, assembler: Assembler | None = None, version: str | None = None,
                 remove_stale: bool = True) -> None:
        self.client = client
        # (root, sources, version) -> None; tests of the life cycle pass a small one with their own version
        self.assembler = assembler
        self.remove_stale = remove_stale  # after building, remove runtimes of other versions
        self._sources: HostSources | None = None
        self._version = version  # normally the content hash of the inputs

    @property
    def sources(self) -> HostSources:
        if self._sources is None:
            self._sources = find_host_sources()
        return self._sources

    @property
    def version(self) -> str:
        if self._version is None:
            self._version = runtime_version(self.sources)
        return self._version

    @property
    def image(self) -> str:
        return f"{IMAGE_REPOSITORY}:{self.version}"

    @property
    def container(self) -> str:
        return CONTAINER_PREFIX + self.version

    def find(self) -> RuntimeInfo | None:
        """The runtime container, if it exists already (one API call)."""
        import docker.errors

        try:
            data = self.client.api.inspect_container(self.container)
        except docker.errors.NotFound:
            return None
        except docker.errors.APIError as err:
            raise DockerEngineError(f"cannot inspect the ansible runtime container {self.container}: "
                                    f"{err.explanation}", hint="check that the Docker engine is running") from None
        if (data.get("Config", {}).get("Labels") or {}).get(VERSION_LABEL) != self.version:
            return None
        return RuntimeInfo(self.version, self.image, self.container, built=False)

    def ensure(self) -> RuntimeInfo:
        """Return the runtime, building it first when this engine has none of this version."""
        found = self.find()
        if found is not None:
            return found
        with host_lock(f"ansible-runtime-{self.version}"):
            found = self.find()  # built by another process while we waited
            if found is not None:
                return found
            return self._build()

    def _build(self) -> RuntimeInfo:
        import docker.errors

        started = time.monotonic()
        if not self._image_exists():
            work = Path(tempfile.mkdtemp(prefix="werf-ansible-runtime-", dir=paths.tmp_dir()))
            try:
                root = work / "root"
                from werf_core.builders.ansible.runtime.assemble import assemble_runtime
                assemble: Assembler = self.assembler or assemble_runtime
                assemble(root, self.sources, self.version)
                tar_path = work / "runtime.tar"
                _runtime_tar(root, tar_path)
                try:
                    self.client.api.import_image_from_file(
                        str(tar_path), repository=IMAGE_REPOSITORY, tag=self.version,
                        changes=[f"VOLUME {RUNTIME_MOUNT}", f'CMD ["{RUNTIME_MOUNT}/bin/sh"]',
                                 f"LABEL {VERSION_LABEL}={self.version}"])
                except docker.errors.APIError as err:
                    raise DockerEngineError(f"the Docker engine refused to import the ansible runtime image "
                                            f"{self.image}: {err.explanation}",
                                            hint="check free disk space, `docker info` and the daemon log") from None
            finally:
                shutil.rmtree(work, ignore_errors=True)
            if not self._image_exists():
                raise DockerEngineError(f"importing the ansible runtime image {self.image} did not create it",
                                        hint="check `docker info` and the daemon log")
        try:
            self.client.api.create_container(self.image, name=self.container, network_disabled=True,
                                             labels={VERSION_LABEL: self.version})
        except docker.errors.APIError as err:
            if err.status_code != 409:  # 409: created meanwhile by a process with another WERF_HOME
                raise DockerEngineError(f"cannot create the ansible runtime container {self.container}: "
                                        f"{err.explanation}", hint="check `docker info` and the daemon log") from None
        size = self.client.api.inspect_image(self.image).get("Size")
        if self.remove_stale:
            remove_stale_runtimes(self.client, keep={self.version})
        return RuntimeInfo(self.version, self.image, self.container, built=True,
                           build_seconds=time.monotonic() - started, size_bytes=size)

    def _image_exists(self) -> bool:
        import docker.errors

        try:
            self.client.api.inspect_image(self.image)
            return True
        except docker.errors.ImageNotFound:
            return False


def remove_stale_runtimes(client: docker.DockerClient, keep: Collection[str]) -> list[str]:
    """Remove runtime containers (with their volume) and images whose version is not in `keep`; return their IDs.

    An image still used by a container (e.g. a build that mounts it right now) stays, for a later clean-up."""
    import docker.errors

    removed = []
    for container in client.api.containers(all=True, filters={"label": VERSION_LABEL}):
        if (container.get("Labels") or {}).get(VERSION_LABEL) in keep:
            continue
        try:
            client.api.remove_container(container["Id"], v=True)
            removed.append(container["Id"])
        except docker.errors.APIError:
            pass
    for image in client.api.images(filters={"label": VERSION_LABEL}):
        if (image.get("Labels") or {}).get(VERSION_LABEL) in keep:
            continue
        try:
            client.api.remove_image(image["Id"])
            removed.append(image["Id"])
        except docker.errors.APIError:
            pass  # still used by a container
    return removed


def ensure_ansible_runtime(client: docker.DockerClient) -> RuntimeInfo:
    return AnsibleRuntime(client).ensure()

