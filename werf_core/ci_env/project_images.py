"""What `werf ci-env github` needs from werf.yaml: the project name and whether one image is nameless.

GitHub's registry wants `<registry>/<owner>/<repo>/<image>`; a nameless image (`image: ~`) would be published as
`<registry>/<owner>/<repo>:<tag>`, so ci-env then adds the project name as the image part.

The full config loader (`werf_core.config.load_werf_config`) is used when it is available. Without it, a light scan
of the top-level `project:` and `image:` keys answers the question for configs whose names are written literally.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from werf_core.errors import ConfigError

DEFAULT_CONFIG_NAMES = ("werf.yaml", "werf.yml")


@dataclass(frozen=True)
class ProjectImages:
    project: str
    has_nameless_image: bool


def find_config_file(project_dir: Path, config: str | None = None) -> Path | None:
    """The werf.yaml to read; None when the project has none (ci-env works without one)."""
    if config:
        path = Path(config) if Path(config).is_absolute() else project_dir / config
        if not path.is_file():
            raise ConfigError(f"the config file {path} does not exist",
                              hint="fix --config / $WERF_CONFIG, or --dir / $WERF_DIR")
        return path
    for name in DEFAULT_CONFIG_NAMES:
        if (project_dir / name).is_file():
            return project_dir / name
    return None


def read_project_images(project_dir: Path, *, config: str | None = None, templates_dir: str | None = None,
                        project_name_override: str | None = None,
                        env: Mapping[str, str] | None = None) -> ProjectImages | None:
    path = find_config_file(project_dir, config)
    if path is None:
        return None
    load_werf_config = _full_config_loader()
    if load_werf_config is None:
        return scan_project_images(path, project_name_override=project_name_override)
    # not resolved: a werf.yaml committed as a symlink must stay subject to the project confinement
    loaded = load_werf_config(project_dir, config=str(path.absolute()), templates_dir=templates_dir, env=env,
                              project_name_override=project_name_override)
    return ProjectImages(project=loaded.meta.project,
                         has_nameless_image=any(name is None for name in loaded.image_names()))


def _full_config_loader():
    """`werf_core.config.load_werf_config` once both it and the template engine it renders with are in place."""
    try:
        from werf_core.config import load_werf_config
        from werf_core.config.gotemplate import render_werf_config  # noqa: F401 - needed by the loader
    except ImportError:
        return None
    return load_werf_config


_TOP_LEVEL_KEY = re.compile(r"^(project|image):(?:\s+(.*?))?\s*$")
_YAML_NULLS = {"", "~", "null", "Null", "NULL"}
_DOUBLE_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_SINGLE_QUOTED = re.compile(r"'((?:[^']|'')*)'")


def scan_project_images(path: Path, *, project_name_override: str | None = None) -> ProjectImages:
    """Find `project:` and `image:` keys at the top level of the YAML documents, without rendering templates.

    Keys only count in column 0, where every document of werf.yaml keeps them; names produced by templates count as
    named images (a nameless image is always written literally).
    """
    lines = path.read_text().splitlines()
    project: str | None = None
    nameless = False
    for number, line in enumerate(lines, start=1):
        match = _TOP_LEVEL_KEY.match(line)
        if not match:
            continue
        key, value = match.group(1), _scalar(match.group(2) or "")
        if key == "project":
            if project_name_override:
                continue
            if value and "{{" in value:
                raise ConfigError("the project name is a template, which ci-env cannot render yet",
                                  path=str(path), line=number, snippet=line,
                                  hint="set $WERF_PROJECT_NAME (or --project-name) to the project name")
            project = value
        elif not value and not _block_list_follows(lines, number):
            nameless = True  # `image: ~`, `image:` or `image: ""`
    project = project_name_override or project
    if not project:
        raise ConfigError("no `project:` found in the meta document",
                          path=str(path), hint="start werf.yaml with `configVersion: 1` and `project: <name>`")
    return ProjectImages(project=project, has_nameless_image=nameless)


def _scalar(text: str) -> str | None:
    """The value of a one-line YAML scalar: quotes removed, a trailing comment dropped; None for YAML's null."""
    match = _DOUBLE_QUOTED.match(text)
    if match:
        return match.group(1).replace('\\"', '"')
    match = _SINGLE_QUOTED.match(text)
    if match:
        return match.group(1).replace("''", "'")
    plain = re.split(r"\s#", text, maxsplit=1)[0].strip()
    return None if plain in _YAML_NULLS else plain


def _block_list_follows(lines: list[str], number: int) -> bool:
    """`image:` with nothing after it may open a list on the next lines (`- a`), naming several images."""
    for line in lines[number:]:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        return stripped.startswith("- ") or stripped == "-"
    return False
