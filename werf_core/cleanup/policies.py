"""Keep policies of the git-history-based images cleanup (werf.yaml `cleanup.keepPolicies`) and werf's defaults.

A policy selects git references (branches or tags, by exact name or `/regex/`), optionally only the `last` N most
recently active and/or those active `in` the last duration (`operator` And|Or), and keeps, per selected reference,
the images of the `last` N commits found going back from its head and/or those of commits made `in` the duration
(`imagesPerReference`). A later policy that selects a reference again overrides its `imagesPerReference`.

Defaults when werf.yaml has no policies (werf v1.1's):

    - references: {tag: /.*/, limit: {last: 10}}
    - references: {branch: /.*/, limit: {last: 10, in: 168h, operator: And}}
      imagesPerReference: {last: 2, in: 168h, operator: And}
    - references: {branch: /^(master|staging|production)$/}
      imagesPerReference: {last: 10}

`imagesPerReference` left out means `last: 1` (the image of the newest commit that has one); tags are always scanned
one commit deep (the tagged commit), as in werf.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

AND, OR = "And", "Or"
BRANCH, TAG = "branch", "tag"


@dataclass(frozen=True)
class Limit:
    last: int | None = None            # -1 or None: no count limit
    within: timedelta | None = None    # None: no age limit
    operator: str = AND

    def is_unlimited(self) -> bool:
        return (self.last is None or self.last < 0) and self.within is None

    def allows(self, rank: int, age_seconds: float) -> bool:
        """Whether the item at 0-based `rank` (newest first) of age `age_seconds` passes the limit."""
        by_count = self.last is None or self.last < 0 or rank < self.last
        by_age = self.within is None or age_seconds <= self.within.total_seconds()
        if self.last is not None and self.last >= 0 and self.within is not None:
            return (by_count and by_age) if self.operator == AND else (by_count or by_age)
        return by_count and by_age


DEFAULT_IMAGES_PER_REFERENCE = Limit(last=1)


@dataclass(frozen=True)
class KeepPolicy:
    kind: str                            # BRANCH or TAG
    pattern: re.Pattern[str]
    limit: Limit | None = None
    images_per_reference: Limit | None = None

    def matches(self, kind: str, name: str) -> bool:
        return kind == self.kind and self.pattern.search(name) is not None


def reference_pattern(value: str) -> re.Pattern[str]:
    """`/regex/` (Go syntax; `\\z` → `\\Z`) or an exact name."""
    if len(value) >= 2 and value.startswith("/") and value.endswith("/"):
        return re.compile(value[1:-1].replace(r"\z", r"\Z"))
    return re.compile("^" + re.escape(value) + "$")


WEEK = timedelta(hours=168)
DEFAULT_POLICIES: tuple[KeepPolicy, ...] = (
    KeepPolicy(TAG, reference_pattern("/.*/"), limit=Limit(last=10)),
    KeepPolicy(BRANCH, reference_pattern("/.*/"), limit=Limit(last=10, within=WEEK, operator=AND),
               images_per_reference=Limit(last=2, within=WEEK, operator=AND)),
    KeepPolicy(BRANCH, reference_pattern("/^(master|staging|production)$/"),
               images_per_reference=Limit(last=10)),
)


def effective_policies(configured: Sequence[KeepPolicy]) -> tuple[KeepPolicy, ...]:
    return tuple(configured) if configured else DEFAULT_POLICIES
