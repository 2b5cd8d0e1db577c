"""Errors a user can act on.

Every failure caused by the user's input or environment (a bad werf.yaml, an unreachable registry, a lock timeout,
a missing base image) is raised as a `WerfError`. The CLI prints it as one message plus a hint and exits with code 1,
without a traceback. Anything else is a bug and keeps its traceback.

Message and hint pass through `werf_core.redaction.redact` when the error is made, so no credential (a token in a
git URL, a password in a snippet of werf.yaml) reaches the terminal, a log, a flow-run state or a report.
"""

from __future__ import annotations

from werf_core.redaction import redact


class WerfError(Exception):
    """A failure the user can fix. `hint` tells them how."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.hint = redact(hint) if hint else hint

    def render(self) -> str:
        text = f"Error: {self.message}"
        if self.hint:
            text += f"\nHint: {self.hint}"
        return text


class ConfigError(WerfError):
    """werf.yaml cannot be rendered, parsed or validated. Names the file and line where known."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 snippet: str | None = None, hint: str | None = None) -> None:
        self.path = path
        self.line = line
        self.snippet = snippet
        where = path or ""
        if path and line:
            where = f"{path}:{line}"
        full = f"{where}: {message}" if where else message
        if snippet:
            full += "\n" + "\n".join("    " + s for s in snippet.rstrip("\n").splitlines())
        super().__init__(full, hint=hint)


class GitError(WerfError):
    """The project's git repository (or a remote one) cannot be read as the config requires."""


class DockerEngineError(WerfError):
    """The Docker engine is unreachable or refused an operation."""


class RegistryError(WerfError):
    """A Docker registry is unreachable, denied access, or answered something unusable."""


class StorageError(WerfError):
    """The stages storage is inconsistent or refuses an operation."""


class LockError(WerfError):
    """A lock could not be taken in time, or a held lease was lost."""


class BuildError(WerfError):
    """A stage failed to build (a user command failed, a base image is missing, ...)."""


class ShouldResetStagesStorageCache(Exception):
    """Internal signal, not a user error: a stage named by the stages-storage cache is gone or broken.

    The conveyor resets the project's cache and starts over, as werf does.
    """
