"""How full the volume holding a directory is, as `df` computes Use%."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class VolumeUsage:
    total: int
    used: int

    @property
    def percent(self) -> float:
        return 100.0 * self.used / self.total if self.total else 0.0


UsageProbe = Callable[[], VolumeUsage]


def statvfs_usage(path: str) -> VolumeUsage:
    """Used / (used + available to unprivileged users): blocks reserved for root, or unavailable on thin-provisioned
    volumes, count neither way (f_blocks alone can be far larger than both). Raises OSError if `path` is not
    visible from here."""
    st = os.statvfs(path)
    used = (st.f_blocks - st.f_bfree) * st.f_frsize
    return VolumeUsage(used + st.f_bavail * st.f_frsize, used)
