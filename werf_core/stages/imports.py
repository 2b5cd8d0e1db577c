"""Import stages (importsBeforeInstall, importsAfterInstall, importsBeforeSetup, importsAfterSetup).

Files are copied from another image's stage (its last stage, or the `stage:` one): the conveyor exports `add` from
that stage image as a tar, which is filtered by include/exclude (the git path rules), rebased onto `to`, given the
owner/group, and extracted in the build container. The digest follows the source's content digest.
"""

from __future__ import annotations

import contextlib
import posixpath
import shlex
import tarfile
from pathlib import Path

from werf_core.hashing import sha256_hash
from werf_core.layers.config import ConfigChanges
from werf_core.layers.recipe import LayerRecipe
from werf_core.layers.writer import LayerWriter
from werf_core.stages.base import BuildRecipe, PlainStage, StageContext
from werf_core.stages.dependency_env import dependency_digest, dependency_env
from werf_core.stages.docker_instructions import dockerfile_quote
from werf_core.stages.git_apply import owner_checks
from werf_core.stages.git_layer import member_opener
from werf_core.stages.owner_ids import resolve
from werf_core.stages.spec import ImageSpec, ImportSpec, ImportStage
from werf_core.storage.base import StageDescription

BIN = "/.werf/stapel/bin"


def import_label(source: str) -> str:
    slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in source)[:42]
    return f"werf-import-{slug}"


class ImportsStage(PlainStage):
    def __init__(self, name: str) -> None:
        self.name = name

    def imports(self, spec: ImageSpec) -> list[ImportSpec]:
        return [i for i in spec.imports if i.placement == self.name]

    def is_present(self, spec: ImageSpec) -> bool:
        return bool(self.imports(spec)) or any(d.placement == self.name for d in spec.image_dependencies)

    @staticmethod
    def _source(ctx: StageContext, imp: ImportSpec) -> tuple[str, StageDescription]:
        source = ctx.source_image(imp.source)
        if imp.stage and imp.stage in source.stages:
            return source.stages[imp.stage]
        return source.content_digest, source.last_stage

    def dependencies(self, ctx: StageContext) -> str:
        args: list[str] = []
        for imp in self.imports(ctx.spec):
            content_digest, _ = self._source(ctx, imp)
            args += [content_digest, imp.add, imp.to, imp.group, imp.owner, *imp.include_paths, *imp.exclude_paths]
            if imp.stage:
                args.append(imp.stage)
        deps = dependency_digest(ctx, self.name)   # werf 1.2 `dependencies:` placed at this stage
        return sha256_hash(*args, deps) if deps else sha256_hash(*args)

    def recipe(self, ctx: StageContext) -> BuildRecipe:
        recipe = BuildRecipe()
        work = Path(ctx.tmp_dir) / self.name
        work.mkdir(parents=True, exist_ok=True)
        for index, imp in enumerate(self.imports(ctx.spec)):
            _, stage = self._source(ctx, imp)
            assert ctx.export_path is not None, "the conveyor gives imports a way to export paths"
            exported = ctx.export_path(stage, imp.add)
            rebased = work / f"import-{index}.tar"
            is_dir = rebase_import(exported, rebased, imp)
            name = f"imports/{self.name}-{index}.tar"
            recipe.files[name] = str(rebased)
            target_dir = imp.to if is_dir else posixpath.dirname(imp.to) or "/"
            cmds = recipe.instructions.commands
            cmds += owner_checks(imp)
            cmds.append(f"{BIN}/mkdir -p {shlex.quote(target_dir)}")
            cmds.append(f"{BIN}/tar -xf /.werf/build/{name} -C {shlex.quote(target_dir)}")
            recipe.instructions.labels[import_label(imp.source)] = stage.image_id
        for name, value in dependency_env(ctx, self.name).items():
            recipe.instructions.changes.append(f"ENV {name}={dockerfile_quote(value)}")
        return recipe


    def layer_recipe(self, ctx: StageContext) -> LayerRecipe | None:
        """The imported files as a layer: exported from the source stage (a created, never started, container),
        rebased and filtered exactly as for the container, owned by the IDs the image resolves the names to."""
        prepared = []
        for imp in self.imports(ctx.spec):
            ids = resolve(imp.owner, imp.group, ctx.prev_built.labels if ctx.prev_built else {})
            if ids is None:
                return None
            prepared.append((imp, ids))
        work = Path(ctx.tmp_dir) / f"{self.name}-layer"
        work.mkdir(parents=True, exist_ok=True)
        labels: dict[str, str] = {}
        parts = []
        for index, (imp, ids) in enumerate(prepared):
            _, stage = self._source(ctx, imp)
            rebased = work / f"import-{index}.tar"
            assert ctx.export_path is not None, "the conveyor gives every stage an export_path"
            is_dir = rebase_import(ctx.export_path(stage, imp.add), rebased, imp)
            target_dir = imp.to if is_dir else posixpath.dirname(imp.to) or "/"
            parts.append((rebased, target_dir, ids))
            labels[import_label(imp.source)] = stage.image_id

        def content(writer: LayerWriter, resources: contextlib.ExitStack) -> None:
            for rebased, target_dir, ids in parts:
                copy_import(writer, resources, rebased, target_dir, ids)
        # werf 1.2 `dependencies:` placed at this stage: facts about other images as ENV, as in the container path
        env = list(dependency_env(ctx, self.name).items())
        return LayerRecipe(content=content, changes=ConfigChanges(env=env, labels=labels,
                                                                  created_by=f"werf {self.name}"))


def copy_import(writer: LayerWriter, resources: contextlib.ExitStack, rebased: Path, target_dir: str,
                ids: tuple[int, int]) -> None:
    """A rebased import tar as layer entries under `target_dir` (created root-owned like `mkdir -p`)."""
    root = target_dir.strip("/")
    uid, gid = ids
    if root:
        writer.ensure_directories(root + "/x")
        if not writer.has(root):
            writer.add_directory(root)
    tar = resources.enter_context(tarfile.open(rebased, "r:"))
    for member in tar.getmembers():
        relative = member.name.strip("/")
        relative = "" if relative == "." else relative
        full = f"{root}/{relative}".strip("/") if relative else root
        if not full:
            continue  # the image root itself is never an entry
        if member.isdir():
            writer.add_directory(full, mode=member.mode, uid=uid, gid=gid, mtime=member.mtime)
        elif member.issym():
            # as the container's busybox tar leaves them: links are not chown'ed
            writer.add_symlink(full, member.linkname, mtime=member.mtime)
        elif member.islnk():
            link = member.linkname.strip("/")
            writer.add_hardlink(full, f"{root}/{link}" if root else link, mode=member.mode, uid=uid, gid=gid,
                                mtime=member.mtime)
        elif member.isfile():
            writer.add_file(full, member_opener(tar, member), size=member.size, mode=member.mode, uid=uid, gid=gid,
                            mtime=member.mtime)
        else:
            writer.add_special(full, member, uid=uid, gid=gid)
        writer.ensure_directories(full)


def rebase_import(exported: Path, output: Path, imp: ImportSpec) -> bool:
    """Rewrite Docker's export of `add` (rooted at basename(add)) to be rooted at `to`, filtered and owned.

    Returns True when `add` is a directory (extract into `to`), False for a single file (extract into dirname(to)).
    """
    from werf_core.git.doublestar import DirState
    from werf_core.git.matcher import PathMatcher

    # the same path rules as git mappings, relative to `add`
    matcher = PathMatcher("", tuple(imp.include_paths), tuple(imp.exclude_paths))
    with tarfile.open(exported) as src, tarfile.open(output, "w") as dst:
        members = src.getmembers()
        if not members:
            return True
        root = members[0].name.rstrip("/").split("/")[0]
        is_dir = members[0].isdir()
        for member in members:
            rel = member.name[len(root):].lstrip("/") if member.name.startswith(root) else member.name
            if is_dir and not rel:
                member.name = "."  # the `to` directory itself: gets the import's owner/group, as rsync --chown gives
                _own(member, imp)
                dst.addfile(member)
                continue
            if is_dir and member.isdir():
                if matcher.directory_state(rel) == DirState.NONE:
                    continue
            elif is_dir and not matcher.matches(rel):
                continue
            member.name = rel if is_dir else posixpath.basename(imp.to)
            if member.islnk():
                link_rel = member.linkname[len(root):].lstrip("/")
                member.linkname = link_rel if is_dir else posixpath.basename(imp.to)
            _own(member, imp)
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)
    return is_dir


def _own(member: tarfile.TarInfo, imp: ImportSpec) -> None:
    """Names go into the tar header: busybox tar resolves them in the image's own /etc/passwd and /etc/group."""
    if imp.owner:
        member.uname, member.uid = (imp.owner, 0) if not imp.owner.isdigit() else ("", int(imp.owner))
    if imp.group:
        member.gname, member.gid = (imp.group, 0) if not imp.group.isdigit() else ("", int(imp.group))


STAGES = {stage.value: ImportsStage(stage.value) for stage in ImportStage}
