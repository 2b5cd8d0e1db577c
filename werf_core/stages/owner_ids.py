"""Owner/group names of an image's git mappings and imports, resolved to numeric IDs by the container stages.

Names resolve only against the image's own /etc/passwd and /etc/group. Every stage built in a container ends with
commands that look the image's names up and report them; the runner turns the reports into labels
(`werf-owner-id-user-<name>`, `werf-owner-id-group-<name>`), which later stage images inherit. A file-only stage built
without a container takes the IDs from the labels of the stage it builds on — no pull, no container. A name the
labels do not resolve (the user does not exist yet) sends the stage back to a container, which reports the error.
"""

from __future__ import annotations

import re

from werf_core.builders.container import LABEL_MARKER
from werf_core.stages.spec import ImageSpec

BIN = "/.werf/stapel/bin"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9._-]{0,63}")


def user_label(name: str) -> str:
    return f"werf-owner-id-user-{name}"


def group_label(name: str) -> str:
    return f"werf-owner-id-group-{name}"


def owner_names(spec: ImageSpec) -> tuple[set[str], set[str]]:
    """(user names, group names) the image's git mappings and imports give, numeric ones left out."""
    users: set[str] = set()
    groups: set[str] = set()
    owners = [(getattr(m, "owner", "") or "", getattr(m, "group", "") or "") for m in _mappings(spec)]
    owners += [(i.owner, i.group) for i in spec.imports]
    for owner, group in owners:
        if owner and not owner.isdigit() and _NAME.fullmatch(owner):
            users.add(owner)
        if group and not group.isdigit() and _NAME.fullmatch(group):
            groups.add(group)
    return users, groups


def _mappings(spec: ImageSpec) -> list[object]:
    from werf_core.git import GitMapping
    return [m if isinstance(m, GitMapping) else GitMapping.from_config(m) for m in spec.git]


def report_commands(spec: ImageSpec) -> list[str]:
    """Shell lines that report the IDs of the names that exist in the image (never failing the build)."""
    users, groups = owner_names(spec)
    commands = []
    for name in sorted(users):
        commands.append(f"__werf_id=$({BIN}/id -u {name} 2>/dev/null) && "
                        f"echo \"{LABEL_MARKER} {user_label(name)}=$__werf_id\" || true")
    for name in sorted(groups):
        commands.append(f"__werf_id=$({BIN}/awk -F: '$1 == \"{name}\" {{ print $3; exit }}' /etc/group "
                        f"2>/dev/null) && [ -n \"$__werf_id\" ] && "
                        f"echo \"{LABEL_MARKER} {group_label(name)}=$__werf_id\" || true")
    return commands


def resolve(owner: str, group: str, labels: dict[str, str]) -> tuple[int, int] | None:
    """(uid, gid) for a mapping's owner/group: numeric as given, names from the labels; None if one is unknown."""
    def one(value: str, label: str) -> int | None:
        if not value:
            return 0
        if value.isdigit():
            return int(value)
        found = labels.get(label, "")
        return int(found) if found.isdigit() else None
    uid = one(owner, user_label(owner))
    gid = one(group, group_label(group))
    if uid is None or gid is None:
        return None
    return uid, gid
