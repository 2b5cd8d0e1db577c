"""Tagging strategies of `werf publish` (werf v1.1): which tags every published image gets.

| option | environment | strategy | tag |
|---|---|---|---|
| `--tag-custom TAG` (repeatable) | `WERF_TAG_CUSTOM_<ANY>` (one tag each) | `custom` | TAG |
| `--tag-git-branch NAME` | `WERF_TAG_GIT_BRANCH` | `git-branch` | NAME |
| `--tag-git-tag NAME` | `WERF_TAG_GIT_TAG` | `git-tag` | NAME |
| `--tag-git-commit SHA` | `WERF_TAG_GIT_COMMIT` | `git-commit` | SHA |
| `--tag-by-stages-signature` | `WERF_TAG_BY_STAGES_SIGNATURE` | `stages-signature` | the image's content digest |

Values must already be valid docker tags (`werf ci-env` slugs branch names; publish does not). At least one
strategy is required. The stages-signature tag is published last, as werf does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from werf_core.errors import WerfError

CUSTOM, GIT_BRANCH, GIT_TAG, GIT_COMMIT, STAGES_SIGNATURE = (
    "custom", "git-branch", "git-tag", "git-commit", "stages-signature")
CUSTOM_ENV_PREFIX = "WERF_TAG_CUSTOM_"
_DOCKER_TAG = re.compile(r"[\w][\w.-]{0,127}", re.ASCII)
_OPTION = {CUSTOM: "--tag-custom", GIT_BRANCH: "--tag-git-branch", GIT_TAG: "--tag-git-tag",
           GIT_COMMIT: "--tag-git-commit"}


class TagError(WerfError):
    """A tag value or the set of tagging options cannot be used."""


def check_docker_tag(value: str, strategy: str) -> str:
    if not _DOCKER_TAG.fullmatch(value):
        raise TagError(f"{_OPTION.get(strategy, strategy)} value {value!r} is not a valid docker tag",
                       hint="a tag is at most 128 characters of [A-Za-z0-9_.-], not starting with '.' or '-'; "
                            "`werf ci-env` slugs branch and tag names for you")
    return value


def custom_tags_from_env(env: Mapping[str, str]) -> list[str]:
    """`WERF_TAG_CUSTOM_*` values, in the order of their variable names (so runs are reproducible)."""
    return [env[key] for key in sorted(env) if key.startswith(CUSTOM_ENV_PREFIX) and env[key].strip()]


@dataclass(frozen=True)
class TagPlan:
    """The meta tags to publish per strategy; `by_stages_signature` adds the content-digest tag."""

    by_strategy: dict[str, tuple[str, ...]] = field(default_factory=dict)
    by_stages_signature: bool = False

    @classmethod
    def from_options(cls, *, custom: list[str] | tuple[str, ...] = (), git_branch: str | None = None,
                     git_tag: str | None = None, git_commit: str | None = None, by_stages_signature: bool = False,
                     env: Mapping[str, str] | None = None) -> TagPlan:
        env = os.environ if env is None else env
        wanted = {
            CUSTOM: [*custom, *custom_tags_from_env(env)],
            GIT_BRANCH: [git_branch] if git_branch else [],
            GIT_TAG: [git_tag] if git_tag else [],
            GIT_COMMIT: [git_commit] if git_commit else [],
        }
        plan: dict[str, tuple[str, ...]] = {}
        for strategy, values in wanted.items():
            unique = tuple(dict.fromkeys(check_docker_tag(v.strip(), strategy) for v in values if v.strip()))
            if unique:
                plan[strategy] = unique
        if not plan and not by_stages_signature:
            raise TagError("no tag given for the published images",
                           hint="pass --tag-by-stages-signature, --tag-git-branch, --tag-git-tag, --tag-git-commit "
                                "or --tag-custom (or the WERF_TAG_* variables; `werf ci-env` sets them)")
        return cls(plan, by_stages_signature)

    @classmethod
    def from_strategies(cls, by_strategy: Mapping[str, list[str] | tuple[str, ...]], *,
                        by_stages_signature: bool = False) -> TagPlan:
        """The plan `by_strategy` describes (e.g. a flow parameter made from another plan's `by_strategy`)."""
        unknown = set(by_strategy) - {CUSTOM, GIT_BRANCH, GIT_TAG, GIT_COMMIT}
        if unknown:
            raise TagError(f"unknown tag strategies: {', '.join(sorted(unknown))}",
                           hint=f"use {CUSTOM}, {GIT_BRANCH}, {GIT_TAG} or {GIT_COMMIT}")
        single = {strategy: list(by_strategy.get(strategy, ()))[:1] for strategy in (GIT_BRANCH, GIT_TAG, GIT_COMMIT)}
        return cls.from_options(custom=list(by_strategy.get(CUSTOM, ())), git_branch=(single[GIT_BRANCH] or [None])[0],
                                git_tag=(single[GIT_TAG] or [None])[0], git_commit=(single[GIT_COMMIT] or [None])[0],
                                by_stages_signature=by_stages_signature, env={})

    def tags_for(self, content_digest: str) -> list[tuple[str, str]]:
        """(strategy, meta tag) pairs for an image with this content digest, stages-signature last."""
        pairs = [(strategy, tag) for strategy, tags in self.by_strategy.items() for tag in tags]
        if self.by_stages_signature:
            pairs.append((STAGES_SIGNATURE, content_digest))
        return pairs
