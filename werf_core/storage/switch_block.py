"""After `werf stages switch-from-local`, the project is pinned to its registry: `:local` is refused with instructions.

The block is a file `<werf home>/service/stages_switch_from_local_block/<project>` holding the new address.
"""

from __future__ import annotations

from pathlib import Path

from werf_core import paths
from werf_core.errors import WerfError
from werf_core.storage.base import LOCAL_ADDRESS


def block_path(project: str) -> Path:
    return paths.werf_home() / "service" / "stages_switch_from_local_block" / project


def write_block(project: str, address: str) -> None:
    path = block_path(project)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(address + "\n")
    tmp.replace(path)


def check_not_switched(project: str, stages_storage: str) -> None:
    if stages_storage.strip() != LOCAL_ADDRESS:
        return
    path = block_path(project)
    if path.exists():
        address = path.read_text().strip()
        raise WerfError(f"project {project} was switched from the local stages storage to {address}; "
                        "--stages-storage :local is no longer allowed for it",
                        hint=f"use --stages-storage {address} (WERF_STAGES_STORAGE); to go back, run "
                             f"`werf stages sync --from {address} --to :local` and delete {path}")
