"""The dockerInstructions stage: the `docker:` directive (images only) applied to the image config."""

from __future__ import annotations

import json

from werf_core.hashing import sha256_hash
from werf_core.layers.config import ConfigChanges
from werf_core.layers.recipe import LayerRecipe
from werf_core.stages.base import BuildRecipe, PlainStage, StageContext
from werf_core.stages.spec import DockerSpec, ImageSpec


def as_exec_form(value: str) -> list[str]:
    """werf keeps CMD/ENTRYPOINT as strings: a JSON list string is exec form, anything else shell form."""
    text = value.strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
            if isinstance(parsed, list) and all(isinstance(x, str) for x in parsed):
                return parsed
        except json.JSONDecodeError:
            pass
    return ["/bin/sh", "-c", value]


def dockerfile_quote(value: str) -> str:
    """Double-quoted Dockerfile word; `$VAR` stays live so `PATH=/app/bin:$PATH` extends the inherited PATH."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class DockerInstructionsStage(PlainStage):
    name = "dockerInstructions"

    def is_present(self, spec: ImageSpec) -> bool:
        return spec.docker is not None and not spec.is_artifact

    def dependencies(self, ctx: StageContext) -> str:
        d: DockerSpec = ctx.spec.docker
        args = [*d.volume, *d.expose]
        for key, value in sorted(d.env):
            args += [key, value]
        for key, value in sorted(d.label):
            args += [key, value]
        args += [d.cmd, d.entrypoint, d.workdir, d.user, d.healthcheck]
        return sha256_hash(*args)

    def recipe(self, ctx: StageContext) -> BuildRecipe:
        d: DockerSpec = ctx.spec.docker
        recipe = BuildRecipe()
        ins = recipe.instructions
        for volume in d.volume:
            ins.changes.append(f"VOLUME {json.dumps([volume])}")
        for port in d.expose:
            ins.changes.append(f"EXPOSE {port}")
        for key, value in d.env:
            ins.changes.append(f"ENV {key}={dockerfile_quote(value)}")
        if d.workdir:
            ins.changes.append(f"WORKDIR {d.workdir}")
        if d.healthcheck:
            ins.changes.append(f"HEALTHCHECK {d.healthcheck}")
        ins.labels.update(dict(d.label))
        if d.entrypoint_set:
            ins.entrypoint = as_exec_form(d.entrypoint) if d.entrypoint else []
        if d.cmd_set:
            ins.cmd = as_exec_form(d.cmd) if d.cmd else []
        if d.user:
            ins.user = d.user
        return recipe

    def layer_recipe(self, ctx: StageContext) -> LayerRecipe | None:
        """Config-only. HEALTHCHECK (options plus a command in Dockerfile syntax) stays with the engine."""
        d: DockerSpec = ctx.spec.docker
        if d.healthcheck:
            return None
        changes = ConfigChanges(env=list(d.env), labels=dict(d.label), volumes=list(d.volume),
                                expose=list(d.expose), workdir=d.workdir or None, user=d.user or None,
                                created_by="werf dockerInstructions")
        if d.entrypoint_set:
            changes.entrypoint = as_exec_form(d.entrypoint) if d.entrypoint else []
        if d.cmd_set:
            changes.cmd = as_exec_form(d.cmd) if d.cmd else []
        return LayerRecipe(content=None, changes=changes)


STAGE = DockerInstructionsStage()
