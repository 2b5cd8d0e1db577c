"""Image cleanup policies that ci-env exports, with per-host overrides from `<werf home>/config/cleanup.yaml`.

The file lets a runner's administrator change the limits for every project built on that runner, e.g.

    gitTagStrategyLimit: 20
    gitCommitStrategyExpiryDays: 7

A key left out keeps its default. (werf v1.1 reset a left-out key to 0, which silently removed every image kept by
that policy; a partial file is far more likely to mean "change just this one".)
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, fields, replace
from pathlib import Path

from werf_core.ci_env.errors import CiEnvError
from werf_core.ci_env.script import Section, Variable, section


@dataclass(frozen=True)
class CleanupPolicies:
    git_tag_strategy_limit: int = 10
    git_tag_strategy_expiry_days: int = 30
    git_commit_strategy_limit: int = 50
    git_commit_strategy_expiry_days: int = 30
    stages_signature_strategy_limit: int = -1  # -1: no limit
    stages_signature_strategy_expiry_days: int = -1


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


_KEYS = {_camel(f.name): f.name for f in fields(CleanupPolicies)}


def cleanup_config_path(werf_home: Path) -> Path:
    return werf_home / "config" / "cleanup.yaml"


def load_cleanup_policies(path: Path) -> CleanupPolicies:
    """Defaults, overridden by the keys present in `path` (a missing file means defaults)."""
    if not path.exists():
        return CleanupPolicies()
    import yaml

    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError) as err:
        raise CiEnvError(f"cannot read {path}: {err}") from None
    except yaml.YAMLError as err:
        line = getattr(getattr(err, "problem_mark", None), "line", None)
        where = f"{path}:{line + 1}" if line is not None else str(path)
        raise CiEnvError(f"{where}: bad YAML in the cleanup policies file",
                         hint=f"expected keys: {', '.join(_KEYS)}") from None
    if data is None:
        return CleanupPolicies()
    if not isinstance(data, dict):
        raise CiEnvError(f"{path}: expected a mapping of cleanup policies, got {type(data).__name__}",
                         hint=f"expected keys: {', '.join(_KEYS)}")
    overrides = {}
    for key, value in data.items():
        if key not in _KEYS:
            close = difflib.get_close_matches(str(key), list(_KEYS), n=1)
            hint = f'did you mean "{close[0]}"?' if close else f"expected keys: {', '.join(_KEYS)}"
            raise CiEnvError(f'{path}: unknown key "{key}"', hint=hint)
        if isinstance(value, bool) or not isinstance(value, int):
            raise CiEnvError(f'{path}: "{key}" must be a whole number, got {value!r}',
                             hint="use -1 for no limit")
        overrides[_KEYS[key]] = value
    return replace(CleanupPolicies(), **overrides)


def cleanup_policies_section(policies: CleanupPolicies) -> Section:
    return section(
        "IMAGE CLEANUP POLICIES",
        Variable("WERF_GIT_TAG_STRATEGY_LIMIT", str(policies.git_tag_strategy_limit)),
        Variable("WERF_GIT_TAG_STRATEGY_EXPIRY_DAYS", str(policies.git_tag_strategy_expiry_days)),
        Variable("WERF_GIT_COMMIT_STRATEGY_LIMIT", str(policies.git_commit_strategy_limit)),
        Variable("WERF_GIT_COMMIT_STRATEGY_EXPIRY_DAYS", str(policies.git_commit_strategy_expiry_days)),
        Variable("WERF_STAGES_SIGNATURE_STRATEGY_LIMIT", str(policies.stages_signature_strategy_limit)),
        Variable("WERF_STAGES_SIGNATURE_STRATEGY_EXPIRY_DAYS", str(policies.stages_signature_strategy_expiry_days)),
    )
