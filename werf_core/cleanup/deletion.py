"""Deleting a tag from a registry, with one clear message when the registry does not allow it.

The Docker Registry API deletes manifests (`DELETE /v2/<repo>/manifests/<digest>`); many registries refuse it
(405 Method Not Allowed, `UNSUPPORTED`), or need their own API (Docker Hub, GitHub Packages, Quay, Harbor, GitLab).
The first refusal stops the cleanup with one error instead of one warning per tag.
"""

from __future__ import annotations

from typing import Any

from werf_core.errors import RegistryError


class TagDeletionUnsupported(RegistryError):
    """The registry does not let us delete tags."""


_UNSUPPORTED_SIGNS = ("does not allow deleting", "unsupported", "405", "method not allowed")


def delete_reference(registry: Any, reference: str) -> bool:
    """Delete `reference` (repository:tag); False if it was already gone."""
    try:
        return bool(registry.delete_tag(reference))
    except RegistryError as err:
        text = err.message.lower()
        if any(sign in text for sign in _UNSUPPORTED_SIGNS):
            host = reference.split("/", 1)[0]
            raise TagDeletionUnsupported(
                f"registry {host} does not support deleting tags through the Docker Registry API "
                f"(refused for {reference}); nothing more was deleted",
                hint="enable deletion in the registry (reference registry: REGISTRY_STORAGE_DELETE_ENABLED=true); "
                     "Docker Hub, GitHub Packages, Quay, Harbor and GitLab need their own API and are not supported "
                     "yet — clean them with the registry's own retention policies") from None
        raise
