"""Target platforms (`platform:` of werf.yaml, `FROM --platform`): the host's, parsing, and whether commands of a
foreign platform can run here.

An image built for a platform other than the host's can always get its layer-only stages (COPY, ENV, ...: written
in-process on a base image of that platform); a command (RUN, stapel user stages) of a foreign platform runs only
with an emulator registered with the kernel's binfmt_misc (qemu-user-static). Without one the build fails, naming
the image and the platform: an image is never built for the host under a foreign platform's label.
"""

from __future__ import annotations

import os
import platform as _platform
from dataclasses import dataclass
from pathlib import Path

BINFMT_DIR = Path("/proc/sys/fs/binfmt_misc")
# Go's GOARCH (OCI platform architecture) → the machine name qemu and the kernel use
_MACHINES = {"amd64": "x86_64", "arm64": "aarch64", "arm": "arm", "386": "i386", "ppc64le": "ppc64le",
             "s390x": "s390x", "riscv64": "riscv64", "mips64le": "mips64el", "mips64": "mips64", "loong64": "loongarch64"}
_GOARCH = {machine: goarch for goarch, machine in _MACHINES.items()}
_GOARCH.update({"armv7l": "arm", "armv6l": "arm", "i686": "386"})


@dataclass(frozen=True, order=True)
class Platform:
    os: str
    architecture: str
    variant: str = ""

    @classmethod
    def parse(cls, text: str) -> Platform:
        """`linux/arm64`, `linux/arm/v7`; `arm64/v8` is normalised to `arm64` (as containerd does)."""
        parts = text.strip().lower().split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise ValueError(f"platform {text!r} must look like OS/ARCH[/VARIANT], e.g. linux/amd64")
        variant = parts[2] if len(parts) == 3 else ""
        if parts[1] == "arm64" and variant == "v8":
            variant = ""
        if parts[1] == "amd64" and variant == "v1":
            variant = ""
        return cls(parts[0], parts[1], variant)

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)

    def config_fields(self) -> dict[str, str]:
        """The image config's os/architecture[/variant]."""
        fields = {"os": self.os, "architecture": self.architecture}
        if self.variant:
            fields["variant"] = self.variant
        return fields

    def build_args(self, prefix: str) -> dict[str, str]:
        """BuildKit's automatic ARGs: TARGETPLATFORM, TARGETOS, TARGETARCH, TARGETVARIANT (or BUILD*)."""
        return {f"{prefix}PLATFORM": str(self), f"{prefix}OS": self.os, f"{prefix}ARCH": self.architecture,
                f"{prefix}VARIANT": self.variant}


def host_platform() -> Platform:
    machine = _platform.machine().lower()
    variant = "v7" if machine == "armv7l" else "v6" if machine == "armv6l" else ""
    return Platform("linux", _GOARCH.get(machine, machine), variant)


def of_config(config: dict[str, object]) -> Platform:
    """The platform an image config (or engine inspect data) declares; missing fields are the host's."""
    host = host_platform()
    return Platform(str(config.get("os") or config.get("Os") or host.os),
                    str(config.get("architecture") or config.get("Architecture") or host.architecture),
                    str(config.get("variant") or config.get("Variant") or ""))


def can_run(target: Platform) -> bool:
    """Whether a command of `target` runs on this host: natively, or through a registered binfmt_misc emulator."""
    host = host_platform()
    if target.os != host.os:
        return False
    if target.architecture == host.architecture or (host.architecture == "amd64" and target.architecture == "386"):
        return True
    machine = _MACHINES.get(target.architecture, target.architecture)
    return _emulator_registered(machine)


def _emulator_registered(machine: str) -> bool:
    try:
        if (BINFMT_DIR / "status").read_text().strip() != "enabled":
            return False
        for entry in os.scandir(BINFMT_DIR):
            if entry.name in ("status", "register") or machine not in entry.name:
                continue
            text = Path(entry.path).read_text()
            if text.startswith("enabled") and "interpreter" in text:
                return True
    except OSError:
        return False
    return False


EMULATION_HINT = ("commands of a foreign platform need an emulator: install qemu-user-static and register it with "
                  "binfmt_misc on the build host (e.g. `docker run --privileged --rm tonistiigi/binfmt --install "
                  "all`), or build only layer-only stages (COPY, ENV, ...) for that platform")


def check_host_only(image: str, platforms: tuple[str, ...], path: str = "", line: int = 0) -> None:
    """Stapel images run their stages in containers of the host's platform (werf's Docker backend: linux/amd64
    only): another platform is refused, never built for the host under that label."""
    from werf_core.errors import ConfigError
    host = host_platform()
    for text in platforms:
        if Platform.parse(text) != host:
            raise ConfigError(f"image {image}: stapel images are built for the host platform {host} only, not {text}",
                              path=path or None, line=line or None,
                              hint="remove the platform (or build.platform) for stapel images, or build the image "
                                   "from a Dockerfile")
