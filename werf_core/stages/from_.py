"""The `from` stage: the base image (a registry reference, or another image of the config) plus service labels.

Digest input: fromCacheVersion, the base image ID when `fromLatest`, the mounts, and either the content digest of the
`fromImage`/`fromArtifact` source or the base reference exactly as written (its ID is deliberately not used, so a
moving tag does not invalidate the cache unless the user asks for that with fromLatest or fromCacheVersion).
"""

from __future__ import annotations

import posixpath
import shlex

from werf_core.hashing import sha256_hash
from werf_core.stages.base import BuildRecipe, PlainStage, StageContext
from werf_core.stages.mounts import mount_labels
from werf_core.stages.spec import MountKind


class FromStage(PlainStage):
    name = "from"

    def dependencies(self, ctx: StageContext) -> str:
        spec = ctx.spec
        args = []
        if spec.from_cache_version:
            args.append(spec.from_cache_version)
        if spec.from_latest:
            args.append(ctx.base_image_id())
        for mount in spec.mounts:
            source = mount.from_path if mount.kind == MountKind.CUSTOM else mount.kind
            args += [posixpath.normpath(source.replace("\\", "/")), posixpath.normpath(mount.to), mount.kind]
        if spec.from_image:
            args.append(ctx.source_image(spec.from_image).content_digest)
        else:
            args.append(spec.from_ref)
        return sha256_hash(*args)

    def recipe(self, ctx: StageContext) -> BuildRecipe:
        recipe = BuildRecipe()
        # mountpoints stay empty in the image: what is mounted there at build time must never be committed
        for mount in ctx.spec.mounts:
            recipe.instructions.commands.append(f"/.werf/stapel/bin/rm -rf {shlex.quote(mount.to)}")
        recipe.instructions.labels.update(mount_labels(ctx.spec.mounts))
        return recipe


STAGE = FromStage()
