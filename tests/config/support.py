"""Helpers for the config tests: load config text without the template engine, capture the ConfigError."""

from __future__ import annotations

import textwrap

import pytest

from werf_core.config import parse_werf_config
from werf_core.errors import ConfigError

META = "project: demo\nconfigVersion: 1\n---\n"


def load(text: str, *, meta: bool = True, **kwargs):
    """Validate template-free config text; `meta` prepends a valid meta section (3 lines)."""
    text = textwrap.dedent(text)
    if meta:
        text = META + text
    return parse_werf_config(text, source_text=text, **kwargs)


def error(text: str, *, meta: bool = True, **kwargs) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load(text, meta=meta, **kwargs)
    return info.value


def image(text: str):
    """The single image (or artifact) of a one-section config."""
    config = load(text)
    models = config.all()
    assert len(models) == 1
    return models[0]
