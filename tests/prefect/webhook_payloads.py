"""Realistic GitHub and GitLab webhook payloads (trimmed to the fields receivers read)."""

from __future__ import annotations

SHA = "9fceb02d0ae598e95dc970b74767f19372d61af8"


def github_push(ref: str = "refs/heads/main", after: str = SHA, clone_url: str = "https://github.com/acme/app.git",
                deleted: bool = False) -> dict:
    return {"ref": ref, "before": "0" * 40 if not deleted else SHA, "after": "0" * 40 if deleted else after,
            "created": False, "deleted": deleted, "forced": False,
            "repository": {"id": 1, "full_name": "acme/app", "clone_url": clone_url,
                           "ssh_url": "git@github.com:acme/app.git", "default_branch": "main"},
            "pusher": {"name": "octocat"}, "head_commit": {"id": after, "message": "change"}}


def github_pull_request(action: str = "synchronize", number: int = 17, head_sha: str = SHA) -> dict:
    return {"action": action, "number": number,
            "pull_request": {"number": number,
                             "head": {"sha": head_sha, "ref": "feature", "repo": {
                                 "clone_url": "https://github.com/fork/app.git"}},
                             "base": {"sha": "1" * 40, "ref": "main", "repo": {
                                 "clone_url": "https://github.com/acme/app.git",
                                 "ssh_url": "git@github.com:acme/app.git"}}},
            "repository": {"clone_url": "https://github.com/acme/app.git"}}


def gitlab_push(ref: str = "refs/heads/main", sha: str = SHA, event: str = "Push Hook") -> dict:
    return {"object_kind": "tag_push" if event == "Tag Push Hook" else "push", "ref": ref, "before": "1" * 40,
            "after": sha, "checkout_sha": sha, "user_username": "jsmith",
            "project": {"path_with_namespace": "group/app", "web_url": "https://gitlab.example.com/group/app",
                        "git_http_url": "https://gitlab.example.com/group/app.git",
                        "git_ssh_url": "git@gitlab.example.com:group/app.git", "default_branch": "main"}}


def gitlab_merge_request(action: str = "update", iid: int = 3, sha: str = SHA, oldrev: str | None = "2" * 40) -> dict:
    attributes = {"iid": iid, "action": action, "source_branch": "feature", "target_branch": "main",
                  "last_commit": {"id": sha}}
    if oldrev:
        attributes["oldrev"] = oldrev
    return {"object_kind": "merge_request", "object_attributes": attributes,
            "project": {"git_http_url": "https://gitlab.example.com/group/app.git",
                        "git_ssh_url": "git@gitlab.example.com:group/app.git"}}
