"""Build secrets (werf 2.x `secrets:`): files under /run/secrets/<id> while a stage's commands run, nowhere else.

The values are read when a stage is actually built (a reused stage reads nothing), written into a private host
directory (0700, files 0400) inside the build's temporary directory, and bound read-only at /run/secrets. A bind
mount's content is never part of the committed layer, the values take no part in any digest, label or image config,
and nothing here logs them; the build's temporary directory (and with it the files) is removed when the build ends.

Sources: `env` (a variable of the werf process), `src` (a file inside the project directory — a path leading outside
it is refused, like every other read of the build), `value` (inline in werf.yaml).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from werf_core.builders.instructions import Bind
from werf_core.errors import BuildError
from werf_core.redaction import register_secret

SECRETS_DIR_IN_CONTAINER = "/run/secrets"
MAX_SECRET_BYTES = 1024 * 1024


@dataclass(frozen=True)
class SecretSpec:
    """One build secret: `kind` is env, src or value; `source` the variable name, file path or the value itself."""

    id: str
    kind: str
    source: str = field(repr=False)   # for kind == "value" this is the secret: never in a repr or a log


def secret_bytes(secret: SecretSpec, *, project_dir: str, environ: Mapping[str, str]) -> bytes:
    """The secret's content; a missing or unreadable source is a BuildError naming the secret (not its value)."""
    if secret.kind == "value":
        data = secret.source.encode()
    elif secret.kind == "env":
        if secret.source not in environ:
            raise BuildError(f'build secret "{secret.id}": the environment variable {secret.source} is not set',
                             hint=f"export {secret.source} before the build (the value is mounted at "
                                  f"{SECRETS_DIR_IN_CONTAINER}/{secret.id} while commands run)")
        data = environ[secret.source].encode()
    else:
        data = _read_project_file(secret, project_dir)
    if len(data) > MAX_SECRET_BYTES:
        raise BuildError(f'build secret "{secret.id}" is larger than {MAX_SECRET_BYTES} bytes',
                         hint="mount large files with `mount: fromPath` instead")
    # a command that prints the secret must not put it into our output, logs or errors
    text = data.decode(errors="replace").strip()
    register_secret(text)
    for line in text.splitlines():
        register_secret(line.strip())
    return data


def _read_project_file(secret: SecretSpec, project_dir: str) -> bytes:
    root = os.path.realpath(project_dir)
    given = os.path.expanduser(secret.source)
    path = os.path.realpath(given if os.path.isabs(given) else os.path.join(root, given))
    if path != root and not path.startswith(root.rstrip(os.sep) + os.sep):
        raise BuildError(f'build secret "{secret.id}": {secret.source} is outside the project directory',
                         hint="builds read nothing outside the project: keep the file in the project (and out of "
                              "git), or pass the secret with `env: VARIABLE`")
    try:
        with open(path, "rb") as fh:
            return fh.read(MAX_SECRET_BYTES + 1)
    except OSError as err:
        raise BuildError(f'build secret "{secret.id}": cannot read {secret.source}: {err.strerror or err}',
                         hint="create the file, or fix `src` in werf.yaml") from None


def write_secret_files(secrets: tuple[SecretSpec, ...], *, project_dir: str, work_dir: str,
                       environ: Mapping[str, str] | None = None, mode: int = 0o400) -> Path:
    """Write the secrets into a private directory under `work_dir` (0700, files `mode`): one file per id."""
    environ = os.environ if environ is None else environ
    directory = Path(work_dir) / "secrets"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    for secret in secrets:
        target = directory / secret.id
        data = secret_bytes(secret, project_dir=project_dir, environ=environ)
        target.unlink(missing_ok=True)  # a rebuilt stage writes it again; the old file is read-only
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        os.chmod(target, mode)
    return directory


def secret_binds(secrets: tuple[SecretSpec, ...], *, project_dir: str, work_dir: str,
                 environ: Mapping[str, str] | None = None) -> list[Bind]:
    """Write the secrets into a private directory under `work_dir` and return its read-only bind at /run/secrets."""
    if not secrets:
        return []
    directory = write_secret_files(secrets, project_dir=project_dir, work_dir=work_dir, environ=environ)
    return [Bind(str(directory), SECRETS_DIR_IN_CONTAINER, read_only=True)]
