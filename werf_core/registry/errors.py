"""Registry failures, each a `RegistryError` (one message naming the registry/repository, plus a hint).

Callers catch the narrow ones they can act on: the stages storage marks a stage rejected on `BrokenImageError`;
"must exist" paths surface `ImageNotFoundError` unchanged.
"""

from __future__ import annotations

import json

from werf_core.errors import RegistryError


class RegistryAuthError(RegistryError):
    """The registry (or its token server) refused our credentials or our permissions (401/403)."""


class RegistryUnreachableError(RegistryError):
    """No HTTP answer: connection refused, DNS failure, TLS failure, timeout — after the retries."""


class ImageNotFoundError(RegistryError):
    """An image the caller needs does not exist (MANIFEST_UNKNOWN / NAME_UNKNOWN)."""


class ManifestBlobUnknownError(RegistryError):
    """A manifest PUT was refused because the repository does not (yet) link a blob it names (BLOB_UNKNOWN)."""


class BrokenImageError(RegistryError):
    """The manifest exists but names a blob the registry no longer has (BLOB_UNKNOWN): the image cannot be pulled."""

    def __init__(self, message: str, *, reference: str, missing_digest: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reference = reference
        self.missing_digest = missing_digest


def error_codes(body: bytes | str | None) -> list[tuple[str, str]]:
    """(code, message) pairs from a Distribution API error body `{"errors": [{"code", "message", "detail"}]}`."""
    if not body:
        return []
    try:
        document = json.loads(body)
    except (ValueError, TypeError):
        return []
    errors = document.get("errors") if isinstance(document, dict) else None
    if not isinstance(errors, list):
        return []
    return [(str(e.get("code", "")), str(e.get("message", ""))) for e in errors if isinstance(e, dict)]


def describe_error_body(body: bytes | str | None, limit: int = 200) -> str:
    """A short human rendering of an error body: `CODE: message; …`, else the start of the raw text."""
    codes = error_codes(body)
    if codes:
        return "; ".join(f"{code}: {message}" if message else code for code, message in codes)
    if isinstance(body, bytes):
        body = body.decode(errors="replace")
    text = (body or "").strip().replace("\n", " ")
    return text[:limit] + ("…" if len(text) > limit else "")
