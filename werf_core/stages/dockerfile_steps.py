"""Dockerfile instructions as stage kinds: one stage per instruction, named after it (`RUN#4`, `COPY#7`).

FROM is the base image plus werf's labels; RUN runs in a container on the parent stage; every other instruction is
layer-native (COPY/ADD/WORKDIR write a layer in-process) or config-only (the exact runtime config the planner
computed). A step's digest input is the instruction after substitution with the build args it uses, plus for
COPY/ADD the checksum of exactly the context files it reads, or the digest of the stage it copies from.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import posixpath
import stat
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from werf_core.dockerfile.context import BuildContext, ContextEntry, ContextError, glob_regex
from werf_core.dockerfile.errors import DockerfileError
from werf_core.dockerfile.plan import Plan, Stage, Step
from werf_core.errors import WerfError
from werf_core.hashing import sha256_hash
from werf_core.layers.config import ConfigChanges
from werf_core.layers.recipe import LayerRecipe
from werf_core.layers.writer import LayerWriter
from werf_core.stages.base import BuildRecipe, PlainStage, StageContext
from werf_core.storage.base import StageDescription

# the stage a COPY --from reads: its last stage image and that stage's digest
StageLookup = Callable[[int], tuple[StageDescription, str]]


@dataclass
class DockerfileStepKind(PlainStage):
    plan: Plan
    stage: Stage
    step: Step
    context: BuildContext
    stage_lookup: StageLookup
    # a tar of a path inside an external image (COPY --from=<image>), pulled if the engine lacks it
    image_exporter: Callable[[str, str], Path] | None = None

    def __post_init__(self) -> None:
        self.name = self.step.name
        self._entries: list[ContextEntry] | None = None
        self._into_directory: bool | None = None
        self._stats: dict[str, tuple[int, int, int] | None] = {}

    def error(self, message: str, hint: str | None = None) -> DockerfileError:
        return DockerfileError(f"{self.step.keyword}: {message}", path=self.plan.path, line=self.step.line,
                               hint=hint)

    # ------------------------------------------------------------------ digest
    def context_entries(self) -> list[ContextEntry]:
        copy = self.step.copy
        assert copy is not None
        if self._entries is None:
            try:
                self._entries = self.context.entries(copy.sources, copy.dest, copy.dest_is_dir)
            except (ContextError, OSError) as err:
                raise self.error(str(err), hint="check the COPY/ADD sources against the build context and "
                                                ".dockerignore") from None
        return self._entries

    def dependencies(self, ctx: StageContext) -> str:
        parts = [self.step.text]
        copy = self.step.copy
        if copy is not None:
            if copy.from_stage is not None:
                parts.append(self.stage_lookup(copy.from_stage)[1])
            elif copy.from_image is None and copy.sources:
                parts.append(self.context.checksum(self.context_entries()))
        return sha256_hash(*parts)

    # ------------------------------------------------------------------ building
    def recipe(self, ctx: StageContext) -> BuildRecipe:
        raise self.error("is built by the Dockerfile builder, not as a stapel stage")

    def changes(self) -> ConfigChanges:
        return ConfigChanges(runtime=self.step.config, created_by=f"{self.step.keyword} {self.step.text}")

    def layer_recipe(self, ctx: StageContext) -> LayerRecipe | None:
        if self.step.run is not None:
            return None
        if self.step.mkdir is not None:
            path = self.step.mkdir
            chain = [*_ancestors(path), path] if path != "/" else []
            known = self.parent_stats(ctx, chain)
            if all(known.get(p) is not None for p in chain):
                return LayerRecipe(content=None, changes=self.changes())

            def mkdir(writer: LayerWriter, _: contextlib.ExitStack) -> None:
                for directory in chain:
                    found = known.get(directory)
                    mode, uid, gid = found if found is not None else (0o755, 0, 0)
                    mode &= 0o7777
                    writer.add_directory(directory, mode=mode, uid=uid, gid=gid)
            return LayerRecipe(content=mkdir, changes=self.changes())
        if self.step.copy is not None:
            return LayerRecipe(content=lambda writer, resources: self.write_copy(ctx, writer, resources),
                               changes=self.changes())
        return LayerRecipe(content=None, changes=self.changes())

    # ------------------------------------------------------------------ COPY / ADD
    def owner(self, ctx: StageContext) -> tuple[int, int]:
        copy = self.step.copy
        assert copy is not None
        if not copy.chown:
            return 0, 0
        user, _, group = copy.chown.partition(":")
        uid = self._id(ctx, user, "/etc/passwd")
        gid = self._id(ctx, group, "/etc/group") if group else (
            uid if user.isdigit() else self._primary_group(ctx, user))
        return uid, gid

    def _id(self, ctx: StageContext, name: str, database: str) -> int:
        if name.isdigit():
            return int(name)
        for fields in self._database(ctx, database):
            if fields[0] == name and len(fields) > 2 and fields[2].isdigit():
                return int(fields[2])
        raise self.error(f"--chown: no {'user' if 'passwd' in database else 'group'} {name!r} in the image's "
                         f"{database}")

    def _primary_group(self, ctx: StageContext, user: str) -> int:
        for fields in self._database(ctx, "/etc/passwd"):
            if fields[0] == user and len(fields) > 3 and fields[3].isdigit():
                return int(fields[3])
        raise self.error(f"--chown: no user {user!r} in the image's /etc/passwd")

    def _database(self, ctx: StageContext, path: str) -> list[list[str]]:
        if ctx.prev_built is None or ctx.export_path is None:
            return []
        try:
            exported = ctx.export_path(ctx.prev_built, path)
        except WerfError:  # no such database in the image: names cannot be resolved
            return []
        with tarfile.open(exported) as tar:
            member = tar.next()
            data = tar.extractfile(member) if member is not None and member.isfile() else None
            text = data.read().decode(errors="replace") if data is not None else ""
        return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]

    def into_directory(self, ctx: StageContext) -> bool:
        """Whether sources go *into* `dest`: it ends with `/`, several sources are copied, or — BuildKit — `dest`
        already is a directory in the parent image (`COPY a /bin` writes /bin/a)."""
        copy = self.step.copy
        assert copy is not None
        if self._into_directory is None:
            # the destination's ancestors come along: writing the layer asks for them (one engine round trip)
            found = self.parent_stats(ctx, [*_ancestors(copy.dest), copy.dest]).get(copy.dest) \
                if not copy.dest_is_dir else None
            self._into_directory = copy.dest_is_dir or (found is not None and stat.S_ISDIR(found[0]))
        return self._into_directory

    def write_copy(self, ctx: StageContext, writer: LayerWriter, resources: contextlib.ExitStack) -> None:
        copy = self.step.copy
        assert copy is not None
        if self.into_directory(ctx) and not copy.dest_is_dir:
            copy = dataclasses.replace(copy, dest_is_dir=True)
            self.step = dataclasses.replace(self.step, copy=copy)
            self._entries = None
        uid, gid = self.owner(ctx)
        for heredoc in copy.heredocs:
            target = posixpath.join(copy.dest, heredoc.name) if copy.dest_is_dir else copy.dest
            writer.add_file(target, heredoc.content.encode(), mode=copy.chmod if copy.chmod is not None else 0o644,
                            uid=uid, gid=gid)
        if copy.from_stage is not None or copy.from_image is not None:
            self.write_from_image(ctx, writer, resources, uid, gid)
            self.write_parents(ctx, writer, uid, gid)
            return
        for entry in self.context_entries():
            mode = copy.chmod if copy.chmod is not None else entry.mode
            if entry.kind == "dir":
                writer.add_directory(entry.target, mode=mode, uid=uid, gid=gid)
            elif entry.kind == "symlink":
                writer.add_symlink(entry.target, entry.link, uid=uid, gid=gid)
            elif copy.is_add and _is_archive(self.context, entry):
                self.extract_archive(writer, resources, entry, uid, gid)
            else:
                writer.add_file(entry.target, functools.partial(self.context.open_file, entry), size=entry.size,
                                mode=mode, uid=uid, gid=gid)
        if not self.context_entries() and not copy.heredocs:
            writer.add_directory(copy.dest, mode=0o755, uid=uid, gid=gid)
        self.write_parents(ctx, writer, uid, gid)

    def parent_stats(self, ctx: StageContext, paths: list[str]) -> dict[str, tuple[int, int, int] | None]:
        """Mode (with type bits), owner and group of `paths` in the parent image; each path asked once per step."""
        if not paths or ctx.prev_built is None or ctx.stat_paths is None:
            return {}
        missing = [p for p in paths if p not in self._stats]
        if missing:
            self._stats.update(ctx.stat_paths(ctx.prev_built, missing))
        return {p: self._stats.get(p) for p in paths}

    def write_parents(self, ctx: StageContext, writer: LayerWriter, uid: int, gid: int) -> None:
        """Every ancestor of what the layer adds, with the parent image's attributes when it exists there (an
        ancestor missing from a layer would be created by the engine with default attributes, hiding the lower
        one's), or created for the copy (owned by --chown's user, as BuildKit does)."""
        wanted: set[str] = set()
        for name in writer.entry_names():
            wanted.update(_ancestors("/" + name))
        missing = sorted(p for p in wanted if not writer.has(p))
        known = self.parent_stats(ctx, missing)
        for directory in missing:
            found = known.get(directory)
            mode, owner, group = found if found is not None else (0o755, uid, gid)
            mode &= 0o7777
            writer.add_directory(directory, mode=mode, uid=owner, gid=group)

    def extract_archive(self, writer: LayerWriter, resources: contextlib.ExitStack, entry: ContextEntry,
                        uid: int, gid: int) -> None:
        copy = self.step.copy
        assert copy is not None
        base = copy.dest if copy.dest_is_dir or copy.dest.endswith("/") else copy.dest
        tar = resources.enter_context(tarfile.open(fileobj=resources.enter_context(self.context.open_file(entry)),
                                                   mode="r:*"))
        owned = bool(copy.chown)
        for member in tar:
            name = posixpath.normpath(member.name).lstrip("/")
            if name in ("", ".") or name.startswith(".."):
                continue
            target = posixpath.join(base, name)
            m_uid, m_gid = (uid, gid) if owned else (member.uid, member.gid)
            if member.isdir():
                writer.add_directory(target, mode=member.mode, uid=m_uid, gid=m_gid, mtime=member.mtime)
            elif member.issym():
                writer.add_symlink(target, member.linkname, uid=m_uid, gid=m_gid, mtime=member.mtime)
            elif member.islnk():
                writer.add_hardlink(target, posixpath.join(base, member.linkname.lstrip("/")), mode=member.mode,
                                    uid=m_uid, gid=m_gid, mtime=member.mtime)
            elif member.isfile():
                data = tar.extractfile(member)
                writer.add_file(target, data.read() if data else b"", mode=member.mode, uid=m_uid, gid=m_gid,
                                mtime=member.mtime)

    def write_from_image(self, ctx: StageContext, writer: LayerWriter, resources: contextlib.ExitStack,
                         uid: int, gid: int) -> None:
        """COPY --from=<stage|image>: each source as BuildKit copies it — a file to `dest` (or into it), a
        directory's content into `dest`; a source with wildcards (Go's filepath.Match per path element) copies
        every match that way, into the directory `dest`."""
        copy = self.step.copy
        assert copy is not None and ctx.export_path is not None
        for path in copy.sources:
            absolute = "/" + posixpath.normpath("/" + path).lstrip("/")
            parts = [p for p in absolute.split("/") if p]
            first_glob = next((n for n, part in enumerate(parts) if _has_glob(part)), None)
            exported_path = absolute if first_glob is None else "/" + "/".join(parts[:first_glob])
            tar = resources.enter_context(tarfile.open(self._export(ctx, exported_path)))
            members = tar.getmembers()
            if not members:
                continue
            top = members[0]
            root = posixpath.dirname(exported_path.rstrip("/")).lstrip("/") if exported_path != "/" else ""
            if first_glob is None:
                chosen = [top]
            else:
                pattern = glob_regex("/".join(parts[first_glob:]))
                chosen = [m for m in members if m is not top and pattern.match(_relative(m.name, top.name))]
                if not chosen:
                    raise self.error(f"--from: no file matches {path}", hint="check the COPY source pattern")
            links: dict[str, str] = {}
            for match in chosen:
                target = posixpath.join(copy.dest, posixpath.basename(match.name)) \
                    if copy.dest_is_dir or len(chosen) > 1 else copy.dest
                self._copy_source(ctx, resources, writer, tar, members, match, root, target, uid, gid, links)

    def _copy_source(self, ctx: StageContext, resources: contextlib.ExitStack, writer: LayerWriter,
                     tar: tarfile.TarFile, members: list[tarfile.TarInfo], match: tarfile.TarInfo, root: str,
                     file_target: str, uid: int, gid: int, links: dict[str, str], depth: int = 0) -> None:
        """One source: a directory's content into `dest`, a file at `file_target`; a symbolic link named (or
        matched) as a source is followed inside the image, as BuildKit does."""
        copy = self.step.copy
        assert copy is not None
        if match.issym():
            if depth >= _MAX_LINK_DEPTH:
                raise self.error(f"--from: too many levels of symbolic links at /{posixpath.join(root, match.name)}")
            here = "/" + posixpath.join(root, posixpath.dirname(match.name))
            resolved = posixpath.normpath(posixpath.join(here, match.linkname))
            followed = resources.enter_context(tarfile.open(self._export(ctx, resolved)))
            inner = followed.getmembers()
            if inner:
                self._copy_source(ctx, resources, writer, followed, inner, inner[0],
                                  posixpath.dirname(resolved).lstrip("/"), file_target, uid, gid, {}, depth + 1)
            return
        if match.isdir():
            prefix = match.name.rstrip("/") + "/"
            for member in members:
                if member.name.startswith(prefix):
                    self._write_member(writer, tar, member, posixpath.join(copy.dest, member.name[len(prefix):]),
                                       root, uid, gid, links)
            return
        self._write_member(writer, tar, match, file_target, root, uid, gid, links)

    def _export(self, ctx: StageContext, absolute: str) -> Path:
        copy = self.step.copy
        assert copy is not None and ctx.export_path is not None
        if copy.from_stage is not None:
            return ctx.export_path(self.stage_lookup(copy.from_stage)[0], absolute)
        assert copy.from_image is not None and self.image_exporter is not None
        return self.image_exporter(copy.from_image, absolute)

    def _write_member(self, writer: LayerWriter, tar: tarfile.TarFile, member: tarfile.TarInfo, target: str,
                      root: str, uid: int, gid: int, links: dict[str, str]) -> None:
        """One exported entry at `target`; `links` maps archive names already written to their targets (a hard
        link to one of them stays a hard link, to anything else it becomes a copy of the file)."""
        copy = self.step.copy
        assert copy is not None
        if _engine_runtime_path("/" + posixpath.join(root, member.name)):
            return
        mode = copy.chmod if copy.chmod is not None else member.mode
        if member.isdir():
            writer.add_directory(target, mode=mode, uid=uid, gid=gid)
        elif member.issym():
            writer.add_symlink(target, member.linkname, uid=uid, gid=gid)
        elif member.islnk() and member.linkname in links:
            writer.add_hardlink(target, links[member.linkname], mode=mode, uid=uid, gid=gid, mtime=member.mtime)
        elif member.isfile() or member.islnk():
            data = tar.extractfile(member)
            writer.add_file(target, data.read() if data else b"", mode=mode, uid=uid, gid=gid, mtime=member.mtime)
            links[member.name] = target


_MAX_LINK_DEPTH = 16


def _relative(name: str, top: str) -> str:
    """`name` relative to the export's top entry (the engine names a root export's entries `/bin`, its top ``)."""
    name, top = name.strip("/"), top.strip("/")
    return posixpath.relpath(name, top) if top else name


def _has_glob(part: str) -> bool:
    return any(c in part for c in "*?[")


# what the engine's init layer puts into every container (the export is read through one): never image content
_RUNTIME_FILES = frozenset({"/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/etc/mtab", "/.dockerenv"})


def _engine_runtime_path(path: str) -> bool:
    path = posixpath.normpath("/" + path.lstrip("/"))
    return path in _RUNTIME_FILES or path.startswith(("/dev/", "/proc/", "/sys/"))


def _ancestors(path: str) -> list[str]:
    """`/a/b/c` → [`/a`, `/a/b`] (the root excluded)."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:n]) for n in range(1, len(parts))]


def _is_archive(context: BuildContext, entry: ContextEntry) -> bool:
    try:
        with context.open_file(entry) as data, tarfile.open(fileobj=data, mode="r:*") as tar:
            return tar.next() is not None
    except (tarfile.TarError, OSError, EOFError):
        return False


@dataclass
class DockerfileFromKind(PlainStage):
    """The base image of a Dockerfile stage, with werf's labels (no container: a config-only load)."""

    plan: Plan
    stage: Stage
    extra: str = ""     # the image's dependencies (their digests), which every stage of the image then follows

    def __post_init__(self) -> None:
        self.name = f"FROM#{self.stage.position}"

    def dependencies(self, ctx: StageContext) -> str:
        if self.extra:
            return sha256_hash("FROM", self.stage.base_image or "scratch", self.extra)
        return sha256_hash("FROM", self.stage.base_image or "scratch")

    def recipe(self, ctx: StageContext) -> BuildRecipe:
        raise DockerfileError("FROM is built by the Dockerfile builder", path=self.plan.path, line=self.stage.line)


def dockerfile_text(path: Path, root: Path) -> str:
    """The Dockerfile's text; it must be inside the project (no symlink escape)."""
    resolved = path.resolve()
    try:
        resolved.relative_to(root.resolve())
    except ValueError:
        raise DockerfileError("the Dockerfile is outside the project directory", path=str(path)) from None
    if not resolved.is_file():
        raise DockerfileError("the Dockerfile does not exist", path=str(path),
                              hint="check `dockerfile:` in werf.yaml (relative to the project directory)")
    return resolved.read_text(errors="replace")
