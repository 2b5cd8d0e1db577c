"""From a verified GitHub/GitLab delivery to what to build: repository URL, ref and commit — or a reason to ignore it.

GitHub: `push` (branches and tags; a deleted ref is ignored) and `pull_request` (`opened`, `synchronize`,
`reopened`: the pull request's head commit, fetched as `refs/pull/<n>/head` from the base repository).
GitLab: `Push Hook` / `Tag Push Hook` (a deleted ref has no `checkout_sha` and is ignored) and `Merge Request Hook`
(`open`, `reopen`, and `update` when it brought new commits: `refs/merge-requests/<iid>/head` of the target project).
Every other event is ignored. A payload that lacks what its event must carry is malformed (HTTP 422).

The values are then checked by `flows.params` like any flow parameter, so a hostile payload cannot smuggle options or
shell syntax into the git command lines of the build.
"""

from __future__ import annotations

from dataclasses import dataclass

ZERO_COMMIT = "0" * 40
GITHUB_PR_ACTIONS = frozenset({"opened", "synchronize", "reopened"})
GITLAB_MR_ACTIONS = frozenset({"open", "reopen", "update"})


class MalformedPayload(ValueError):
    """The event's JSON misses or mistypes a field the event always has."""


@dataclass(frozen=True)
class BuildTrigger:
    repository: str
    ref: str
    commit: str
    description: str            # for logs and the response, e.g. "push to refs/heads/main"

    def parameters(self) -> dict:
        return {"repository": self.repository, "ref": self.ref, "commit": self.commit}


@dataclass(frozen=True)
class Ignored:
    reason: str


MAX_NUMBER = 2**31 - 1


def _positive_int(payload: object, *path: str) -> int:
    """Pull-request numbers and merge-request iids: positive integers (JSON `true` is not 1, `-1` is no PR)."""
    value = _get(payload, *path, kind=int)
    if isinstance(value, bool) or not 0 < value <= MAX_NUMBER:
        raise MalformedPayload(f"{'.'.join(path)} must be a positive integer")
    return value


def _get(payload: object, *path: str, kind: type = str):
    value = payload
    for key in path:
        if not isinstance(value, dict) or key not in value:
            raise MalformedPayload(f"the payload has no {'.'.join(path)}")
        value = value[key]
    if not isinstance(value, kind) or (kind is str and not value):
        raise MalformedPayload(f"{'.'.join(path)} must be a non-empty {kind.__name__}")
    return value


def github_trigger(event: str, payload: object, *, url_field: str = "clone_url") -> BuildTrigger | Ignored:
    """`url_field`: `clone_url` (https) or `ssh_url`."""
    if not isinstance(payload, dict):
        raise MalformedPayload("the payload must be a JSON object")
    if event == "push":
        ref = _get(payload, "ref")
        after = payload.get("after")
        if payload.get("deleted") is True or after == ZERO_COMMIT:
            return Ignored(f"{ref} was deleted")
        return BuildTrigger(_get(payload, "repository", url_field), ref, _get(payload, "after"), f"push to {ref}")
    if event == "pull_request":
        action = _get(payload, "action")
        if action not in GITHUB_PR_ACTIONS:
            return Ignored(f"pull_request action {action!r} brings no new commits")
        number = _positive_int(payload, "number")
        return BuildTrigger(_get(payload, "pull_request", "base", "repo", url_field), f"refs/pull/{number}/head",
                            _get(payload, "pull_request", "head", "sha"), f"pull request #{number} ({action})")
    return Ignored(f"GitHub event {event!r} does not trigger builds")


def gitlab_trigger(event: str, payload: object, *, url_field: str = "git_http_url") -> BuildTrigger | Ignored:
    """`url_field`: `git_http_url` or `git_ssh_url`."""
    if not isinstance(payload, dict):
        raise MalformedPayload("the payload must be a JSON object")
    if event in ("Push Hook", "Tag Push Hook"):
        ref = _get(payload, "ref")
        commit = payload.get("checkout_sha")
        if commit is None or payload.get("after") == ZERO_COMMIT:
            return Ignored(f"{ref} was deleted")
        return BuildTrigger(_gitlab_url(payload, url_field), ref, _get(payload, "checkout_sha"),
                            f"{'tag push' if event == 'Tag Push Hook' else 'push'} to {ref}")
    if event == "Merge Request Hook":
        action = _get(payload, "object_attributes", "action")
        attributes = payload["object_attributes"]
        if action not in GITLAB_MR_ACTIONS or (action == "update" and not attributes.get("oldrev")):
            return Ignored(f"merge request action {action!r} brings no new commits")
        iid = _positive_int(payload, "object_attributes", "iid")
        return BuildTrigger(_gitlab_url(payload, url_field), f"refs/merge-requests/{iid}/head",
                            _get(payload, "object_attributes", "last_commit", "id"), f"merge request !{iid} ({action})")
    return Ignored(f"GitLab event {event!r} does not trigger builds")


def _gitlab_url(payload: dict, url_field: str) -> str:
    # `project` is the current field; older payloads only have `repository`
    if isinstance(payload.get("project"), dict) and payload["project"].get(url_field):
        return _get(payload, "project", url_field)
    return _get(payload, "repository", url_field)
