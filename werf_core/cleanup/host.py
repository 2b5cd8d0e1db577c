"""Host cleanup: what builds leave on this machine — leftover containers and temp dirs, dangling images, and (LRU)
local stage images when the Docker storage volume fills up.

What is matched, generously but never something alive:
- **containers** labelled `werf` (every container our builder and import export create carries `werf=<project>`)
  or named `werf.build.*` (werf's naming), that are not running and finished (or were created) more than
  `min_age` ago — a running build's container is running, or exited only for the instant before its commit;
- **temporary directories** in the werf tmp dir (`$WERF_TMP_DIR`, else `$TMPDIR`, else /tmp): a build's work dir
  (`werf-<project>-*`) holds an in-use marker (flock) while the build runs, so a directory with a free marker is a
  leftover; a marker-less `werf-build-*`/`werf-*-build-*` directory (a build container's files) is a leftover when
  older than `min_age` and no running container mounts it;
- **dangling images** labelled `werf` older than `min_age` whose digest no running build holds (see stage leases);
- **LRU GC**: when the volume holding the Docker root dir is above `allowed_usage` %, local stage images
  (labelled `werf-stage-signature`) are removed least recently used first (last use recorded by builds, see
  werf_core/storage/lru.py; else creation time) until usage is below `allowed_usage - margin` %. Images that a
  container uses or whose digest a running build holds are skipped.
Everything runs under the host lock `host-cleanup`, so two cleanups never race each other.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werf_core import paths
from werf_core.cleanup.report import CleanupReport
from werf_core.cleanup.volume import UsageProbe, VolumeUsage, statvfs_usage
from werf_core.fsutil import in_use_marker_held
from werf_core.storage import lru
from werf_core.sync.file_locker import FileLocker
from werf_core.sync.lock_names import stage_in_use_lock_name

MIN_AGE = 600.0
HOST_CLEANUP_LOCK = "host-cleanup"
BUILD_CONTAINER_PREFIX = "werf.build."
STAGE_LABEL = "werf-stage-signature"


def docker_volume_usage(client: Any) -> UsageProbe | None:
    """statvfs of the Docker root dir, if this host can see it (a remote engine's volume cannot be measured)."""
    try:
        root = client.info().get("DockerRootDir") or "/var/lib/docker"
        os.statvfs(root)
    except (OSError, Exception):
        return None

    def probe() -> VolumeUsage:
        return statvfs_usage(root)
    return probe


@dataclass
class HostCleanupOptions:
    allowed_usage: float = 70.0             # --allowed-docker-storage-volume-usage
    margin: float = 5.0                     # --allowed-docker-storage-volume-usage-margin
    min_age: float = MIN_AGE
    project: str | None = None              # only this project's leftovers (auto cleanup after a build)
    deadline: float | None = None           # time.monotonic() value after which nothing more is removed
    lru: bool = True
    lru_project: str | None = None          # LRU GC of this project's stage images only (default: every project)


def _past_deadline(options: HostCleanupOptions) -> bool:
    return options.deadline is not None and time.monotonic() >= options.deadline


def _docker_time(value: str) -> float:
    from werf_core.registry.image_info import parse_go_time_ns
    return parse_go_time_ns(value) / 1e9


def _in_use(locker: FileLocker, project: str, digest: str) -> bool:
    handle = locker.acquire(stage_in_use_lock_name(project, digest), non_blocking=True)
    if handle is None:
        return True
    handle.release()
    return False


def remove_leftover_containers(client: Any, options: HostCleanupOptions, report: CleanupReport, now: float) -> None:
    import docker.errors
    filters = {"label": f"werf={options.project}"} if options.project else {"label": "werf"}
    seen = {c["Id"]: c for c in client.api.containers(all=True, filters=filters)}
    if not options.project:
        for c in client.api.containers(all=True, filters={"name": BUILD_CONTAINER_PREFIX}):
            seen.setdefault(c["Id"], c)
    for cid, summary in sorted(seen.items()):
        if _past_deadline(options):
            return
        names = [n.lstrip("/") for n in summary.get("Names") or []]
        if summary.get("State") == "running" or "werf-toolchain" in (summary.get("Labels") or {}):
            continue
        try:
            state = client.api.inspect_container(cid).get("State") or {}
        except docker.errors.NotFound:
            continue
        ended = max(_docker_time(state.get("FinishedAt", "")), float(summary.get("Created") or 0))
        if state.get("Running") or now - ended < options.min_age:
            continue
        name = names[0] if names else cid[:12]
        if not report.dry_run:
            try:
                client.api.remove_container(cid, force=True, v=True)
            except docker.errors.APIError as err:
                report.warn(f"cannot remove container {name}: {err.explanation or err}")
                continue
        report.deleted("host.containers", name, f"leftover build container ({state.get('Status', 'stopped')})")


def _mounted_sources(client: Any) -> set[str]:
    sources: set[str] = set()
    for c in client.api.containers(filters={"status": "running"}):
        for mount in c.get("Mounts") or []:
            if mount.get("Source"):
                sources.add(os.path.realpath(mount["Source"]))
    return sources


def remove_leftover_tmp_dirs(client: Any, options: HostCleanupOptions, report: CleanupReport, now: float) -> None:
    root = paths.tmp_dir()
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return
    mounted: set[str] | None = None
    for entry in entries:
        if _past_deadline(options):
            return
        if not entry.name.startswith("werf") or not entry.is_dir(follow_symlinks=False):
            continue
        if options.project and not entry.name.startswith(f"werf-{options.project}-"):
            continue
        held = in_use_marker_held(entry.path)
        if held:
            continue
        if held is None:
            # no marker: only a build container's own directory is ours to judge (never e.g. a registry's data)
            if not (entry.name.startswith("werf-build-") or "-build-" in entry.name):
                continue
            try:
                if now - entry.stat(follow_symlinks=False).st_mtime < options.min_age:
                    continue
            except OSError:
                continue
            if mounted is None:
                mounted = _mounted_sources(client)
            real = os.path.realpath(entry.path)
            if any(m == real or m.startswith(real + os.sep) for m in mounted):
                continue
        if not report.dry_run:
            shutil.rmtree(entry.path, ignore_errors=True)
        report.deleted("host.tmpDirs", entry.path, "left by a build that is no longer running")


def remove_dangling_images(client: Any, locker: FileLocker, options: HostCleanupOptions, report: CleanupReport,
                           now: float) -> None:
    import docker.errors
    label = f"werf={options.project}" if options.project else "werf"
    for image in client.api.images(filters={"dangling": True, "label": label}):
        if _past_deadline(options):
            return
        labels = image.get("Labels") or {}
        if now - float(image.get("Created") or 0) < options.min_age:
            continue
        digest, project = labels.get(STAGE_LABEL), labels.get("werf")
        if digest and project and _in_use(locker, project, digest):
            continue
        if not report.dry_run:
            try:
                client.api.remove_image(image["Id"], noprune=False)
            except docker.errors.APIError:
                continue      # used by a container, or a parent of another image: not dangling after all
        report.deleted("host.images", image["Id"], "dangling werf image")


def lru_gc(client: Any, locker: FileLocker, usage: UsageProbe, options: HostCleanupOptions,
           report: CleanupReport) -> None:
    """Remove least recently used local stage images until the volume is below allowed_usage - margin."""
    import docker.errors
    current = usage()
    if current.percent <= options.allowed_usage:
        return
    target = options.allowed_usage - options.margin
    report.say(f"Docker storage volume at {current.percent:.1f}% (allowed {options.allowed_usage:g}%): removing "
               f"least recently used stage images down to {target:g}%")
    candidates = []
    labels_filter = [STAGE_LABEL] + ([f"werf={options.lru_project}"] if options.lru_project else [])
    for image in client.api.images(filters={"label": labels_filter}):
        tags = [t for t in image.get("RepoTags") or [] if t != "<none>:<none>"]
        if not tags:
            continue
        used = max((lru.last_use(t) or 0.0 for t in tags), default=0.0) or float(image.get("Created") or 0)
        candidates.append((used, image["Id"], tags, image.get("Labels") or {}, int(image.get("Size") or 0)))
    candidates.sort(key=lambda c: (c[0], c[1]))
    in_use_images = {c.get("ImageID") for c in client.api.containers(all=True)}
    freed = 0       # a dry run removes nothing: it estimates the volume from the images' sizes instead

    def percent() -> float:
        now_usage = usage()
        return 100.0 * (now_usage.used - freed) / now_usage.total if now_usage.total else 0.0

    for _, image_id, tags, labels, size in candidates:
        if _past_deadline(options) or percent() <= target:
            return
        if image_id in in_use_images:
            continue
        digest, project = labels.get(STAGE_LABEL), labels.get("werf")
        if digest and project and _in_use(locker, project, digest):
            continue
        if report.dry_run:
            freed += size
        else:
            failed = False
            for tag in tags:
                try:
                    client.api.remove_image(tag, noprune=False)
                    lru.forget(tag)
                except docker.errors.ImageNotFound:
                    pass
                except docker.errors.APIError as err:
                    report.warn(f"cannot remove {tag}: {err.explanation or err}")
                    failed = True
            if failed:
                continue
        report.deleted("host.images", ", ".join(tags), "least recently used stage image")
    if percent() > target:
        report.warn(f"the Docker storage volume is still above {target:g}% after removing every removable stage "
                    "image")


def host_cleanup(client: Any, options: HostCleanupOptions, report: CleanupReport, *,
                 usage: UsageProbe | None = None, now: Callable[[], float] = time.time, wait: bool = True) -> bool:
    """Run the host cleanup; False (nothing done) when `wait` is off and another host cleanup is running."""
    locker = FileLocker(paths.locks_dir())
    lock_options: dict[str, Any] = {"timeout": 600} if wait else {"non_blocking": True}
    with locker.locked(HOST_CLEANUP_LOCK, **lock_options) as handle:
        if handle is None:
            return False
        remove_leftover_containers(client, options, report, now())
        remove_leftover_tmp_dirs(client, options, report, now())
        remove_dangling_images(client, locker, options, report, now())
        if options.lru:
            probe = usage or docker_volume_usage(client)
            if probe is None:
                report.warn("cannot measure the Docker storage volume from this host: LRU cleanup skipped")
            else:
                lru_gc(client, locker, probe, options, report)
    return True


AUTO_TIME_BUDGET = 15.0


def auto_host_cleanup(client: Any, project: str, report: CleanupReport, *,
                      allowed_usage: float = 70.0, margin: float = 5.0,
                      budget: float = AUTO_TIME_BUDGET, usage: UsageProbe | None = None) -> bool:
    """The cleanup that follows every build: this project's leftovers and, above the allowed volume usage, the LRU
    GC of all local stage images — bounded to `budget` seconds, and skipped when another host cleanup runs."""
    options = HostCleanupOptions(allowed_usage=allowed_usage, margin=margin, project=project,
                                 deadline=time.monotonic() + budget)
    return host_cleanup(client, options, report, usage=usage, wait=False)


def host_purge(client: Any, report: CleanupReport, *, force: bool = False, project: str | None = None) -> None:
    """Every werf image and container on this host (all projects, or only `project`'s), the toolchain container and
    werf's host caches (all projects only)."""
    import docker.errors
    locker = FileLocker(paths.locks_dir())
    label = f"werf={project}" if project else "werf"
    with locker.locked(HOST_CLEANUP_LOCK, timeout=600):
        containers = client.api.containers(all=True, filters={"label": label})
        if not project:
            containers += client.api.containers(all=True, filters={"label": "werf-toolchain"})
        for c in containers:
            if c.get("State") == "running" and not force:
                report.warn(f"container {c['Id'][:12]} is running: left in place (use --force)")
                continue
            if not report.dry_run:
                try:
                    client.api.remove_container(c["Id"], force=True, v=True)
                except docker.errors.APIError as err:
                    report.warn(f"cannot remove container {c['Id'][:12]}: {err.explanation or err}")
                    continue
            report.deleted("host.containers", c["Id"][:12], "purge")
        for _ in range(10):      # stage images are parents of one another: sweep until nothing moves
            removed_any = False
            for image in client.api.images(filters={"label": label}):
                names = [t for t in image.get("RepoTags") or [] if t != "<none>:<none>"] or [image["Id"]]
                if not report.dry_run:
                    try:
                        client.api.remove_image(image["Id"], force=True, noprune=False)
                    except docker.errors.APIError:
                        continue
                    removed_any = True
                report.deleted("host.images", ", ".join(names), "purge")
            if report.dry_run or not removed_any:
                break
        for directory in () if project else (paths.werf_home() / "local_cache", paths.werf_home() / "shared_context"):
            if directory.exists():
                if not report.dry_run:
                    shutil.rmtree(directory, ignore_errors=True)
                report.deleted("host.tmpDirs", str(directory), "purge")
