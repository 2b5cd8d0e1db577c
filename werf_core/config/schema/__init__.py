"""The typed werf.yaml schema (pydantic v2 models, frozen; werf's keys are the aliases)."""

from werf_core.config.schema.builders import USER_STAGES, Ansible, Shell
from werf_core.config.schema.docker import DockerInstructions
from werf_core.config.schema.dockerfile import DockerfileImage
from werf_core.config.schema.git import GitMapping, StageDependencies
from werf_core.config.schema.imports import Dependency, DependencyImport, Import
from werf_core.config.schema.meta import (
                                          Cleanup,
                                          DeployTemplates,
                                          KeepPolicy,
                                          KeepPolicyReferences,
                                          Limit,
                                          Meta,
                                          project_name_problem,
)
from werf_core.config.schema.mounts import Mount
from werf_core.config.schema.stapel import SourceReference, StapelArtifact, StapelBase, StapelImage

ImageLike = StapelImage | StapelArtifact | DockerfileImage

__all__ = [
    "Ansible", "Cleanup", "Dependency", "DependencyImport", "DeployTemplates", "DockerInstructions", "DockerfileImage",
    "GitMapping", "ImageLike", "Import", "KeepPolicy", "KeepPolicyReferences", "Limit", "Meta", "Mount", "Shell",
    "SourceReference", "StageDependencies", "StapelArtifact", "StapelBase", "StapelImage", "USER_STAGES",
    "project_name_problem",
]
