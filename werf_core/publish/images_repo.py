"""The images repo (`--images-repo`, `-i`): where final images are published, and how they are named there.

| mode | named image | nameless image |
|---|---|---|
| multirepo | `<REPO>/<image>:<tag>` | `<REPO>:<tag>` |
| monorepo  | `<REPO>:<image>-<tag>` | `<REPO>:<tag>` |

`auto` (the default) picks multirepo, except on registries that give an account a fixed shape: Docker Hub and Quay
(`account` → multirepo, `account/repository` → monorepo) and GitHub's registries (`docker.pkg.github.com/owner/repo`
or `ghcr.io/owner` → multirepo, one component more → monorepo). On those registries an explicit mode that does not fit
the address is refused, as werf does.
"""

from __future__ import annotations

from dataclasses import dataclass

from werf_core.errors import WerfError
from werf_core.registry.reference import ImageReference, InvalidReferenceError

MULTIREPO, MONOREPO, AUTO = "multirepo", "monorepo", "auto"
MODES = (MULTIREPO, MONOREPO, AUTO)

# registry host → how many path components an address has when it names an account (multirepo)
_ACCOUNT_DEPTH = {"docker.io": 1, "quay.io": 1, "docker.pkg.github.com": 2, "ghcr.io": 1}


class ImagesRepoError(WerfError):
    """The images repo address or mode cannot be used."""


def resolve_mode(address: str, mode: str = AUTO) -> str:
    if mode not in MODES:
        raise ImagesRepoError(f"unknown images repo mode {mode!r}", hint=f"use one of: {', '.join(MODES)}")
    reference = ImageReference.parse(address)
    depth = _ACCOUNT_DEPTH.get(reference.domain)
    if depth is None:
        return MULTIREPO if mode == AUTO else mode
    components = reference.repository.split("/")
    if reference.domain == "docker.io" and components[0] == "library":
        components = components[1:]   # `docker.io/alpine` is parsed as library/alpine; the account is `alpine`
    fitting = MULTIREPO if len(components) <= depth else MONOREPO
    if mode not in (AUTO, fitting):
        other = MONOREPO if mode == MULTIREPO else MULTIREPO
        change = "add a repository to the address" if mode == MONOREPO else "remove the repository from the address"
        raise ImagesRepoError(f"images repo mode {mode} cannot be used with {address} on {reference.domain}",
                              hint=f"{change}, or use --images-repo-mode {other}")
    return fitting


@dataclass(frozen=True)
class ImagesRepo:
    address: str
    mode: str

    @classmethod
    def open(cls, address: str | None, mode: str = AUTO) -> ImagesRepo:
        text = (address or "").strip().rstrip("/")
        if not text:
            raise ImagesRepoError("no images repo given",
                                  hint="pass --images-repo registry.example.com/project (or set WERF_IMAGES_REPO)")
        try:
            reference = ImageReference.parse(text)
        except InvalidReferenceError as err:
            raise ImagesRepoError(err.message, hint=err.hint) from None
        if reference.tag or reference.digest:
            raise ImagesRepoError(f"images repo {text!r} names an image, not a repository",
                                  hint="drop the tag: --images-repo registry.example.com/project")
        return cls(text, resolve_mode(text, mode))

    def repository(self, image: str | None) -> str:
        """The repository an image's tags go to."""
        if image is None or self.mode == MONOREPO:
            return self.address
        return f"{self.address}/{image}"

    def tag(self, image: str | None, tag: str) -> str:
        """The tag actually written (monorepo prefixes it with the image name)."""
        if image is None or self.mode == MULTIREPO:
            return tag
        return f"{image}-{tag}"

    def reference(self, image: str | None, tag: str) -> str:
        return f"{self.repository(image)}:{self.tag(image, tag)}"
