"""The error `werf ci-env` raises for a user mistake (unsupported CI system or shell, a missing CI variable, ...)."""

from __future__ import annotations

from werf_core.errors import WerfError


class CiEnvError(WerfError):
    """ci-env cannot produce a correct script; the message names the variable, option or file at fault."""
