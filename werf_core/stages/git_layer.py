"""Git archives and patches as image layers, without a container (the layer-native form of git_apply.py).

The layer holds what the container commands of git_apply.py leave in the image:
- archive: the mapping's files under the extraction directory, owned by the mapping's owner/group;
- patch: added and changed files with their new content, OCI whiteouts for deleted ones.
Directories: the extraction directory (owned like its content when it is `to`, as `_prepare_dir` creates it) and
every directory below it that the layer touches are entries owned by the mapping's owner/group, mode 0755, as the
archive created them; directories above it are root-owned 0755, as `mkdir -p` creates them. (A directory a user
stage re-owned or re-moded inside a mapping's target gets those attributes back when a later patch touches it.)

Owner/group names resolve to the IDs the image's last container stage reported (owner_ids.py).

Not layer-native, so built in a container as before:
- owner/group names the image did not resolve (yet): the container reports the missing user clearly;
- patches that empty directories: the container removes such a directory only if the build put nothing else in it,
  which only the image's filesystem can tell.
Mtimes are the commit's time (what the tars already carry), so layers are byte-identical on every runner.
"""

from __future__ import annotations

import contextlib
import posixpath
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from werf_core.layers.config import ConfigChanges
from werf_core.layers.recipe import LayerContent, LayerRecipe
from werf_core.layers.writer import LayerWriter
from werf_core.stages.base import StageContext, commit_label, type_label
from werf_core.stages.git_patches import patches
from werf_core.stages.git_runtime import ArchiveData, GitMappingRuntime, PatchData
from werf_core.stages.owner_ids import resolve


def owner_ids(ctx: StageContext, owner: str, group: str) -> tuple[int, int] | None:
    """(uid, gid) of a mapping's owner/group as the image resolves them (see owner_ids.py); None if unknown."""
    return resolve(owner, group, ctx.prev_built.labels if ctx.prev_built else {})


def _read_names(path: str) -> list[str]:
    data = Path(path).read_bytes()
    return [n.decode("utf-8", "surrogateescape") for n in data.split(b"\0") if n]


def _directories(writer: LayerWriter, mapping: GitMappingRuntime, extract_dir: str, names: list[str],
                 ids: tuple[int, int]) -> None:
    """Entries for the extraction directory, its ancestors, and the ancestors of `names` below it."""
    root = extract_dir.strip("/")
    uid, gid = ids
    if root:
        writer.ensure_directories(root + "/x")  # ancestors of the extraction directory: root-owned
        owned = extract_dir.rstrip("/") == mapping.to.rstrip("/")
        writer.add_directory(root, uid=uid if owned else 0, gid=gid if owned else 0)
    for name in names:
        parent = posixpath.dirname(name)
        while parent:
            full = f"{root}/{parent}" if root else parent
            if not writer.has(full):
                writer.add_directory(full, uid=uid, gid=gid)
            parent = posixpath.dirname(parent)


def member_opener(tar: tarfile.TarFile, member: tarfile.TarInfo) -> Callable[[], IO[bytes] | None]:
    return lambda: tar.extractfile(member)


def _copy_tar(writer: LayerWriter, resources: contextlib.ExitStack, tar_path: str, extract_dir: str,
              ids: tuple[int, int]) -> list[str]:
    """The members of a git tar (archive or patch) under `extract_dir`; returns their relative names."""
    tar = resources.enter_context(tarfile.open(tar_path, "r:", encoding="utf-8", errors="surrogateescape"))
    root = extract_dir.strip("/")
    uid, gid = ids
    names = []
    for member in tar.getmembers():
        relative = member.name.rstrip("/")
        names.append(relative)
        full = f"{root}/{relative}" if root else relative
        if member.isdir():
            writer.add_directory(full, mode=member.mode, uid=uid, gid=gid, mtime=member.mtime)
        elif member.issym():
            writer.add_symlink(full, member.linkname, uid=uid, gid=gid, mtime=member.mtime)
        else:
            writer.add_file(full, member_opener(tar, member), size=member.size, mode=member.mode, uid=uid, gid=gid,
                            mtime=member.mtime)
    return names


def _archive_content(mapping: GitMappingRuntime, archive: ArchiveData, ids: tuple[int, int]) -> LayerContent:
    def content(writer: LayerWriter, resources: contextlib.ExitStack) -> None:
        names = _copy_tar(writer, resources, archive.tar_path, archive.extract_dir, ids)
        _directories(writer, mapping, archive.extract_dir, names, ids)
    return content


def _patch_content(mapping: GitMappingRuntime, patch: PatchData, ids: tuple[int, int]) -> LayerContent:
    def content(writer: LayerWriter, resources: contextlib.ExitStack) -> None:
        names = _copy_tar(writer, resources, patch.tar_path, patch.extract_dir, ids)
        added = set(names)
        deleted = [n for n in _read_names(patch.removals_path) if n not in added]
        root = patch.extract_dir.strip("/")
        for name in deleted:
            writer.add_whiteout(f"{root}/{name}" if root else name)
        _directories(writer, mapping, patch.extract_dir, names + deleted, ids)
    return content


def _chain(parts: list[LayerContent]) -> LayerContent:
    def content(writer: LayerWriter, resources: contextlib.ExitStack) -> None:
        for part in parts:
            part(writer, resources)
    return content


def _commit_mtime(ctx: StageContext) -> int:
    if not ctx.git:
        return 0
    mapping = ctx.git[0]
    return int(mapping.repository.commit_timestamp(mapping.current_commit))


def archive_layer_recipe(ctx: StageContext, work_dir: str) -> LayerRecipe | None:
    labels: dict[str, str] = {}
    parts: list[LayerContent] = []
    for mapping in ctx.git:
        ids = owner_ids(ctx, mapping.owner, mapping.group)
        if ids is None:
            return None
        archive = mapping.archive(work_dir)
        labels[commit_label(mapping.paramshash)] = mapping.current_commit
        labels[type_label(mapping.paramshash)] = archive.type
        if not archive.empty:
            parts.append(_archive_content(mapping, archive, ids))
    return LayerRecipe(content=_chain(parts) if parts else None,
                       changes=ConfigChanges(labels=labels, created_by="werf gitArchive"), mtime=_commit_mtime(ctx))


def patch_layer_recipe(ctx: StageContext, stage: str) -> LayerRecipe | None:
    labels: dict[str, str] = {}
    parts: list[LayerContent] = []
    for mapping, patch in patches(ctx, stage):
        if patch is None:
            continue
        ids = owner_ids(ctx, mapping.owner, mapping.group)
        if ids is None or _read_names(patch.emptied_dirs_path):
            return None
        labels[commit_label(mapping.paramshash)] = mapping.current_commit
        if not patch.empty:
            parts.append(_patch_content(mapping, patch, ids))
    return LayerRecipe(content=_chain(parts) if parts else None,
                       changes=ConfigChanges(labels=labels, created_by=f"werf {stage}"), mtime=_commit_mtime(ctx))
