"""`mount:` — directories shared by the build containers of an image (not stored in the image)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from werf_core.config.schema.base import AbsPath, WerfModel, YamlStr, one_of, werf_error

MOUNT_KINDS = ("tmp_dir", "build_dir")


class Mount(WerfModel):
    """`from: tmp_dir|build_dir` (a werf-managed directory) or `fromPath: PATH` (a host path), mounted at `to`."""

    from_: Annotated[str | None, one_of(MOUNT_KINDS, "mount `from`")] = Field(default=None, alias="from")
    from_path: YamlStr | None = None
    to: AbsPath

    @model_validator(mode="after")
    def _one_source(self) -> Mount:
        if self.from_ and self.from_path:
            raise werf_error(f"a mount takes `from: {self.from_}` or `fromPath: {self.from_path}`, not both",
                             key="fromPath")
        if not self.from_ and not self.from_path:
            raise werf_error("a mount needs `from: tmp_dir|build_dir` or `fromPath: PATH`")
        return self

    @property
    def kind(self) -> str:
        """"tmp_dir", "build_dir" or "custom_dir" (a `fromPath` mount), as werf names them."""
        return self.from_ or "custom_dir"
