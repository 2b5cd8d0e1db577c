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
from werf_core.config.limits import MAX_TEMPLATE_FILE_BYTES
from werf_core.config.project_files import ConfinedReader, ReadBudget, UnsafeProjectFile
from werf_core.errors import ConfigError


def _lexically_inside(path: Path, directory: Path) -> bool:
    full = os.path.normpath(os.path.abspath(path))
    root = os.path.normpath(os.path.abspath(directory))
    return full == root or full.startswith(root.rstrip(os.sep) + os.sep)


def reader_for(path: Path, project_dir: Path, budget: ReadBudget) -> ConfinedReader:
    """The reader that confines `path`: the project, when the path is (lexically) in it — then symlinks must not
    lead out — else the directory of a path the operator gave explicitly (`--config`, `--templates-dir` outside the
    project, which werf allows)."""
    if _lexically_inside(path, project_dir):
        return ConfinedReader(project_dir, budget)
    return ConfinedReader(path if path.is_dir() else path.parent, budget)


def _read_template(reader: ConfinedReader, path: Path, what: str) -> str:
    display = reader.display(str(path))
    try:
        data = reader.read(str(path), MAX_TEMPLATE_FILE_BYTES)
    except UnsafeProjectFile as err:
        raise ConfigError(f"{what} {err.display} {err.problem}", hint=err.hint) from None
    if data is None:
        raise ConfigError(f"{what} {display} not found",
                          hint="Run werf in the project directory, or point --config at the werf.yaml")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return from_bytes(data)


def template_files(templates_dir: Path, reader: ConfinedReader | None = None) -> list[tuple[str, Path]]:
    """(name, path) of every *.tmpl under templates_dir, named by their slash-separated relative path. Symlinked
    directories are not entered; a symlinked *.tmpl is listed and must resolve inside the reader's root when read."""
    reader = reader if reader is not None else ConfinedReader(templates_dir)
    start = os.path.relpath(os.path.abspath(templates_dir), reader.root)
    found = []
    try:
        for rel, name in reader.walk_files(start):
            if name.endswith(".tmpl"):
                found.append((name, Path(reader.root, rel)))
    except UnsafeProjectFile as err:
        raise ConfigError(f"templates directory {err.display} {err.problem}", hint=err.hint) from None
    return found


def render_werf_config_text(text: str, *, project_dir: Path, config_name: str = "werf.yaml",
                            templates_dir: Path | None = None, env: Mapping[str, str] | None = None,
                            warn: Callable[[str], None] | None = None, budget: ReadBudget | None = None,
                            unset_env: list[UnsetEnvRead] | None = None) -> str:
    """Render werf.yaml text (named `config_name` in messages) for the project in `project_dir`.

    The data is werf 1.2's: `.Files`, `.Env` (the werf environment, $WERF_ENV) and `.Commit` (`.Hash`, `.Date.Human`,
    `.Date.Unix` of HEAD; read from git only when a template mentions `.Commit`). `unset_env`, when given, receives
    the environment variables that `env`/`expandenv` found unset or empty.
    """
    project_dir = Path(project_dir)
    budget = budget if budget is not None else ReadBudget()
    environ = os.environ if env is None else env
    tset = TemplateSet(werf_functions(env, unset_env))
    sources = [text]
    if templates_dir is None:
        default = project_dir / ".werf"
        templates_dir = default if default.is_dir() or default.is_symlink() else None
    if templates_dir is not None:
        templates_dir = Path(templates_dir)
        reader = reader_for(templates_dir, project_dir, budget)
        for name, path in template_files(templates_dir, reader):
            tmpl_text = _read_template(reader, path, "template")
            sources.append(tmpl_text)
            tset.parse(name, tmpl_text, source_path=reader.display(str(path)))
    tset.parse(config_name, text, source_path=config_name)
    data: dict = {"Files": Files(project_dir, warn, budget), "Env": environ.get("WERF_ENV", "")}
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


def read_werf_config_template(project_dir: Path, config_path: Path,
                              budget: ReadBudget | None = None) -> tuple[str, str]:
    """(name for messages, text) of the werf.yaml at config_path, read under the same confinement as the
    templates: inside the project after symlinks (unless the operator pointed outside it), regular, bounded."""
    project_dir = Path(project_dir)
    config_path = Path(config_path)
    if not config_path.is_absolute():
        config_path = project_dir / config_path
    reader = reader_for(config_path, project_dir, budget if budget is not None else ReadBudget())
    name = reader.display(str(config_path)) if _lexically_inside(config_path, project_dir) else str(config_path)
    return name, _read_template(reader, config_path, "werf config")


def render_werf_config(project_dir: Path, config_path: Path, templates_dir: Path | None,
                       env: Mapping[str, str] | None = None, unset_env: list[UnsetEnvRead] | None = None) -> str:
    """Render the werf.yaml at config_path with data {"Files": ...}, Sprig + werf functions and the *.tmpl
    templates of templates_dir (default: project_dir/.werf when it exists). env defaults to os.environ.

    Raises TemplateError (a ConfigError with path/line of the failing action) or ConfigError.
    """
    budget = ReadBudget()
    name, text = read_werf_config_template(project_dir, config_path, budget)
    return render_werf_config_text(text, project_dir=Path(project_dir), config_name=name,
                                   templates_dir=templates_dir, env=env, budget=budget, unset_env=unset_env)


__all__ = ["TemplateError", "UnsetEnvRead", "read_werf_config_template", "render_werf_config",
           "render_werf_config_text", "template_files"]
