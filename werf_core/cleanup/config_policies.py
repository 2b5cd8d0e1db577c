"""The one place that reads `cleanup.keepPolicies` out of the loaded werf.yaml (the meta document's schema model).

The schema (werf_core/config/schema/meta.py) validates the section; this adapter only converts it into cleanup's own
policy objects, so a change of the config model (werf 1.2 keys) touches this module only. It reads attributes
defensively: a config without a `cleanup` section (or a model without the attribute) means werf's defaults.
"""

from __future__ import annotations

from typing import Any

from werf_core.cleanup.policies import AND, BRANCH, TAG, KeepPolicy, Limit, reference_pattern


def _limit(model: Any) -> Limit | None:
    if model is None:
        return None
    last = getattr(model, "last", None)
    within = getattr(model, "in_", None)
    operator = getattr(model, "operator", None) or AND
    return Limit(last=last, within=within, operator=operator)


def keep_policies_from_config(config: Any) -> tuple[KeepPolicy, ...]:
    """The configured policies, in order; () when werf.yaml has none (cleanup then uses the defaults)."""
    meta = getattr(config, "meta", None)
    cleanup = getattr(meta, "cleanup", None)
    policies = []
    for raw in getattr(cleanup, "keep_policies", None) or ():
        references = getattr(raw, "references", None)
        if references is None:
            continue
        branch, tag = getattr(references, "branch", None), getattr(references, "tag", None)
        kind, value = (BRANCH, branch) if branch else (TAG, tag)
        if not value:
            continue
        policies.append(KeepPolicy(kind, reference_pattern(str(value)), limit=_limit(getattr(references, "limit", None)),
                                   images_per_reference=_limit(getattr(raw, "images_per_reference", None))))
    return tuple(policies)
