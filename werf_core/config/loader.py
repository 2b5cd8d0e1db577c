"""`load_werf_config`: find werf.yaml → render the Go template → split → validate sections → cross-checks."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werf_core.config.project_files import ReadBudget
from werf_core.errors import ConfigError

if TYPE_CHECKING:
    from werf_core.config.werf_config import WerfConfig

# werf checks werf.yml before werf.yaml
DEFAULT_CONFIG_NAMES = ("werf.yml", "werf.yaml")


def _user_path(project_dir: Path, given: str) -> Path:
    """A path the user gave: absolute; else relative to the project dir (our flags' help says so), falling back to the
    working directory, which is what werf v1.1 uses — both readings of `--dir app --config app/werf.yaml` work."""
    if os.path.isabs(given):
        return Path(given)
    in_project = Path(project_dir) / given
    if in_project.exists() or not Path(given).exists():
        return in_project
    return Path(given)


def find_config_file(project_dir: Path, config: str | None = None) -> Path:
    """`config` (absolute, or relative to the project dir or else the working dir), else werf.yml, else werf.yaml."""
    project_dir = Path(project_dir)
    if config:
        path = _user_path(project_dir, config)
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist", hint="fix --config / $WERF_CONFIG")
        return path
    if not project_dir.is_dir():
        raise ConfigError(f"project directory {project_dir} does not exist",
                          hint="fix --dir / $WERF_DIR")
    for name in DEFAULT_CONFIG_NAMES:
        if (project_dir / name).is_file():
            return project_dir / name
    raise ConfigError(f"no werf.yaml or werf.yml in {project_dir}",
                      hint="create werf.yaml in the project directory, or point --dir / --config at it")


def read_config_source(config_path: Path, project_dir: Path | None = None,
                       budget: ReadBudget | None = None) -> tuple[str, str]:
    """(name for messages, text) of the werf.yaml template. Read like every file rendering reads: inside the project
    after symlinks (unless --config points outside it), a regular file, bounded in size."""
    from werf_core.config.gotemplate.render import read_werf_config_template
    config_path = Path(config_path).absolute()
    name, text = read_werf_config_template(Path(project_dir) if project_dir is not None else config_path.parent,
                                           config_path, budget)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise ConfigError(f"{name} is not UTF-8 text (invalid byte at character {err.start})") from None
    return name, text


def render_config(project_dir: Path, config_path: Path, templates_dir: str | None = None,
                  env: Mapping[str, str] | None = None, unset_env: list[Any] | None = None) -> str:
    """The config rendered by the Go template engine (data `.Files`, Sprig, `include` of `.werf/**/*.tmpl`).

    `unset_env`, when given, receives the environment variables the templates read but found unset or empty."""
    from werf_core.config.env_hints import with_env_hint
    from werf_core.config.gotemplate import render_werf_config
    templates = _user_path(Path(project_dir), templates_dir) if templates_dir else None
    reads: list[Any] = [] if unset_env is None else unset_env
    # the engine reads a relative config path as relative to the project dir; ours may be relative to the cwd
    try:
        return render_werf_config(Path(project_dir), Path(config_path).absolute(), templates, env, reads)
    except ConfigError as err:
        raise with_env_hint(err, reads) from None


def _render_source(project_dir: Path, name: str, source: str, templates_dir: str | None,
                   env: Mapping[str, str] | None, budget: ReadBudget, unset_env: list[Any]) -> str:
    from werf_core.config.env_hints import with_env_hint
    from werf_core.config.gotemplate import render_werf_config_text
    templates = _user_path(Path(project_dir), templates_dir) if templates_dir else None
    try:
        return render_werf_config_text(source, project_dir=Path(project_dir), config_name=name,
                                       templates_dir=templates, env=env, budget=budget, unset_env=unset_env)
    except ConfigError as err:
        raise with_env_hint(err, unset_env) from None


def load_werf_config(project_dir: Path, *, config: str | None = None, templates_dir: str | None = None,
                     env: Mapping[str, str] | None = None, project_name_override: str | None = None,
                     render_dump_path: Path | None = None) -> WerfConfig:
    """Load and validate the project's werf.yaml; every mistake raises a ConfigError naming file and line.

    `render_dump_path`, when given, receives the rendered text (handy for diffing non-deterministic renders).
    """
    project_dir = Path(project_dir)
    config_path = find_config_file(project_dir, config)
    budget = ReadBudget()  # one read budget for werf.yaml, its partials and `.Files`
    name, source = read_config_source(config_path, project_dir, budget)
    unset_env: list[Any] = []   # environment variables the templates found unset: named by errors they may explain
    rendered = _render_source(project_dir, name, source, templates_dir, env, budget, unset_env)
    if render_dump_path is not None:
        Path(render_dump_path).write_text(rendered)
    try:
        return parse_werf_config(rendered, source_text=source, config_path=name, project_dir=project_dir,
                                 project_name_override=project_name_override)
    except ConfigError as err:
        from werf_core.config.env_hints import with_env_hint
        raise with_env_hint(err, unset_env) from None


def parse_werf_config(rendered: str, *, source_text: str | None = None, config_path: str = "werf.yaml",
                      project_dir: Path | None = None, project_name_override: str | None = None) -> WerfConfig:
    """Validate already rendered config text. `source_text` (the template) lets errors name the lines written."""
    from werf_core.config.cross_checks import check_sections
    from werf_core.config.documents import parse_document
    from werf_core.config.schema import project_name_problem
    from werf_core.config.source_map import ErrorReporter
    from werf_core.config.werf_config import WerfConfig
    from werf_core.config.yaml_documents import split_documents

    reporter = ErrorReporter(config_path, source_text, rendered)
    sections = []
    for document in split_documents(rendered):
        sections.extend(parse_document(document, reporter))
    checked = check_sections(sections, reporter,
                             suggested_project=lambda: suggest_project_name(project_dir) if project_dir else "<name>")
    meta = checked.meta
    if project_name_override:
        problem = project_name_problem(project_name_override)
        if problem:
            raise ConfigError(f'bad project name "{project_name_override}" given by --project-name / '
                              f"$WERF_PROJECT_NAME: {problem}")
        meta = meta.model_copy(update={"project": project_name_override})
    return WerfConfig.from_sections(meta, checked.sections, config_path=config_path, rendered=rendered)


def suggest_project_name(project_dir: Path) -> str:
    """What werf proposes for `project:`: the git origin's repository name, else the directory name, slugified."""
    name = Path(project_dir).resolve().name
    try:
        url = subprocess.run(["git", "-C", str(project_dir), "config", "--get", "remote.origin.url"],
                             capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        url = ""
    if url:
        name = _origin_repository_path(url)
    return slugify_project_name(name)


def _origin_repository_path(url: str) -> str:
    """"https://host/group/app.git" and "git@host:group/app.git" → "group/app" (werf slugs the whole path)."""
    if "://" in url:
        from urllib.parse import urlparse
        path = urlparse(url).path
    elif ":" in url:
        path = url.split(":", 1)[1]
    else:
        path = url
    path = path.strip("/")
    return path[:-4] if path.endswith(".git") else path


def slugify_project_name(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:50].strip("-")
    return slug or "project"
