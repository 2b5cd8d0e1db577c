"""Rendering werf.yaml: the config template plus the `.werf/**/*.tmpl` templates, with `.Files` as data."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from werf_core.config.gotemplate.errors import TemplateError
from werf_core.config.gotemplate.files import Files
from werf_core.config.gotemplate.gostrconv import from_bytes
from werf_core.config.gotemplate.template_set import TemplateSet
from werf_core.config.gotemplate.werf_funcs import UnsetEnvRead, werf_functions
from werf_core.errors import ConfigError


def _display(path: Path, project_dir: Path) -> str:
    """Paths in messages: relative to the project directory when inside it."""
    try:
        return path.resolve().relative_to(project_dir.resolve()).as_posix()
    except ValueError:
        return str(path)


def _read_text(path: Path, display: str, what: str) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{what} {display} not found",
                          hint="Run werf in the project directory, or point --config at the werf.yaml") from None
    except OSError as err:
        raise ConfigError(f"cannot read {what} {display}: {err.strerror or err}") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return from_bytes(data)


def template_files(templates_dir: Path) -> list[tuple[str, Path]]:
    """(name, path) of every *.tmpl under templates_dir, named by their slash-separated relative path."""
    found = []
    for dirpath, dirnames, filenames in os.walk(templates_dir):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(".tmpl"):
                path = Path(dirpath) / name
                found.append((path.relative_to(templates_dir).as_posix(), path))
    return found


def render_werf_config_text(text: str, *, project_dir: Path, config_name: str = "werf.yaml",
                            templates_dir: Path | None = None, env: Mapping[str, str] | None = None,
                            warn: Callable[[str], None] | None = None,
                            unset_env: list[UnsetEnvRead] | None = None) -> str:
    """Render werf.yaml text (named `config_name` in messages) for the project in `project_dir`.

    The data is werf 1.2's: `.Files`, `.Env` (the werf environment, $WERF_ENV) and `.Commit` (`.Hash`, `.Date.Human`,
    `.Date.Unix` of HEAD; read from git only when a template mentions `.Commit`). `unset_env`, when given, receives
    the environment variables that `env`/`expandenv` found unset or empty.
    """
    project_dir = Path(project_dir)
    environ = os.environ if env is None else env
    tset = TemplateSet(werf_functions(env, unset_env))
    sources = [text]
    if templates_dir is None:
        default = project_dir / ".werf"
        templates_dir = default if default.is_dir() else None
    if templates_dir is not None:
        templates_dir = Path(templates_dir)
        for name, path in template_files(templates_dir):
            display = _display(path, project_dir)
            template_text = _read_text(path, display, "template")
            sources.append(template_text)
            tset.parse(name, template_text, source_path=display)
    tset.parse(config_name, text, source_path=config_name)
    data: dict = {"Files": Files(project_dir, warn), "Env": environ.get("WERF_ENV", "")}
    if any("Commit" in source for source in sources):
        data["Commit"] = head_commit(project_dir)
    return tset.execute(config_name, data)


def head_commit(project_dir: Path) -> dict:
    """`.Commit` of werf 1.2: HEAD's hash and committer date (empty values outside a git work tree)."""
    try:
        out = subprocess.run(["git", "-C", str(project_dir), "log", "-1", "--format=%H %ct %ci"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        out = ""
    parts = out.split(" ", 2)
    if len(parts) < 3:
        return {"Hash": "", "Date": {"Human": "", "Unix": ""}}
    return {"Hash": parts[0], "Date": {"Human": parts[2], "Unix": parts[1]}}


def render_werf_config(project_dir: Path, config_path: Path, templates_dir: Path | None,
                       env: Mapping[str, str] | None = None, unset_env: list[UnsetEnvRead] | None = None) -> str:
    """Render the werf.yaml at config_path with data {"Files": ...}, Sprig + werf functions and the *.tmpl
    templates of templates_dir (default: project_dir/.werf when it exists). env defaults to os.environ.

    Raises TemplateError (a ConfigError with path/line of the failing action) or ConfigError.
    """
    project_dir = Path(project_dir)
    config_path = Path(config_path)
    if not config_path.is_absolute():
        config_path = project_dir / config_path
    name = _display(config_path, project_dir)
    text = _read_text(config_path, name, "werf config")
    return render_werf_config_text(text, project_dir=project_dir, config_name=name, templates_dir=templates_dir,
                                   env=env, unset_env=unset_env)


__all__ = ["render_werf_config", "render_werf_config_text", "template_files", "TemplateError", "UnsetEnvRead"]
