"""Which content digests the git history still wants: the heart of the git-history-based images cleanup.

Inputs: the references of the project repository (branches of remote `origin` — or the local branches when there
is no `origin`, e.g. on a CI runner that built from a local clone — and tags), the keep policies, and the image
metadata records (commit → content digest, written at publish). For every reference a policy keeps, the commits are
walked from its head back through its history (tags: the tagged commit only) and the digests recorded for them are
*reached*, up to the reference's `imagesPerReference` limit (counted in distinct digests, newest first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from werf_core.cleanup.policies import (
    BRANCH,
    DEFAULT_IMAGES_PER_REFERENCE,
    TAG,
    KeepPolicy,
    Limit,
)

RunGit = Callable[..., str]
MAX_REFERENCES = 100_000       # bounds on untrusted repository content
MAX_COMMITS_PER_REFERENCE = 1_000_000


@dataclass(frozen=True)
class GitReference:
    kind: str        # BRANCH or TAG
    name: str        # without refs/remotes/origin/ or refs/tags/
    commit: str
    time: int        # committer time of the commit it points at (Unix seconds)


def list_references(run_git: RunGit) -> list[GitReference]:
    """Branches (of origin, else local) and tags, each with its commit and that commit's time."""
    output = str(run_git("for-each-ref", "--format=%(refname)%09%(objectname)%09%(*objectname)%09"
                                         "%(committerdate:unix)%09%(*committerdate:unix)",
                         "refs/remotes/origin", "refs/heads", "refs/tags"))
    remote: list[GitReference] = []
    local: list[GitReference] = []
    tags: list[GitReference] = []
    for line in output.splitlines()[:MAX_REFERENCES]:
        parts = line.split("\t")
        if len(parts) != 5:
            continue
        ref, obj, peeled, obj_time, peeled_time = parts
        commit, when = (peeled, peeled_time) if peeled else (obj, obj_time)
        try:
            stamp = int(when or 0)
        except ValueError:
            stamp = 0
        if ref.startswith("refs/remotes/origin/"):
            name = ref[len("refs/remotes/origin/"):]
            if name != "HEAD":
                remote.append(GitReference(BRANCH, name, commit, stamp))
        elif ref.startswith("refs/heads/"):
            local.append(GitReference(BRANCH, ref[len("refs/heads/"):], commit, stamp))
        elif ref.startswith("refs/tags/") and stamp:   # tags of non-commit objects (blobs, trees) have no date
            tags.append(GitReference(TAG, ref[len("refs/tags/"):], commit, stamp))
    return (remote or local) + tags


def select_references(references: Sequence[GitReference], policies: Sequence[KeepPolicy],
                      now: float) -> dict[GitReference, Limit]:
    """The references the policies keep, each with its imagesPerReference limit (a later policy overrides)."""
    selected: dict[GitReference, Limit] = {}
    for policy in policies:
        matching = sorted((r for r in references if policy.matches(r.kind, r.name)),
                          key=lambda r: (-r.time, r.name))
        for rank, reference in enumerate(matching):
            if policy.limit is not None and not policy.limit.allows(rank, now - reference.time):
                continue
            selected[reference] = policy.images_per_reference or DEFAULT_IMAGES_PER_REFERENCE
    return selected


def history(run_git: RunGit, reference: GitReference) -> Iterator[tuple[str, int]]:
    """(commit, committer time) from the reference's head back, newest first; a tag yields its commit only."""
    if reference.kind == TAG:
        yield reference.commit, reference.time
        return
    output = str(run_git("log", "--format=%H %ct", f"--max-count={MAX_COMMITS_PER_REFERENCE}", reference.commit,
                         "--"))
    for line in output.splitlines():
        commit, _, when = line.partition(" ")
        try:
            yield commit, int(when)
        except ValueError:
            continue


@dataclass
class Reach:
    digests: set[str]                        # content digests some kept reference wants
    commits: set[str]                        # metadata commits that justified them
    by_reference: dict[str, list[str]]       # "branch main" → digests reached through it (for the report)


def reached_digests(run_git: RunGit, selected: Mapping[GitReference, Limit], commit_digests: Mapping[str, str],
                    now: float) -> Reach:
    """Walk every selected reference and collect the digests its imagesPerReference limit keeps."""
    reach = Reach(set(), set(), {})
    for reference, limit in sorted(selected.items(), key=lambda item: (item[0].kind, item[0].name)):
        found: list[str] = []
        for commit, when in history(run_git, reference):
            digest = commit_digests.get(commit)
            if digest is None:
                continue
            if digest in found:
                reach.commits.add(commit)
                continue
            if not limit.allows(len(found), now - when):
                if _exhausted(limit, len(found), now - when):
                    break
                continue
            found.append(digest)
            reach.commits.add(commit)
        reach.digests.update(found)
        reach.by_reference[f"{reference.kind} {reference.name}"] = found
    return reach


def _exhausted(limit: Limit, rank: int, age: float) -> bool:
    """Nothing older can pass either: history is walked newest first, so rank and age only grow."""
    return not limit.allows(rank, age) and (limit.within is None or age > limit.within.total_seconds()) \
        and (limit.last is None or limit.last < 0 or rank >= limit.last)
