"""Container commands that apply git archives and patches with the toolchain only (no git in the image).

The steps mirror the reference semantics of werf_core.git (see werf_core/git/patch.py): remove changed and deleted
files (never directories), remove directories that became empty, then extract the tar as root.

Ownership: tars carry numeric IDs (root); when the mapping has an owner/group, the extracted entries (exactly the
tar's members, listed in a NUL-separated file) are chown'ed by name inside the image, so names resolve against the
image's own /etc/passwd and /etc/group — and a missing user is one clear error.
"""

from __future__ import annotations

import shlex

from werf_core.stages.base import BuildRecipe, commit_label, type_label
from werf_core.stages.git_runtime import ArchiveData, GitMappingRuntime, PatchData
from werf_core.stages.spec import ImportSpec

BIN = "/.werf/stapel/bin"
IN_CONTAINER = "/.werf/build"


def _owner_spec(mapping: GitMappingRuntime) -> str:
    if not (mapping.owner or mapping.group):
        return ""
    return f"{mapping.owner}{':' + mapping.group if mapping.group else ''}"


def owner_checks(mapping: GitMappingRuntime | ImportSpec) -> list[str]:
    """Fail clearly when the owner/group a mapping or import names does not exist in the image."""
    checks: list[str] = []
    if mapping.owner and not mapping.owner.isdigit():
        checks.append(f"{BIN}/id -u {shlex.quote(mapping.owner)} >/dev/null 2>&1 || "
                      f"{{ echo 'files for {mapping.to}: user {mapping.owner} does not exist in the image "
                      f"(create it in beforeInstall)' >&2; exit 1; }}")
    if mapping.group and not mapping.group.isdigit():
        checks.append(f"{BIN}/grep -q '^{mapping.group}:' /etc/group 2>/dev/null || "
                      f"{{ echo 'files for {mapping.to}: group {mapping.group} does not exist in the image "
                      f"(create it in beforeInstall)' >&2; exit 1; }}")
    return checks


def _prepare_dir(mapping: GitMappingRuntime, directory: str) -> str:
    q = shlex.quote(directory)
    owner = _owner_spec(mapping)
    chown = f" && {BIN}/chown {shlex.quote(owner)} {q}" if owner and directory == mapping.to else ""
    return f"if [ ! -d {q} ]; then {BIN}/mkdir -p {q}{chown}; fi"


def _extract(mapping: GitMappingRuntime, tar: str, names: str, directory: str) -> list[str]:
    q = shlex.quote(directory)
    commands = [f"{BIN}/tar -xf {tar} -C {q}"]
    owner = _owner_spec(mapping)
    if owner:
        commands.append(f"cd {q} && {BIN}/xargs -0 -r {BIN}/chown -h {shlex.quote(owner)} -- < {names}; cd /")
    return commands


def add_archive(recipe: BuildRecipe, mapping: GitMappingRuntime, archive: ArchiveData) -> None:
    recipe.instructions.labels[commit_label(mapping.paramshash)] = mapping.current_commit
    recipe.instructions.labels[type_label(mapping.paramshash)] = archive.type
    if archive.empty:
        return
    base = f"git/{mapping.paramshash}.archive"
    recipe.files[f"{base}.tar"] = archive.tar_path
    recipe.files[f"{base}.names"] = archive.names_path
    commands = recipe.instructions.commands
    commands += owner_checks(mapping)
    commands.append(_prepare_dir(mapping, archive.extract_dir))
    commands += _extract(mapping, f"{IN_CONTAINER}/{base}.tar", f"{IN_CONTAINER}/{base}.names", archive.extract_dir)


def add_patch(recipe: BuildRecipe, mapping: GitMappingRuntime, patch: PatchData) -> None:
    recipe.instructions.labels[commit_label(mapping.paramshash)] = mapping.current_commit
    if patch.empty:
        return
    base = f"git/{mapping.paramshash}.patch"
    for suffix, path in (("tar", patch.tar_path), ("names", patch.names_path), ("removals", patch.removals_path),
                         ("emptied", patch.emptied_dirs_path)):
        recipe.files[f"{base}.{suffix}"] = path
    d = shlex.quote(patch.extract_dir)
    inside = f"{IN_CONTAINER}/{base}"
    commands = recipe.instructions.commands
    commands += owner_checks(mapping)
    commands.append(_prepare_dir(mapping, patch.extract_dir))
    # rm -f refuses directories, as the reference semantics want (a build may have put a directory there)
    commands.append(f"cd {d} && {{ {BIN}/xargs -0 -r {BIN}/rm -f -- < {inside}.removals 2>/dev/null || true; }}; cd /")
    commands.append(f"cd {d} && {{ {BIN}/xargs -0 -r {BIN}/rmdir -- < {inside}.emptied 2>/dev/null || true; }}; cd /")
    commands += _extract(mapping, f"{inside}.tar", f"{inside}.names", patch.extract_dir)
