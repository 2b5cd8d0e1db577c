"""`git:` mappings — the project's own repository (no `url`) or a remote one (`url`)."""

from __future__ import annotations

from pydantic import StrictBool, model_validator

from werf_core.config.schema.base import AbsPath, RelPathList, WerfModel, YamlStr, werf_error

BRANCH_ACKNOWLEDGEMENT = "herebyIAdmitThatBranchMightBreakReproducibility"


class StageDependencies(WerfModel):
    """Globs (relative to `add`) whose changes rebuild the install / beforeSetup / setup stages."""

    install: RelPathList = ()
    before_setup: RelPathList = ()
    setup: RelPathList = ()

    def for_stage(self, stage: str) -> tuple[str, ...]:
        """Globs for "install", "beforeSetup" or "setup"; () for any other stage."""
        return {"install": self.install, "beforeSetup": self.before_setup, "setup": self.setup}.get(stage, ())


class GitMapping(WerfModel):
    """Files of a git repository copied into the image: `add` (in the repo) → `to` (in the image)."""

    url: YamlStr | None = None
    add: AbsPath = "/"
    to: AbsPath
    owner: YamlStr | None = None
    group: YamlStr | None = None
    include_paths: RelPathList = ()
    exclude_paths: RelPathList = ()
    stage_dependencies: StageDependencies | None = None
    branch: YamlStr | None = None
    tag: YamlStr | None = None
    commit: YamlStr | None = None
    hereby_i_admit_that_branch_might_break_reproducibility: StrictBool = False

    @property
    def is_remote(self) -> bool:
        return self.url is not None

    @property
    def is_local(self) -> bool:
        return self.url is None

    @model_validator(mode="after")
    def _reference_rules(self) -> GitMapping:
        references = [key for key in ("branch", "tag", "commit") if getattr(self, key)]
        if self.is_local:
            if references:
                raise werf_error(f"`{references[0]}` is only for remote git mappings (with `url`); a local mapping "
                                 "always uses the current commit of the project repository", key=references[0],
                                 hint="remove it, or add `url:` to map a remote repository")
            return self
        if not self.url:
            raise werf_error("`url` of a remote git mapping must not be empty", key="url")
        if len(references) > 1:
            raise werf_error("specify only one of `branch`, `tag` or `commit` for a remote git mapping",
                             key=references[1])
        uses_branch = not references or references[0] == "branch"
        if uses_branch and not self.hereby_i_admit_that_branch_might_break_reproducibility:
            which = f'branch "{self.branch}"' if self.branch else "the default branch"
            raise werf_error(
                f"remote git mapping {self.url} follows {which}: the image changes whenever that branch moves, so "
                "earlier builds cannot be reproduced",
                key="branch" if self.branch else "url",
                hint=f"pin a `tag` or `commit`, or add `{BRANCH_ACKNOWLEDGEMENT}: true` to this mapping")
        return self
