"""The shell builder: user commands run by the toolchain shell with `set -e`, one command per line."""

from __future__ import annotations

from werf_core.builders.instructions import ContainerInstructions
from werf_core.hashing import sha256_hash


def shell_stage_checksum(commands: list[str], stage_cache_version: str, cache_version: str) -> str:
    """werf's builder checksum: the commands, plus a hash of the cache versions (stage-specific first) if any."""
    items = [str(c) for c in commands]
    versions = [v for v in (stage_cache_version, cache_version) if v]
    if versions:
        items.append(sha256_hash(*versions))
    return sha256_hash(*items) if items else ""


def shell_instructions(commands: list[str]) -> ContainerInstructions:
    return ContainerInstructions(commands=[str(c) for c in commands])
