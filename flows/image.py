"""The `werf-image` flow: build one image (and reuse what it is built from) at an exact commit.

A fanned-out `werf-build` run submits one run of this flow per image (`flows/fan_out.py`), through the
`werf-image/fan-out-image` deployment, so each image is built by whichever worker of the pool is free. The images it
depends on were built by other runs before it was submitted: their stages are found in the shared stages storage
and finish `Cached`. Its run is named by the parent (`image-<project>-<image>-<commit7>`).
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from flows import engine_logs
from flows.build import build_settings, guarded, run_build
from flows.params import validate_build_parameters

engine_logs.install()


@flow(name="werf-image", validate_parameters=True)
def build_image(repository: str, image: str, commit: str | None = None, ref: str | None = None,
                project_dir: str = ".", config: str | None = None, stages_storage: str | None = ":local",
                synchronization: str | None = None, project_name: str | None = None,
                insecure_registry: bool = False, skip_tls_verify_registry: bool = False,
                allow_git_shallow_clone: bool = False, docker_config: str | None = None,
                config_templates_dir: str | None = None, trigger: str | None = None,
                git_credentials_block: str | None = None) -> dict[str, Any]:
    """Build IMAGE of the werf project in REPOSITORY at COMMIT; return the build report."""
    return guarded(lambda: run_build(
        validate_build_parameters(repository=repository, ref=ref, commit=commit, project_dir=project_dir,
                                  config=config, images=[image], stages_storage=stages_storage,
                                  synchronization=synchronization, project_name=project_name, trigger=trigger,
                                  git_credentials_block=git_credentials_block),
        build_settings(insecure_registry=insecure_registry, skip_tls_verify_registry=skip_tls_verify_registry,
                       allow_git_shallow_clone=allow_git_shallow_clone, docker_config=docker_config,
                       config_templates_dir=config_templates_dir), latest_artifact=False,
        shared_checkout=True)[0].to_json())   # the worker's other image runs of this commit reuse the checkout
