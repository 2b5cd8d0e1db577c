"""Run one stage's instructions in a build container and commit the result as an image.

The container starts from the previous stage image with the toolchain mounted read-only at /.werf/stapel, runs a
script with the toolchain shell (`set -e`, one command per line) and is committed with werf's labels. The committed
image keeps the parent's ENTRYPOINT, CMD and USER (the container itself runs the toolchain shell as root), and no
build-time environment leaks into it: variables the builders need are exported inside the script, never set on the
container. The container is removed on success, failure, Ctrl-C and SIGTERM alike; it and its temporary directory
carry the marks of `werf_core.leftovers`, so what a killed build leaves behind can be found.
"""

from __future__ import annotations

import json
import secrets
import shlex
import shutil
import string
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from werf_core.builders.instructions import TOOLCHAIN_MOUNT, TOOLCHAIN_SHELL, Bind, ContainerInstructions
from werf_core.errors import BuildError
from werf_core.leftovers import build_container_labels, make_build_tmp_dir

if TYPE_CHECKING:
    import docker

CONTAINER_NAME_PREFIX = "werf.build."
BUILD_DIR_IN_CONTAINER = "/.werf/build"
FAILED_MARKER = "__WERF_FAILED_STEP__"
STEP_MARKER = "__WERF_STEP__"     # printed before each command, so its output can be shown under the command
# `<marker> key=value` lines of the build output become labels of the committed image (facts only the container
# can learn, e.g. the numeric IDs of owner names); they are not shown as output
LABEL_MARKER = "__WERF_LABEL__"
REPORTABLE_LABEL_PREFIX = "werf-owner-id-"   # the only labels a build's output may set: user commands print too
OUTPUT_TAIL_LINES = 30


@dataclass(frozen=True)
class ParentConfig:
    """What the build container must give back to the committed image."""

    entrypoint: list[str] | None
    cmd: list[str] | None
    user: str
    env: tuple[str, ...] = ()

    @classmethod
    def of_image(cls, client: docker.DockerClient, image: str) -> ParentConfig:
        config = client.api.inspect_image(image).get("Config") or {}
        return cls(entrypoint=config.get("Entrypoint"), cmd=config.get("Cmd"), user=config.get("User") or "",
                   env=tuple(config.get("Env") or ()))


def random_container_name() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return CONTAINER_NAME_PREFIX + "".join(secrets.choice(alphabet) for _ in range(10))


def render_script(instructions: ContainerInstructions) -> str:
    """The build script: exports, then each command preceded by its step number, reported on failure."""
    lines = ["set -e", "export PATH=\"${PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}\""]
    for key, value in instructions.env.items():
        lines.append(f"export {key}={shlex.quote(value)}")
    lines.append(f"trap '__werf_rc=$?; if [ $__werf_rc -ne 0 ] && [ -n \"${{__werf_step:-}}\" ]; then "
                 f"echo \"{FAILED_MARKER} $__werf_step $__werf_rc\" >&2; fi' EXIT")
    lines.append("cd /")
    for index, command in enumerate(instructions.commands):
        lines.append(f"__werf_step={index}")
        lines.append(f"echo '{STEP_MARKER} {index}'")
        lines.append(command)
    lines.append("__werf_step=")
    lines.extend(instructions.report_commands)   # werf's own, after the user's commands; they never fail the build
    return "\n".join(lines) + "\n"


def commit_changes(parent: ParentConfig, instructions: ContainerInstructions, ran_as_root: bool) -> list[str]:
    """Dockerfile-style changes that restore the parent's config and apply the stage's own.

    ENTRYPOINT is always emitted (`[""]` when empty) and CMD too (`[]` when empty): otherwise the daemon would fill them
    from the build container's config, i.e. the toolchain shell. As in werf, a new ENTRYPOINT without a CMD resets CMD.
    """
    entrypoint, cmd = parent.entrypoint, parent.cmd
    if instructions.entrypoint is not None:
        entrypoint = instructions.entrypoint
        cmd = instructions.cmd if instructions.cmd is not None else []
    elif instructions.cmd is not None:
        cmd = instructions.cmd
    changes = [f"ENTRYPOINT {json.dumps(entrypoint or [''])}", f"CMD {json.dumps(cmd or [])}"]
    user = instructions.user if instructions.user is not None else parent.user
    if ran_as_root or instructions.user is not None:
        if user:
            changes.append(f"USER {user}")
    changes.extend(instructions.changes)
    return changes


class RunnerGroup:
    """What the container runners of one build share: the cancellation flag (once set, no runner starts a
    container — one may be being created in another thread while `cancel_all` runs) and the containers they
    created, so that images committed from them but never published can be found after an interrupt."""

    def __init__(self, *, background_removal: bool = False) -> None:
        """`background_removal`: committed containers are removed beside the next stages; whoever owns the group
        (the conveyor) calls `wait_for_removals` at the end of the build."""
        self.cancelled = threading.Event()
        self.background_removal = background_removal
        self._created: set[str] = set()
        self._lock = threading.Lock()
        self._removals: list[threading.Thread] = []

    def created(self, container_id: str) -> None:
        with self._lock:
            self._created.add(container_id)

    def remove_in_background(self, remove: Callable[[], None]) -> None:
        """Run `remove` (a finished container's removal) beside the next stages instead of before them. The thread
        is not a daemon: the interpreter waits for it even if `wait_for_removals` is never reached."""
        thread = threading.Thread(target=remove, name="werf-remove-build-container")
        with self._lock:
            self._removals.append(thread)
        thread.start()

    def wait_for_removals(self) -> None:
        """Block until every background removal is done (the end of a build: no build container outlives it)."""
        while True:
            with self._lock:
                pending, self._removals = self._removals, []
            if not pending:
                return
            for thread in pending:
                thread.join()

    def remove_unpublished_images(self, client: docker.DockerClient, project: str) -> None:
        """Remove the untagged images committed from this build's containers (an interrupt between commit and
        publication). Tagged ones — published stages — are never touched."""
        import docker.errors
        with self._lock:
            created = set(self._created)
        if not created:
            return
        try:
            for image in client.api.images(filters={"dangling": True, "label": f"werf={project}"}):
                if client.api.inspect_image(image["Id"]).get("Container") in created:
                    client.api.remove_image(image["Id"], noprune=False)
        except docker.errors.APIError:
            pass


class ContainerRunner:
    """Builds stage images with the Docker engine."""

    def __init__(self, client: docker.DockerClient, *, project: str, toolchain_container: str,
                 on_output: Callable[[str], None] | None = None,
                 on_step: Callable[[int], None] | None = None, group: RunnerGroup | None = None) -> None:
        self.client = client
        self.project = project
        self.toolchain_container = toolchain_container
        self.on_output = on_output
        self.on_step = on_step        # told the index of each command as it starts
        self._active: set[str] = set()
        self._lock = threading.Lock()
        self.group = group if group is not None else RunnerGroup()
        self.cancelled = self.group.cancelled

    def _check_cancelled(self, stage: str) -> None:
        if self.cancelled.is_set():
            raise BuildError(f"stage {stage}: the build was cancelled")

    def cancel_all(self) -> None:
        """Kill and remove running build containers (called from another thread on Ctrl-C or a sibling failure)."""
        self.cancelled.set()
        with self._lock:
            active = list(self._active)
        for container_id in active:
            self._remove(container_id)

    def _remove_interrupted_commit(self, container_id: str, wait: float = 5.0) -> None:
        import time

        import docker.errors
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                for image in self.client.api.images(filters={"dangling": True, "label": f"werf={self.project}"}):
                    if self.client.api.inspect_image(image["Id"]).get("Container") == container_id:
                        self.client.api.remove_image(image["Id"], noprune=False)
                        return
            except docker.errors.APIError:
                return
            time.sleep(0.2)

    def _remove(self, container: str, attempts: int = 40) -> None:
        """Remove a build container for good. An interrupt can land while the engine is still creating or starting
        it; the engine then refuses the removal for a moment (409), so retry for a few seconds."""
        import time

        import docker.errors
        for _ in range(attempts):
            try:
                self.client.api.remove_container(container, force=True, v=True)
                return
            except docker.errors.NotFound:
                return
            except docker.errors.APIError as err:
                if err.status_code != 409 and "in progress" not in str(err):
                    return
            time.sleep(0.25)

    def build(self, from_image: str, instructions: ContainerInstructions, *, stage: str,
              files: dict[str, bytes | str | Path] | None = None,
              describe_failure: Callable[[str], str] | None = None) -> str:
        """Run `instructions` on top of `from_image`; return the committed image ID.

        `files` are placed (read-only) under /.werf/build/<name> for the commands to use: archives, patches, lists.
        """
        import docker.errors

        self._check_cancelled(stage)
        parent = ParentConfig.of_image(self.client, from_image)
        work = make_build_tmp_dir("container")
        container_id = None
        container_name = random_container_name()   # known before the engine answers: an interrupt may land between
        committed = False
        try:
            (work / "script.sh").write_text(render_script(instructions))
            for name, content in (files or {}).items():
                target = work / name
                target.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, bytes):
                    target.write_bytes(content)
                    continue
                try:  # files are paths on the host: link them into the build dir when on the same filesystem
                    target.hardlink_to(content)
                except OSError:
                    shutil.copyfile(content, target)
            binds: dict[str, Mapping[str, str]] = {str(work): {"bind": BUILD_DIR_IN_CONTAINER, "mode": "ro"}}
            for bind in instructions.binds:
                binds[bind.host_path] = {"bind": bind.container_path, "mode": "ro" if bind.read_only else "rw"}
            volumes_from = [f"{self.toolchain_container}:ro",
                            *[v if ":" in v else f"{v}:ro" for v in instructions.volumes_from]]
            run_as_root = bool(parent.user) and parent.user not in ("0", "root", "0:0")
            host_config = self.client.api.create_host_config(binds=binds, volumes_from=volumes_from,
                                                             network_mode="none")
            created = self.client.api.create_container(
                from_image, name=container_name,
                entrypoint=[TOOLCHAIN_SHELL], command=["-e", f"{BUILD_DIR_IN_CONTAINER}/script.sh"],
                user="0:0" if run_as_root else None,
                labels={"werf": self.project, **build_container_labels()},
                host_config=host_config, network_disabled=True)
            container_id = created["Id"]
            self.group.created(container_id)
            with self._lock:
                self._active.add(container_id)
            self._check_cancelled(stage)    # cancel_all ran between create and add: this one was not seen
            self.client.api.start(container_id)
            reported: dict[str, str] = {}
            tail = self._stream_output(container_id, reported)
            exit_code = self.client.api.wait(container_id)["StatusCode"]
            if exit_code != 0:
                if describe_failure is not None:
                    output = "\n".join(line for line in tail if not line.startswith(FAILED_MARKER))
                    raise BuildError(f"stage {stage}: {describe_failure(output)}",
                                     hint="fix the task in werf.yaml; nothing was saved to the stages storage")
                raise self._failure(stage, instructions, exit_code, tail)
            labels = {**reported, **instructions.labels}
            # the changes apply to `conf`: it carries the parent's environment, so `ENV PATH=/x:$PATH` extends the
            # inherited PATH (with Labels alone, `$PATH` would expand to nothing)
            conf: dict[str, object] = {"Labels": labels}
            if parent.env:
                conf["Env"] = list(parent.env)
            try:
                result = self.client.api.commit(
                    container_id, conf=conf,
                    changes=commit_changes(parent, instructions, run_as_root))
            except docker.errors.APIError:
                raise
            except BaseException:
                # interrupted while the engine commits: the image may still appear, without its ID reaching us
                self._remove_interrupted_commit(container_id)
                raise
            image_id: str = result["Id"]
            committed = True
            return image_id
        except docker.errors.ImageNotFound as err:
            raise BuildError(f"stage {stage}: image {from_image} is not in the Docker engine ({err.explanation})",
                             hint="check the `from:` image name, or pull it first") from None
        except docker.errors.APIError as err:
            raise self._refused(stage, err) from None
        finally:
            self._done_with(container_id, container_name, background=committed)
            shutil.rmtree(work, ignore_errors=True)

    def run_command(self, from_image: str, argv: list[str], *, stage: str, env: list[str], user: str,
                    workdir: str, network: str = "none", extra_hosts: list[str] | None = None) -> str:
        """A Dockerfile RUN: `argv` directly in a container of `from_image` (no toolchain, no mounts, so nothing of
        ours lands in the image), as `user` in `workdir`; return the committed image ID. The committed config is
        the container's and must be replaced by the caller (it carries the build args and the command)."""
        import docker.errors

        self._check_cancelled(stage)
        container_id = None
        container_name = random_container_name()   # known before the engine answers: an interrupt may land between
        committed = False
        try:
            host_config = self.client.api.create_host_config(network_mode=network,
                                                             extra_hosts=extra_hosts or None)
            created = self.client.api.create_container(
                from_image, name=container_name, entrypoint=[], command=argv, environment=env,
                user=user or None, working_dir=workdir or "/",
                labels={"werf": self.project, **build_container_labels()},
                host_config=host_config, network_disabled=network == "none")
            container_id = created["Id"]
            self.group.created(container_id)
            with self._lock:
                self._active.add(container_id)
            self._check_cancelled(stage)
            self.client.api.start(container_id)
            tail = self._stream_output(container_id, {})   # a user's output never sets labels here
            exit_code = self.client.api.wait(container_id)["StatusCode"]
            if exit_code != 0:
                output = "\n".join("    " + line for line in tail)
                raise BuildError(f"stage {stage}: the command returned a non-zero code: {exit_code}"
                                 + (f"\n  output (last lines):\n{output}" if output else ""),
                                 hint="fix the RUN instruction; nothing was saved to the stages storage")
            try:
                image_id = str(self.client.api.commit(container_id)["Id"])
            except docker.errors.APIError:
                raise
            except BaseException:
                self._remove_interrupted_commit(container_id)
                raise
            committed = True
            return image_id
        except docker.errors.APIError as err:
            raise self._refused(stage, err) from None
        finally:
            self._done_with(container_id, container_name, background=committed)

    @staticmethod
    def _refused(stage: str, err: docker.errors.APIError) -> BuildError:
        return BuildError(f"stage {stage}: the Docker engine refused the build container: {err.explanation}",
                          hint="check `docker info` and the daemon log")

    def _done_with(self, container_id: str | None, container_name: str, *, background: bool = False) -> None:
        """Forget and remove a build container — by name when the create call itself was interrupted. After a
        successful commit (`background`), in a group that allows it, the removal runs beside the next stages; the
        build waits for it at its end (`RunnerGroup.wait_for_removals`)."""
        if container_id is not None:
            with self._lock:
                self._active.discard(container_id)
        target = container_id or container_name
        if background and self.group.background_removal:
            self.group.remove_in_background(lambda: self._remove(target))
        else:
            self._remove(target)

    def _stream_output(self, container_id: str, reported: dict[str, str]) -> deque[str]:
        tail: deque[str] = deque(maxlen=OUTPUT_TAIL_LINES)
        pending = b""
        for chunk in self.client.api.logs(container_id, stream=True, follow=True):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for raw in lines:
                self._emit(raw, tail, reported)
        if pending:
            self._emit(pending, tail, reported)
        return tail

    def _emit(self, raw: bytes, tail: deque[str], reported: dict[str, str]) -> None:
        line = raw.decode(errors="replace").rstrip("\r")
        if line.startswith(LABEL_MARKER + " "):
            key, sep, value = line[len(LABEL_MARKER) + 1:].partition("=")
            key, value = key.strip(), value.strip()
            if sep and key.startswith(REPORTABLE_LABEL_PREFIX) and value.isdigit() and len(key) < 128 \
                    and len(reported) < 256:
                reported[key] = value
            return
        if line.startswith(STEP_MARKER):     # ours: which command starts now
            index = line[len(STEP_MARKER):].strip()
            if self.on_step is not None and index.isdigit():
                self.on_step(int(index))
            return
        tail.append(line)
        if self.on_output and not line.startswith(FAILED_MARKER):  # the marker is ours, not the user's output
            self.on_output(line)

    @staticmethod
    def _failure(stage: str, instructions: ContainerInstructions, exit_code: int, tail: deque[str]) -> BuildError:
        step = None
        for line in tail:
            if line.startswith(FAILED_MARKER):
                parts = line.split()
                if len(parts) >= 3 and parts[1].isdigit():
                    step, exit_code = int(parts[1]), int(parts[2])
        output = "\n".join("    " + line for line in tail if not line.startswith(FAILED_MARKER))
        if step is not None and step < len(instructions.commands):
            what = f"command `{instructions.commands[step]}` failed with exit code {exit_code}"
        else:
            what = f"the build script failed with exit code {exit_code}"
        message = f"stage {stage}: {what}"
        if output:
            message += "\n  output (last lines):\n" + output
        return BuildError(message, hint="fix the command in werf.yaml; nothing was saved to the stages storage")


__all__ = ["ContainerRunner", "RunnerGroup", "ParentConfig", "render_script", "commit_changes", "Bind", "TOOLCHAIN_MOUNT"]
