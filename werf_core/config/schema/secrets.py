"""Build secrets (werf 2.x `secrets:` of stapel and Dockerfile images).

Each item takes exactly one source: `env: NAME` (an environment variable of the werf process), `src: PATH` (a file)
or `value: TEXT` (inline). The `id` names the secret inside the build (`/run/secrets/ID`); it defaults to the variable
name for `env` and to the file name for `src`, and is required for `value`. Secrets are mounted only while commands
run: they never become part of a layer, an image config, a stage digest or a log.
"""

from __future__ import annotations

import posixpath
import re

from pydantic import Field, model_validator

from werf_core.config.schema.base import WerfModel, YamlStr, werf_error

_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class BuildSecret(WerfModel):
    id: YamlStr | None = None
    env: YamlStr | None = None
    src: YamlStr | None = None
    value: YamlStr | None = Field(default=None, repr=False)  # never in a repr, a log or a traceback

    @model_validator(mode="after")
    def _one_source(self) -> BuildSecret:
        given = [key for key in ("env", "src", "value") if getattr(self, key) is not None]
        if not given:
            raise werf_error("a secret needs one source: `env: VARIABLE`, `src: PATH` or `value: TEXT`")
        if len(given) > 1:
            raise werf_error(f"a secret takes only one of env, src or value, got {' and '.join(given)}",
                             key=given[1])
        if self.value is not None and not self.id:
            raise werf_error("a secret with `value` needs an `id` (the name it is mounted under)", key="value")
        if self.env is not None and not _ENV_NAME.match(self.env):
            raise werf_error(f'invalid environment variable name "{self.env}"', key="env")
        if self.src is not None and not self.src:
            raise werf_error("`src` must name a file", key="src")
        if self.id is not None and not _ID.match(self.id):
            raise werf_error(f'invalid secret id "{self.id}": use letters, digits, ".", "_" and "-"', key="id")
        return self

    @property
    def secret_id(self) -> str:
        """The name under /run/secrets."""
        if self.id:
            return self.id
        if self.env is not None:
            return self.env
        return posixpath.basename((self.src or "").rstrip("/"))

    @property
    def kind(self) -> str:
        return "env" if self.env is not None else "src" if self.src is not None else "value"


def check_unique_ids(secrets: tuple[BuildSecret, ...]) -> None:
    seen: dict[str, int] = {}
    for index, secret in enumerate(secrets):
        if secret.secret_id in seen:
            raise werf_error(f'secrets[{seen[secret.secret_id]}] and secrets[{index}] share the id '
                             f'"{secret.secret_id}"', key=("secrets", index),
                             hint="give one of them another `id`")
        seen[secret.secret_id] = index
