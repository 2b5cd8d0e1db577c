"""Target platforms (`platform:` of images and of the meta `build`): OS/ARCH[/VARIANT]."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator

from werf_core.config.schema.base import string_list, werf_error

_PLATFORM = re.compile(r"^[a-z0-9_]+/[a-z0-9_]+(/[a-z0-9_.]+)?$")


def _platforms(value: Any) -> tuple[str, ...]:
    platforms = string_list(value)
    for platform in platforms:
        if not _PLATFORM.match(platform):
            raise werf_error(f'invalid platform "{platform}": expected OS/ARCH[/VARIANT], e.g. linux/amd64')
    if len(set(platforms)) != len(platforms):
        raise werf_error("a platform is listed twice")
    return platforms


PlatformList = Annotated[tuple[str, ...], BeforeValidator(_platforms)]
