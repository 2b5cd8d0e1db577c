"""Validation of build-flow parameters, before anything is cloned or built.

Flow parameters arrive from people (a custom run in the UI, `prefect deployment run --param`) and from machines
(CI webhooks), and the repository URL and ref go on to `git` command lines. Everything is checked here, once, with
a message that names the parameter and says what is accepted: URLs only as https, ssh, git (or scp-like
`user@host:path`), local paths only when absolute (and, for webhooks, under a configured root), refs and commits
only with characters git allows and nothing a shell or git would read as an option.

No Prefect import here: the webhook receiver and the unit tests use it directly.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from werf_core.errors import WerfError
from werf_core.git.refname import refname_problem
from werf_core.redaction import redact, strip_url_credentials, url_has_credentials

LOCAL_STORAGE = ":local"
URL_SCHEMES = ("https", "ssh", "git")
_SHELL_META = re.compile(r"[\s;&|`$<>\\'\"(){}\[\]*?!#~^]")
_SCP_LIKE = re.compile(r"^[A-Za-z0-9._][A-Za-z0-9._-]*@[A-Za-z0-9.][A-Za-z0-9.-]*:(?!//)(?!-)[A-Za-z0-9._/~-]+$")
_COMMIT = re.compile(r"^[0-9a-f]{7,64}$")
_IMAGE_NAME = re.compile(r"^(?:~|[A-Za-z0-9][A-Za-z0-9._/-]{0,127})$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_PROJECT = re.compile(r"^(?:[a-z0-9]|[a-z0-9][a-z0-9-]{0,48}[a-z0-9])$")
MAX_REF_LENGTH = 255
_REF_SHELL_META = re.compile(r"[;|&$`<>(){}'\"!]")
_BLOCK_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
MAX_REPOSITORY_LENGTH = 2048
CREDENTIALS_HINT = ("credentials are never accepted in parameters (the Prefect server stores and shows them): give the "
                    "worker a token through a Prefect Secret block (flow parameter git_credentials_block), the "
                    "WERF_GIT_HTTP_HOST/WERF_GIT_HTTP_PASSWORD environment variables, a git credential helper or "
                    "an ssh key")


class ParameterError(WerfError):
    """A flow parameter (or a webhook field mapped to one) is not acceptable."""


@dataclass(frozen=True)
class BuildParameters:
    repository: str                   # https/ssh/git URL, scp-like address, or an absolute local path
    ref: str | None = None            # branch, tag or full ref (refs/heads/…, refs/tags/…, refs/pull/1/head)
    commit: str | None = None         # exact commit; wins over ref when both are given
    project_dir: str = "."            # directory of werf.yaml inside the repository
    images: tuple[str, ...] = ()
    stages_storage: str | None = LOCAL_STORAGE   # None: werf's own "no stages storage given" error
    config: str | None = None         # werf.yaml path relative to project_dir
    synchronization: str | None = None
    project_name: str | None = None
    images_repo: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)
    git_credentials_block: str | None = None   # a Prefect Secret block with the https token (never the token)

    @property
    def is_url(self) -> bool:
        return not self.repository.startswith("/")

    @property
    def builds_in_place(self) -> bool:
        """A local path without ref or commit: build the working tree as it is (like `werf build --dir`)."""
        return not self.is_url and not self.ref and not self.commit

    @property
    def label(self) -> str:
        """What the flow run name calls the revision: the short branch/tag name, else the short commit."""
        if self.ref:
            return short_ref(self.ref)
        if self.commit:
            return self.commit[:12]
        return "worktree"


def validate_build_parameters(*, repository: str, ref: str | None = None, commit: str | None = None,
                              project_dir: str = ".", images: list[str] | tuple[str, ...] | None = None,
                              stages_storage: str | None = LOCAL_STORAGE, config: str | None = None,
                              synchronization: str | None = None,
                              project_name: str | None = None, images_repo: str | None = None,
                              tags: list[str] | tuple[str, ...] | None = None,
                              local_roots: list[str] | None = None, trigger: str | None = None,
                              git_credentials_block: str | None = None) -> BuildParameters:
    """`local_roots`: when given, a local repository path must lie under one of them (webhooks)."""
    _check_no_placeholders(repository=repository, ref=ref, commit=commit, project_dir=project_dir, config=config,
                           stages_storage=stages_storage, synchronization=synchronization,
                           project_name=project_name, images_repo=images_repo)
    if trigger:
        check_trigger(trigger)
    return BuildParameters(
        repository=check_repository(repository, local_roots=local_roots),
        ref=check_ref(ref) if ref else None,
        commit=check_commit(commit) if commit else None,
        project_dir=check_project_dir(project_dir or "."),
        images=tuple(check_image_name(name) for name in (images or [])),
        stages_storage=check_stages_storage(stages_storage) if stages_storage else None,
        config=check_relative_path("config", config) if config else None,
        synchronization=check_synchronization(synchronization) if synchronization else None,
        project_name=check_project_name(project_name) if project_name else None,
        images_repo=check_repository_reference("images_repo", images_repo) if images_repo else None,
        tags=tuple(check_tag(tag) for tag in (tags or [])),
        git_credentials_block=check_block_name(git_credentials_block) if git_credentials_block else None,
    )


def _check_no_placeholders(**values: str | None) -> None:
    """A `{{ $VAR }}` of prefect.yaml whose variable was unset when deploying reaches the flow verbatim."""
    for name, value in values.items():
        if isinstance(value, str) and "{{" in value:
            raise ParameterError(f"{name} is the unresolved prefect.yaml placeholder {value!r}",
                                 hint="set that environment variable when running `prefect deploy`, or give the "
                                      "parameter in the run (UI: Custom run; CLI: --param NAME=VALUE)")


def check_repository(value: str, *, local_roots: list[str] | None = None) -> str:
    hint = ("give an https://, ssh:// or git:// URL, user@host:path, or an absolute local path "
            "(webhooks: under a configured root)")
    if any(ord(c) < 0x20 or ord(c) == 0x7f for c in value or ""):     # a trailing newline too: never stripped
        raise ParameterError(f"repository {value!r}: not a repository address (control characters)", hint=hint)
    value = (value or "").strip(" ")
    if not value:
        raise ParameterError("repository: empty", hint=hint)
    if len(value) > MAX_REPOSITORY_LENGTH:
        raise ParameterError(f"repository: longer than {MAX_REPOSITORY_LENGTH} characters", hint=hint)
    if value.startswith("-"):
        raise ParameterError(f"repository {value!r}: not a repository address", hint=hint)
    if url_has_credentials(value):
        raise ParameterError(f"repository {redact(value)}: the URL carries credentials", hint=CREDENTIALS_HINT)
    if value.startswith("/"):
        return _check_local_path(value, local_roots, hint)
    if _SCP_LIKE.match(value):
        _check_no_traversal("repository", value.split(":", 1)[1], hint)
        return value
    parts = urlsplit(value)
    if parts.scheme not in URL_SCHEMES:
        shown = f"scheme {parts.scheme}://" if parts.scheme else "a relative path"
        raise ParameterError(f"repository {value!r}: {shown} is not accepted", hint=hint)
    if parts.query or parts.fragment:
        raise ParameterError(f"repository {value!r}: query strings and fragments are not accepted", hint=hint)
    if not parts.hostname or _SHELL_META.search(value.replace(f"{parts.scheme}://", "", 1).replace("~", "")):
        raise ParameterError(f"repository {value!r}: not a valid {parts.scheme} URL", hint=hint)
    if parts.hostname.startswith("-") or parts.path.lstrip("/").startswith("-") or \
            (parts.username or "").startswith("-"):
        raise ParameterError(f"repository {value!r}: a host, user or path may not begin with '-'", hint=hint)
    _check_no_traversal("repository", parts.path, hint)
    return value


def _check_local_path(value: str, local_roots: list[str] | None, hint: str) -> str:
    if _SHELL_META.search(value):
        raise ParameterError(f"repository {value!r}: a local path may not contain spaces or shell characters",
                             hint=hint)
    path = _check_no_traversal("repository", value, hint)
    if local_roots is not None:
        # compared after resolving symlinks: a link under a root may point anywhere on the host
        resolved = PurePosixPath(os.path.realpath(path))
        roots = [PurePosixPath(os.path.realpath(root)) for root in local_roots]
        if not any(resolved == root or root in resolved.parents for root in roots):
            raise ParameterError(f"repository {value}: local paths are accepted only under "
                                 f"{', '.join(map(str, roots)) or '(none configured)'}",
                                 hint="set WERF_PREFECT_WEBHOOK_LOCAL_ROOTS on the receiver, or send a URL")
    return str(path)


def _check_no_traversal(name: str, path: str, hint: str) -> PurePosixPath:
    if any(part == ".." for part in path.split("/")):
        raise ParameterError(f"{name} {path!r}: '..' path segments are not accepted", hint=hint)
    return PurePosixPath(path)


def check_ref(value: str) -> str:
    """git's own ref-name rules (`git check-ref-format --allow-onelevel`), see werf_core.git.refname.

    Not stripped: a trailing newline or space is an invalid ref, not a typo to fix silently. Stricter than git in
    one way: no shell metacharacters."""
    hint = ("a branch or tag name (main, v1.2) or a full ref (refs/heads/main, refs/tags/v1.2, refs/pull/7/head); "
            "git's ref-name rules apply")
    if not isinstance(value, str):
        raise ParameterError(f"ref: expected a string, got {type(value).__name__}", hint=hint)
    problem = refname_problem(value)
    if problem is None and _REF_SHELL_META.search(value):
        # valid for git, but refs also become run names and image tags that CI scripts handle: keep them inert
        problem = "shell metacharacters (; | & $ ` < > ( ) { } ' \" !) are not accepted"
    if problem:
        shown = value if len(value) <= 80 else value[:77] + "..."
        raise ParameterError(f"ref {shown!r}: {problem}", hint=hint)
    return value


_TRIGGER = re.compile(r"^[a-z][a-z0-9-]{0,19}$")


def check_trigger(value: str) -> str:
    if not _TRIGGER.match(value or ""):
        raise ParameterError(f"trigger {value!r}: a short lowercase word is expected",
                             hint="e.g. schedule, webhook, manual (at most 20 letters, digits and dashes)")
    return value


def build_run_name_for(parameters: Mapping[str, Any], *, commit: str | None = None, ref: str | None = None) -> str:
    """`build-<project>-<ref>-<commit7>[-<trigger>]` from a build's parameters (the webhook names its runs with this
    before answering, the flow with the same function when it starts, so the name never changes afterwards).

    `<project>` is the `project_name` parameter or the repository's name (known before anything runs, unlike the
    project named in werf.yaml); `commit` and `ref` are what was checked out when the parameters named none."""
    repository = strip_url_credentials(str(parameters.get("repository") or "project")).split("?", 1)[0]
    repository = repository.rstrip("/").removesuffix(".git")
    name = parameters.get("project_name") or repository.rsplit("/", 1)[-1].rsplit(":", 1)[-1] or "project"
    ref = parameters.get("ref") or ref
    commit = str(parameters.get("commit") or commit or "")
    parts = ["build", str(name), short_ref(str(ref)) if ref else ("" if commit else "worktree"), commit[:7]]
    trigger = parameters.get("trigger")
    if trigger:
        parts.append(str(trigger))
    return redact("-".join(part for part in parts if part))[:200]   # never a credential in a run name


def short_ref(ref: str) -> str:
    for prefix in ("refs/heads/", "refs/tags/"):
        if ref.startswith(prefix):
            return ref[len(prefix):]
    return ref.removeprefix("refs/")


def check_commit(value: str) -> str:
    value = value.strip().lower()
    if not _COMMIT.match(value):
        raise ParameterError(f"commit {value!r}: not a commit id",
                             hint="give 7 to 64 hexadecimal digits (a full SHA is best)")
    return value


def check_project_dir(value: str) -> str:
    return check_relative_path("project_dir", value,
                               hint="a directory relative to the repository root, e.g. `.` or `services/api`")


def check_relative_path(name: str, value: str, hint: str = "a path relative to the project directory") -> str:
    if value.startswith("/") or "\\" in value or _SHELL_META.search(value):
        raise ParameterError(f"{name} {value!r}: must be a plain relative path", hint=hint)
    return str(_check_no_traversal(name, value, hint))


def check_docker_config(value: str) -> str:
    """A Docker config directory on the worker: an absolute, plain path (it is read, never shown)."""
    if not value.startswith("/") or len(value) > 4096 or _SHELL_META.search(value) or "\x00" in value:
        raise ParameterError(f"docker_config {value!r}: must be an absolute directory path on the worker",
                             hint="e.g. /root/.docker; leave it empty to use the worker's default Docker config")
    return str(_check_no_traversal("docker_config", value, "an absolute path without `..`"))


def check_image_name(value: str) -> str:
    if not _IMAGE_NAME.match(value or "") or ".." in value:
        raise ParameterError(f"images: {value!r} is not an image name",
                             hint="use the names of `image:` documents in werf.yaml (`~` for the nameless image)")
    return value


def check_stages_storage(value: str) -> str:
    value = value.strip()
    if value == LOCAL_STORAGE:
        return value
    return check_repository_reference("stages_storage", value)


def check_repository_reference(name: str, value: str) -> str:
    from werf_core.registry.reference import ImageReference, InvalidReferenceError
    value = value.strip().rstrip("/")
    try:
        reference = ImageReference.parse(value)
    except InvalidReferenceError as err:
        raise ParameterError(f"{name}: {err.message}", hint=err.hint) from None
    if reference.tag or reference.digest:
        raise ParameterError(f"{name} {value!r}: give a repository without tag or digest",
                             hint="e.g. registry.example.com/group/app" + ("/stages" if name == "stages_storage"
                                                                           else ""))
    return value


def check_synchronization(value: str) -> str:
    from werf_core.sync.address import parse_synchronization_address
    value = value.strip()
    parse_synchronization_address(value)   # raises SynchronizationError (a WerfError) with the accepted forms
    if "@base64:" in value:
        # flow parameters are stored by the Prefect server and shown in its UI: no credentials in them
        raise ParameterError("synchronization: an inline kubeconfig (@base64:...) may not be a flow parameter",
                             hint="give the worker the kubeconfig (WERF_KUBE_CONFIG_BASE64, KUBECONFIG or a path: "
                                  "kubernetes://NAMESPACE@/path/to/kubeconfig), or set WERF_SYNCHRONIZATION there")
    return value


def check_block_name(value: str) -> str:
    if not _BLOCK_NAME.match(value or ""):
        raise ParameterError(f"git_credentials_block {value!r}: not a Prefect block name",
                             hint="the name of a Prefect Secret block: lowercase letters, digits and dashes")
    return value


def check_project_name(value: str) -> str:
    if not _PROJECT.match(value):
        raise ParameterError(f"project_name {value!r}: not a werf project name",
                             hint="lowercase letters, digits and dashes, starting and ending with a letter or digit, "
                                  "at most 50 characters")
    return value


def check_tag(value: str) -> str:
    if not _TAG.match(value or ""):
        raise ParameterError(f"tags: {value!r} is not a docker tag",
                             hint="start with a letter, digit or '_', then [A-Za-z0-9_.-], at most 128 characters")
    return value
