"""What cleanup works on, from an opened project: stages storage, synchronization, records, images repo, git.

Shared by the `werf cleanup`/`purge` commands and the `werf-cleanup` flow, so both judge the same project the same way.
"""

from __future__ import annotations

from typing import Any

from werf_core.cleanup.run import CleanupTarget
from werf_core.publish.images_repo import ImagesRepo
from werf_core.session.project import BuildProject
from werf_core.storage.records import records_for


def cleanup_target(project: BuildProject, *, images_repo: str | None, images_repo_mode: str = "auto",
                   need_git: bool = True) -> CleanupTarget:
    """The project's CleanupTarget; a registry client it opens is closed with the project."""
    repo = ImagesRepo.open(images_repo, images_repo_mode) if images_repo else None
    options = project.options
    registry: Any = getattr(project.storage, "registry", None)
    if repo is not None and registry is None:
        from werf_core.registry.client import RegistryClient
        own = RegistryClient.from_werf_options(insecure_registry=options.insecure_registry,
                                               skip_tls_verify_registry=options.skip_tls_verify_registry,
                                               docker_config=options.docker_config)
        project.on_close.append(own.close)
        registry = own
    git: Any = project.repository if need_git else None
    config: Any = project.config
    run_git = (lambda *args: str(git.run_git(*args))) if git is not None else None
    return CleanupTarget(project=project.project, storage=project.storage, sync=project.sync,
                         records=records_for(project.storage), config_images=config.image_names(),
                         images_repo=repo, registry=registry, run_git=run_git,
                         commit_exists=git.commit_exists if git is not None else None,
                         docker_client=project.client_factory)
