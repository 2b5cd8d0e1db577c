"""werf v1.1's tagging-scheme images cleanup (`--git-history-based-cleanup=false`).

Per published tag, by its `werf-tag-strategy` label:

| strategy | deleted when |
|---|---|
| git-branch | no branch (slugged as `werf ci-env` does) has this tag's name any more |
| git-tag | the git tag is gone; else older than `--git-tag-strategy-expiry-days`, or beyond `--git-tag-strategy-limit` |
| git-commit | the commit is gone; else expiry days / limit (`--git-commit-strategy-*`) |
| stages-signature | expiry days / limit (`--stages-signature-strategy-*`, unlimited by default) |
| custom | never |

Ages are the images' creation times; the limit keeps the newest N per image and strategy. -1 disables a limit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from werf_core.ci_env.slug import docker_tag
from werf_core.cleanup.repo_images import RepoImage

DAY = 86400.0


@dataclass(frozen=True)
class TagStrategyLimits:
    git_tag_limit: int = 10
    git_tag_expiry_days: int = 30
    git_commit_limit: int = 50
    git_commit_expiry_days: int = 30
    stages_signature_limit: int = -1
    stages_signature_expiry_days: int = -1

    def for_strategy(self, strategy: str) -> tuple[int, int]:
        """(limit, expiry days) of a strategy; (-1, -1) for strategies without limits."""
        return {"git-tag": (self.git_tag_limit, self.git_tag_expiry_days),
                "git-commit": (self.git_commit_limit, self.git_commit_expiry_days),
                "stages-signature": (self.stages_signature_limit, self.stages_signature_expiry_days),
                }.get(strategy, (-1, -1))


def tag_strategy_decisions(images: Sequence[RepoImage], *, branches: set[str], tags: set[str],
                           commit_exists: Callable[[str], bool], limits: TagStrategyLimits,
                           now: float) -> dict[str, str]:
    """reference → why it goes, for every tag the tagging-scheme rules delete."""
    doomed: dict[str, str] = {}
    branch_tags = {docker_tag(b) for b in branches} | branches
    tag_tags = {docker_tag(t) for t in tags} | tags
    survivors: dict[tuple[str | None, str], list[RepoImage]] = {}
    for image in images:
        strategy, meta = image.strategy, image.meta_tag
        if strategy == "git-branch":
            if meta not in branch_tags:
                doomed[image.reference] = f"git branch {meta} no longer exists"
            continue
        if strategy == "git-tag" and meta not in tag_tags:
            doomed[image.reference] = f"git tag {meta} no longer exists"
            continue
        if strategy == "git-commit" and not commit_exists(meta):
            doomed[image.reference] = f"git commit {meta} no longer exists"
            continue
        limit, expiry_days = limits.for_strategy(strategy)
        if expiry_days >= 0 and image.created_at < now - expiry_days * DAY:
            doomed[image.reference] = f"{strategy} image older than {expiry_days} day(s)"
            continue
        if limit >= 0:
            survivors.setdefault((image.image, strategy), []).append(image)
    for (_, strategy), group in survivors.items():
        limit, _ = limits.for_strategy(strategy)
        for image in sorted(group, key=lambda i: (-i.created_at, i.reference))[limit:]:
            doomed[image.reference] = f"beyond the {strategy} limit of {limit} newest image(s)"
    return doomed
