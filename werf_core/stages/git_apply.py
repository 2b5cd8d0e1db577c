"""Container commands that apply git archives and patches with the toolchain only (no git in the image).

Ownership: tar entries carry the mapping's owner/group names, which busybox tar resolves in the image's own
/etc/passwd and /etc/group; the commands check first that those names exist there, so a missing user is a clear
error instead of files silently owned by a numeric ID.
"""

from __future__ import annotations

import shlex

from werf_core.stages.base import BuildRecipe, commit_label, type_label
from werf_core.stages.git_runtime import ArchiveData, GitMappingRuntime, PatchData

BIN = "/.werf/stapel/bin"
IN_CONTAINER = "/.werf/build"


def _owner_checks(mapping: GitMappingRuntime) -> list[str]:
    checks = []
    if mapping.owner and not mapping.owner.isdigit():
        checks.append(f"{BIN}/id -u {shlex.quote(mapping.owner)} >/dev/null 2>&1 || "
                      f"{{ echo 'git mapping to {mapping.to}: user {mapping.owner} does not exist in the image "
                      f"(create it in beforeInstall)' >&2; exit 1; }}")
    if mapping.group and not mapping.group.isdigit():
        checks.append(f"{BIN}/grep -q '^{mapping.group}:' /etc/group 2>/dev/null || "
                      f"{{ echo 'git mapping to {mapping.to}: group {mapping.group} does not exist in the image "
                      f"(create it in beforeInstall)' >&2; exit 1; }}")
    return checks


def _ensure_dir(mapping: GitMappingRuntime, directory: str) -> str:
    q = shlex.quote(directory)
    owner = ""
    if mapping.owner or mapping.group:
        owner = f" && {BIN}/chown {shlex.quote(mapping.owner)}{':' + shlex.quote(mapping.group) if mapping.group else ''} {q}"
    return f"[ -d {q} ] || {{ {BIN}/mkdir -p {q}{owner}; }}"


def add_archive(recipe: BuildRecipe, mapping: GitMappingRuntime, archive: ArchiveData) -> None:
    recipe.instructions.labels[commit_label(mapping.paramshash)] = mapping.current_commit
    recipe.instructions.labels[type_label(mapping.paramshash)] = archive.type
    if archive.empty:
        return
    name = f"git/{mapping.paramshash}.archive.tar"
    recipe.files[name] = archive.tar_path
    commands = recipe.instructions.commands
    commands += _owner_checks(mapping)
    commands.append(_ensure_dir(mapping, archive.extract_dir))
    commands.append(f"{BIN}/tar -xf {IN_CONTAINER}/{name} -C {shlex.quote(archive.extract_dir)}")


def add_patch(recipe: BuildRecipe, mapping: GitMappingRuntime, patch: PatchData) -> None:
    recipe.instructions.labels[commit_label(mapping.paramshash)] = mapping.current_commit
    if patch.empty:
        return
    base = f"git/{mapping.paramshash}.patch"
    recipe.files[f"{base}.tar"] = patch.tar_path
    recipe.files[f"{base}.deleted"] = patch.deleted_list_path
    recipe.files[f"{base}.prune"] = patch.prune_dirs_path
    d = shlex.quote(patch.extract_dir)
    commands = recipe.instructions.commands
    commands += _owner_checks(mapping)
    commands.append(_ensure_dir(mapping, patch.extract_dir))
    # deleted paths first (a file may turn into a directory or a symlink), then new content, then empty dirs
    commands.append(f"cd {d} && {BIN}/xargs -0 -r {BIN}/rm -rf -- < {IN_CONTAINER}/{base}.deleted; cd /")
    commands.append(f"{BIN}/tar -xf {IN_CONTAINER}/{base}.tar -C {d}")
    commands.append(f"cd {d} && {BIN}/xargs -0 -r {BIN}/rmdir -- < {IN_CONTAINER}/{base}.prune 2>/dev/null "
                    f"|| true; cd /")
