"""A minimal build-container runner for the ansible tests, written with the docker SDK as the brief asks.

It does what the real runner does in the parts that matter here: a container from the base image with the
instructions' volumes_from and binds, root, workdir /, networking off, the commands run by the runtime's shell with
`set -e`; then `docker commit`. Everything it creates is labelled with the test's project name.
"""

from __future__ import annotations

import io
import shlex
import tarfile
import time
from dataclasses import dataclass

from werf_core.builders.ansible.layout import RUNTIME_SHELL
from werf_core.builders.instructions import ContainerInstructions


@dataclass
class StageRun:
    exit_code: int
    output: str
    image_id: str | None  # committed image, only when the commands succeeded
    changed_paths: list[str]  # `docker diff` of the build container
    seconds: float


def run_stage(client, base_image: str, instructions: ContainerInstructions, *, project: str) -> StageRun:
    script = "\n".join([*(f"export {k}={shlex.quote(v)}" for k, v in instructions.env.items()),
                        "cd /", *instructions.commands])
    binds = {b.host_path: {"bind": b.container_path, "mode": "ro" if b.read_only else "rw"}
             for b in instructions.binds}
    started = time.monotonic()
    container = client.containers.create(
        base_image, entrypoint=[RUNTIME_SHELL, "-ec"], command=[script], user="0:0", working_dir="/",
        volumes_from=instructions.volumes_from, volumes=binds, network_disabled=True, network_mode="none",
        labels={"werf": project})
    try:
        container.start()
        exit_code = container.wait()["StatusCode"]
        output = container.logs(stdout=True, stderr=True).decode(errors="replace")
        seconds = time.monotonic() - started
        changed = [c["Path"] for c in container.diff() or []]
        image_id = None
        if exit_code == 0:
            image_id = container.commit(repository=f"werf-stages-storage/{project}",
                                        tag=f"ansible-{int(time.time() * 1000)}",
                                        conf={"Labels": {"werf": project}}).id
        return StageRun(exit_code, output, image_id, changed, seconds)
    finally:
        container.remove(force=True, v=True)


@dataclass
class ImageFile:
    uid: int
    gid: int
    mode: int
    is_dir: bool
    content: bytes | None

    @property
    def text(self) -> str | None:
        return None if self.content is None else self.content.decode()


class ImageFiles:
    """Reads files of an image without running it: one created container, `docker cp`-style archives."""

    def __init__(self, client, image_id: str, *, project: str) -> None:
        self.container = client.containers.create(image_id, labels={"werf": project})

    def __enter__(self) -> ImageFiles:
        return self

    def __exit__(self, *exc) -> None:
        self.container.remove(force=True)

    def get(self, path: str) -> ImageFile | None:
        import docker.errors

        try:
            stream, _ = self.container.get_archive(path)
        except docker.errors.NotFound:
            return None
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            member = tar.getmembers()[0]
            content = tar.extractfile(member).read() if member.isfile() else None
            return ImageFile(member.uid, member.gid, member.mode, member.isdir(), content)

    def text(self, path: str) -> str | None:
        found = self.get(path)
        return None if found is None else found.text
