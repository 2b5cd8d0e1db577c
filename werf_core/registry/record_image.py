"""werf's "manifest-only" record images: an image config carrying labels, no layers, and a manifest pointing at it.

werf keeps small facts in the registry as such images (managed-image records, image metadata by commit, `-rejected`
markers, client IDs). They cost one tiny blob and one manifest, and `docker pull` accepts them.

Registries delete manifests by digest, and deleting a digest removes every tag that points at it. Two records with
the same labels would share a manifest, so deleting one would silently delete the other. Every record therefore also
carries its own full name in `RECORD_NAME_LABEL`, which makes its manifest unique to its tag.
"""

from __future__ import annotations

import json

from werf_core.registry.image_info import format_go_time

RECORD_NAME_LABEL = "werf-record-image-name"


def record_labels(labels: dict[str, str], name: str) -> dict[str, str]:
    """The labels to store: the caller's, plus the record's own name (which the caller may not contradict)."""
    given = labels.get(RECORD_NAME_LABEL)
    if given is not None and given != name:
        raise ValueError(f"label {RECORD_NAME_LABEL}={given!r} contradicts the record's name {name!r}")
    return {**labels, RECORD_NAME_LABEL: name}


def record_image_config(labels: dict[str, str], created_unix_nano: int) -> bytes:
    """The config blob of a record image (Docker image config format, compact canonical JSON)."""
    document = {
        "architecture": "amd64",
        "os": "linux",
        "created": format_go_time(created_unix_nano),
        "config": {"Labels": dict(labels)},
        "rootfs": {"type": "layers", "diff_ids": []},
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
