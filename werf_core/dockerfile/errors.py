"""Dockerfile mistakes: always name the Dockerfile and the line."""

from __future__ import annotations

from werf_core.errors import WerfError


class DockerfileError(WerfError):
    def __init__(self, message: str, *, path: str, line: int = 0, hint: str | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}",
                         hint=hint or "fix the Dockerfile; nothing was saved to the stages storage")
