"""The typed werf.yaml schema (pydantic v2 models, frozen; werf's keys are the aliases)."""

from werf_core.config.schema.builders import USER_STAGES, Ansible, Shell
from werf_core.config.schema.docker import DockerInstructions
from werf_core.config.schema.dockerfile import DockerfileImage
from werf_core.config.schema.git import GitMapping, StageDependencies
from werf_core.config.schema.image_spec import (
    GlobalImageSpec,
    GlobalImageSpecConfig,
    Healthcheck,
    ImageSpec,
    ImageSpecConfig,
    merged_with_defaults,
)
from werf_core.config.schema.imports import (
    Dependency,
    DependencyImport,
    DockerfileDependency,
    DockerfileDependencyImport,
    Import,
    is_external_reference,
)
from werf_core.config.schema.meta import (
    Cleanup,
    DeployTemplates,
    GitWorktree,
    HelmChartConfig,
    KeepPolicy,
    KeepPolicyReferences,
    Limit,
    Meta,
    MetaBuild,
    project_name_problem,
)
from werf_core.config.schema.mounts import Mount
from werf_core.config.schema.secrets import BuildSecret
from werf_core.config.schema.stapel import SourceReference, StapelArtifact, StapelBase, StapelImage

ImageLike = StapelImage | StapelArtifact | DockerfileImage

__all__ = [
    "Ansible", "BuildSecret", "Cleanup", "Dependency", "DependencyImport", "DeployTemplates", "DockerInstructions",
    "DockerfileDependency", "DockerfileDependencyImport", "DockerfileImage", "GitMapping", "GitWorktree",
    "GlobalImageSpec", "GlobalImageSpecConfig", "Healthcheck", "HelmChartConfig", "ImageLike", "ImageSpec",
    "ImageSpecConfig", "Import", "KeepPolicy", "KeepPolicyReferences", "Limit", "Meta", "MetaBuild", "Mount", "Shell",
    "SourceReference", "StageDependencies", "StapelArtifact", "StapelBase", "StapelImage", "USER_STAGES",
    "is_external_reference", "merged_with_defaults", "project_name_problem",
]
