"""werf.yaml: the Go template engine, the typed schema, loading and validation.

    config = load_werf_config(Path("."))
    config.meta.project, config.image_names(), config.get("app"), config.dependency_sets()

Names are exported lazily (PEP 562): importing `werf_core.config` (or its `gotemplate` subpackage) does not import
pydantic, so CLI commands that never read the config stay fast.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "load_werf_config": "werf_core.config.loader",
    "parse_werf_config": "werf_core.config.loader",
    "find_config_file": "werf_core.config.loader",
    "render_config": "werf_core.config.loader",
    "WerfConfig": "werf_core.config.werf_config",
    "SourceLocation": "werf_core.config.source_map",
    "ConfigError": "werf_core.errors",
}
_SCHEMA_NAMES = (
    "Ansible", "BuildSecret", "Cleanup", "Dependency", "DependencyImport", "DeployTemplates", "DockerInstructions",
    "DockerfileDependency", "DockerfileDependencyImport", "DockerfileImage", "GitMapping", "GitWorktree",
    "GlobalImageSpec", "GlobalImageSpecConfig", "Healthcheck", "HelmChartConfig", "ImageLike", "ImageSpec",
    "ImageSpecConfig", "Import", "KeepPolicy", "KeepPolicyReferences", "Limit", "Meta", "MetaBuild", "Mount", "Shell",
    "SourceReference", "StageDependencies", "StapelArtifact", "StapelBase", "StapelImage", "USER_STAGES",
)
_EXPORTS.update({name: "werf_core.config.schema" for name in _SCHEMA_NAMES})

__all__ = list(_EXPORTS)  # the lazy-export table names them


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'werf_core.config' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
