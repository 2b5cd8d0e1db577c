"""The `werf-stages-sync` flow: copy a project's stages between stages storages (`werf stages sync`).

Typical uses: seed a registry stages storage from a laptop's `:local` before switching CI to distributed builds,
or mirror stages to a second registry nightly. Copies only what the destination lacks, so it is safe to schedule
and to re-run after a failure. The run leaves a summary artifact (copied, already present, gone, removed).
"""

from __future__ import annotations

from prefect import flow, get_run_logger

from flows.build import guarded
from flows.params import ParameterError, check_project_name, check_stages_storage


def sync_summary(result, *, project: str, source: str, destination: str) -> str:
    lines = [f"# werf stages sync of `{project}`", "", f"`{source}` → `{destination}`: {result.summary()}", ""]
    if result.copied:
        lines += ["| copied stage |", "|---|", *(f"| `{stage.tag}` |" for stage in result.copied)]
    return "\n".join(lines) + "\n"


@flow(name="werf-stages-sync", flow_run_name="stages-sync-{project}", validate_parameters=True)
def stages_sync(project: str, from_storage: str, to_storage: str, remove_source: bool = False,
                cleanup_local_cache: bool = False, workers: int = 4, insecure_registry: bool = False):
    """Copy the stages of werf project PROJECT from FROM_STORAGE to TO_STORAGE (`:local` or registry repositories)."""
    def body():
        from prefect.artifacts import create_markdown_artifact

        from flows.artifacts import artifact_key
        from werf_core.session.project import BuildOptions, docker_client, open_stages_storage
        from werf_core.storage.sync_stages import sync_stages

        check_project_name(project)
        source_address, destination_address = check_stages_storage(from_storage), check_stages_storage(to_storage)
        if not 1 <= workers <= 32:
            raise ParameterError(f"workers={workers}", hint="between 1 and 32 stages copied at once")
        logger = get_run_logger()
        client: list = []

        def client_factory():
            if not client:
                client.append(docker_client())
            return client[0]

        options = BuildOptions(insecure_registry=insecure_registry)
        source = open_stages_storage(source_address, client_factory, options)
        destination = open_stages_storage(destination_address, client_factory, options)
        result = sync_stages(source, destination, project, remove_source=remove_source,
                             cleanup_local_cache=cleanup_local_cache, workers=workers, say=logger.info)
        create_markdown_artifact(key=artifact_key("werf", project, "stages-sync"),
                                 markdown=sync_summary(result, project=project, source=source_address,
                                                       destination=destination_address),
                                 description=f"stages sync of {project}")
        return {"copied": [s.tag for s in result.copied], "present": len(result.present),
                "vanished": [s.tag for s in result.vanished], "removed": [s.tag for s in result.removed]}
    return guarded(body)
