"""What `werf ci-env github` needs from werf.yaml: the project name and whether one image is nameless.

GitHub's registry wants `<registry>/<owner>/<repo>/<image>`; a nameless image (`image: ~`) would be published as
`<registry>/<owner>/<repo>:<tag>`, so ci-env then adds the project name as the image part. The config is read by the
full loader (`werf_core.config.load_werf_config`), templates rendered, exactly as a build reads it.
"""

from __future__ import annotations

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
    from werf_core.config import load_werf_config

    path = find_config_file(project_dir, config)
    if path is None:
        return None
    # not resolved: a werf.yaml committed as a symlink must stay subject to the project confinement
    loaded = load_werf_config(project_dir, config=str(path.absolute()), templates_dir=templates_dir, env=env,
                              project_name_override=project_name_override)
    return ProjectImages(project=loaded.meta.project,
                         has_nameless_image=any(name is None for name in loaded.image_names()))
