"""Image references (`host:port/repo/name:tag`, `name@sha256:…`) parsed with Docker's rules.

Docker's rules, as the Docker CLI applies them:
- the first path component is a registry host only if it contains `.` or `:`, is `localhost`, or has upper-case
  letters; otherwise the name lives on Docker Hub;
- a one-component Docker Hub name gets the `library/` prefix (`alpine` → `docker.io/library/alpine`);
- repository components are lower-case `[a-z0-9]` runs joined by `.`, `_`, `__` or dashes; the whole name is at most
  255 characters; a tag is `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`; a digest is `<algorithm>:<hex>`.

Docker Hub's canonical domain is `docker.io`, but its API lives at `registry-1.docker.io`; `ImageReference.registry`
gives the host to talk to, `str()` the canonical name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from werf_core.errors import RegistryError

DOCKER_HUB_DOMAIN = "docker.io"
DOCKER_HUB_API_HOST = "registry-1.docker.io"
# Names people write for Docker Hub; all mean the same registry.
DOCKER_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"})

_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG = re.compile(r"[\w][\w.-]{0,127}")
_DIGEST = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}")
_DOMAIN_LABEL = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = re.compile(rf"(?:{_DOMAIN_LABEL}(?:\.{_DOMAIN_LABEL})*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?")
NAME_MAX_LENGTH = 255


class InvalidReferenceError(RegistryError, ValueError):
    """A string that is not a valid image reference (user input: `from:`, `--stages-storage`, `--images-repo`)."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(
            f"invalid image reference {text!r}: {reason}",
            hint="write it as [HOST[:PORT]/]NAME[:TAG] or NAME@sha256:DIGEST, with a lower-case NAME "
                 "(e.g. registry.example.com:5000/group/app:1.0)",
        )
        self.text = text


def _looks_like_domain(component: str) -> bool:
    return ("." in component or ":" in component or component == "localhost"
            or component.lower() != component)


@dataclass(frozen=True)
class ImageReference:
    """One image (or, without tag and digest, one repository) in a registry."""

    domain: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    # ------------------------------------------------------------------ parsing
    @classmethod
    def parse(cls, text: str) -> ImageReference:
        if not text or text != text.strip():
            raise InvalidReferenceError(text, "it is empty or has surrounding whitespace")
        rest, digest = text, None
        if "@" in rest:
            rest, digest = rest.split("@", 1)
            if not _DIGEST.fullmatch(digest):
                raise InvalidReferenceError(text, f"{digest!r} is not a digest like sha256:<64 hex digits>")
        tag = None
        colon = rest.rfind(":")
        if colon > rest.rfind("/"):
            rest, tag = rest[:colon], rest[colon + 1:]
            if not _TAG.fullmatch(tag):
                raise InvalidReferenceError(
                    text, f"tag {tag!r} must start with a letter, digit or '_' and use only [A-Za-z0-9_.-], "
                          "at most 128 characters")
        if not rest:
            raise InvalidReferenceError(text, "the name is missing")

        first, slash, remainder = rest.partition("/")
        if slash and _looks_like_domain(first):
            domain, path = first, remainder
            if not _DOMAIN.fullmatch(domain):
                raise InvalidReferenceError(text, f"{domain!r} is not a valid registry host[:port]")
        else:
            domain, path = DOCKER_HUB_DOMAIN, rest
        if domain.lower() in DOCKER_HUB_ALIASES:
            domain = DOCKER_HUB_DOMAIN
            if "/" not in path:
                path = f"library/{path}"

        for component in path.split("/"):
            if not _COMPONENT.fullmatch(component):
                reason = ("repository names must be lower-case" if component.lower() != component
                          else f"path component {component!r} may hold only [a-z0-9] separated by "
                               "'.', '_', '__' or '-'")
                raise InvalidReferenceError(text, reason)
        if len(domain) + 1 + len(path) > NAME_MAX_LENGTH:
            raise InvalidReferenceError(text, f"the name is longer than {NAME_MAX_LENGTH} characters")
        return cls(domain=domain, repository=path, tag=tag, digest=digest)

    # ------------------------------------------------------------------ views
    @property
    def registry(self) -> str:
        """The host[:port] whose `/v2/` API serves this image."""
        return DOCKER_HUB_API_HOST if self.domain == DOCKER_HUB_DOMAIN else self.domain

    @property
    def name(self) -> str:
        """`domain/repository`, without tag or digest."""
        return f"{self.domain}/{self.repository}"

    @property
    def reference(self) -> str:
        """What goes after `/manifests/`: the digest if pinned, else the tag (Docker's default: `latest`)."""
        return self.digest or self.tag or "latest"

    @property
    def is_docker_hub(self) -> bool:
        return self.domain == DOCKER_HUB_DOMAIN

    def with_tag(self, tag: str) -> ImageReference:
        return ImageReference.parse(f"{self.name}:{tag}")

    def with_digest(self, digest: str) -> ImageReference:
        if not _DIGEST.fullmatch(digest):
            raise InvalidReferenceError(f"{self.name}@{digest}", f"{digest!r} is not a digest")
        return replace(self, tag=None, digest=digest)

    def repository_ref(self) -> ImageReference:
        """The repository alone (no tag, no digest)."""
        return replace(self, tag=None, digest=None)

    def same_registry(self, other: ImageReference) -> bool:
        return self.registry.lower() == other.registry.lower()

    def __str__(self) -> str:
        text = self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


def as_reference(ref: ImageReference | str) -> ImageReference:
    """Accept either form at API boundaries."""
    return ref if isinstance(ref, ImageReference) else ImageReference.parse(ref)
