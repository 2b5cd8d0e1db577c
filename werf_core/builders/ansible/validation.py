"""Checking ansible tasks from werf.yaml before anything is built.

A task must name exactly one module from werf's supported list (`block`/`rescue`/`always` hold nested tasks instead,
checked the same way); every other key must be an Ansible task keyword. Mistakes are reported as a `ConfigError`
that names the image, the stage, the task's position and name, and suggests the closest valid names.
"""

from __future__ import annotations

import difflib
from typing import Any

from werf_core.builders.ansible.modules import (
    BLOCK_KEYS,
    MODULE_IN_VALUE_KEYWORDS,
    SUPPORTED_MODULE_SET,
    TASK_KEYWORDS,
    WERF_SUPPORTED_MODULES,
    is_task_keyword,
    runtime_availability,
    short_module_name,
)
from werf_core.errors import ConfigError


def validate_ansible_tasks(tasks: Any, *, image: str, stage: str, check_runtime: bool = True) -> None:
    """Raise ConfigError for the first task that does not use exactly one supported module.

    With `check_runtime=False` (loading and planning), a module on werf's list that the runtime lacks is accepted:
    the config is valid werf, and planning must work; building such a stage checks again and refuses it.
    """
    if tasks is None:
        return
    if not isinstance(tasks, list):
        raise ConfigError(f"image \"{image}\", ansible stage {stage}: expected a list of tasks, "
                          f"got {type(tasks).__name__}",
                          hint=f"write `{stage}:` followed by `- name: ...` items, one per task")
    for index, task in enumerate(tasks):
        _validate_task(task, image=image, stage=stage, where=f"task {index}", check_runtime=check_runtime)


def _describe(image: str, stage: str, where: str, task: Any) -> str:
    name = task.get("name") if isinstance(task, dict) else None
    label = f" (\"{name}\")" if name else " (unnamed)"
    return f"image \"{image}\", ansible stage {stage}, {where}{label}"


def _validate_task(task: Any, *, image: str, stage: str, where: str, check_runtime: bool) -> None:
    if not isinstance(task, dict):
        raise ConfigError(f"{_describe(image, stage, where, task)}: a task must be a mapping, "
                          f"got {type(task).__name__} {task!r}",
                          hint="write each task as `- <module>: <arguments>` with optional keywords like `name:`")
    keys = [str(k) for k in task]
    block_keys = [k for k in keys if k in BLOCK_KEYS]
    candidates = [k for k in keys if k not in BLOCK_KEYS and not is_task_keyword(k)]
    value_form = [k for k in keys if k in MODULE_IN_VALUE_KEYWORDS]

    if block_keys:
        if candidates:
            raise ConfigError(f"{_describe(image, stage, where, task)}: a block cannot also use a module "
                              f"({', '.join(candidates)})",
                              hint="move the module into a task inside `block:`")
        for key in block_keys:
            nested = task[key]
            if not isinstance(nested, list):
                raise ConfigError(f"{_describe(image, stage, where, task)}: `{key}` must be a list of tasks",
                                  hint=f"write `{key}:` followed by `- <module>: ...` items")
            for inner_index, inner in enumerate(nested):
                _validate_task(inner, image=image, stage=stage, where=f"{where} > {key} item {inner_index}",
                               check_runtime=check_runtime)
        return

    if value_form and not candidates:
        raise ConfigError(f"{_describe(image, stage, where, task)}: `{value_form[0]}:` is not supported in werf's "
                          f"ansible stages",
                          hint="write the module as the task's key, e.g. `- shell: make install`")
    if not candidates:
        raise ConfigError(f"{_describe(image, stage, where, task)}: the task uses no module "
                          f"(keys: {', '.join(keys) or 'none'})",
                          hint="add exactly one module, e.g. `shell: ...`, `copy: ...`, `file: ...`")
    if len(candidates) > 1:
        raise ConfigError(f"{_describe(image, stage, where, task)}: the task uses {len(candidates)} modules "
                          f"({', '.join(candidates)}); a task must use exactly one",
                          hint="split it into one task per module" + _suggest_keyword_hint(candidates))

    key = candidates[0]
    module = short_module_name(key)
    if module not in SUPPORTED_MODULE_SET:
        raise ConfigError(f"{_describe(image, stage, where, task)}: module \"{key}\" is not supported in werf's "
                          f"ansible stages",
                          hint=_unsupported_hint(module))
    moved_to = runtime_availability(module) if check_runtime else None
    if moved_to is not None:
        where_now = "was removed from Ansible" if moved_to == "removed" else f"now lives in {moved_to}"
        raise ConfigError(f"{_describe(image, stage, where, task)}: module \"{key}\" is on werf's list, but "
                          f"werf-prefect's ansible runtime ships ansible-core only and the module {where_now}",
                          hint="do the same with `shell:`/`command:` (e.g. call the package manager directly)")


def _suggest_keyword_hint(candidates: list[str]) -> str:
    typos = []
    for key in candidates:
        close = difflib.get_close_matches(key, sorted(TASK_KEYWORDS), n=1, cutoff=0.75)
        if close:
            typos.append(f"`{key}` looks like the keyword `{close[0]}`")
    return ("; " + "; ".join(typos)) if typos else ""


def _unsupported_hint(module: str) -> str:
    keyword = difflib.get_close_matches(module, sorted(TASK_KEYWORDS), n=1, cutoff=0.75)
    if keyword:
        return f"did you mean the task keyword `{keyword[0]}`?"
    close = difflib.get_close_matches(module, WERF_SUPPORTED_MODULES, n=5, cutoff=0.6)
    if close:
        return "close supported modules: " + ", ".join(close)
    return "supported modules: " + ", ".join(WERF_SUPPORTED_MODULES)
