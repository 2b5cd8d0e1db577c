"""The `werf-cleanup` flow: `werf cleanup` (images, then stages) on a schedule, optionally followed by host cleanup.

The repository is checked out like for a build (the cached clone keeps the full history and every branch and tag,
which the git-history keep policies need). The run leaves a summary artifact (what went, what was kept in use) and
returns the JSON cleanup report. Safe to run while builds run: stages a build uses are skipped (stage leases).
"""

from __future__ import annotations

import time

from prefect import flow, get_run_logger

from flows.build import guarded
from flows.params import validate_build_parameters


def cleanup_summary(report, *, project: str, label: str) -> str:
    document = report.to_json()
    verb = "would be deleted (dry run)" if report.dry_run else "deleted"
    lines = [f"# werf cleanup of `{project}` at `{label}`", "", report.summary(), ""]
    for group, key, title in (("images", "deleted", "image tags"), ("metadata", "deleted", "metadata records"),
                              ("stages", "deleted", "stages"), ("host", "containers", "host containers"),
                              ("host", "images", "host images"), ("host", "tmpDirs", "temporary directories")):
        items = document[group][key]
        if items:
            lines += [f"## {title} {verb} ({len(items)})", "", "| name | reason |", "|---|---|",
                      *(f"| `{i['name']}` | {i['reason']} |" for i in items[:200]), ""]
    in_use = [i for i in document["stages"]["kept"] if i["reason"] == "in use by a running build"]
    if in_use:
        lines += [f"{len(in_use)} stage(s) kept because a running build uses them.", ""]
    for warning in document["warnings"][:50]:
        lines.append(f"- warning: {warning}")
    return "\n".join(lines) + "\n"


@flow(name="werf-cleanup", flow_run_name="cleanup", validate_parameters=True)
def cleanup(repository: str, images_repo: str, ref: str | None = None, project_dir: str = ".",
            stages_storage: str = ":local", synchronization: str | None = None, images_repo_mode: str = "auto",
            dry_run: bool = False, without_kube: bool = False, kube_context: str | None = None,
            scan_context_namespace_only: bool = False, git_history_based_cleanup: bool = True,
            host_cleanup: bool = False, project_name: str | None = None, insecure_registry: bool = False):
    """Clean up the images repo and stages storage of the werf project in REPOSITORY (URL or path) at REF.

    Images are kept by werf.yaml's `cleanup.keepPolicies` (werf's defaults without them) and when a Kubernetes
    workload uses them (the worker's kubeconfig; `without_kube` skips the scan). `dry_run` only reports.
    """
    def body():
        from prefect.artifacts import create_markdown_artifact

        from flows.artifacts import artifact_key
        from flows.build import rename_flow_run
        from flows.source import checked_out
        from werf_core.cleanup.config_policies import keep_policies_from_config
        from werf_core.cleanup.host import HostCleanupOptions
        from werf_core.cleanup.host import host_cleanup as run_host_cleanup
        from werf_core.cleanup.images import ImagesCleanupOptions
        from werf_core.cleanup.kube_scan import KubeScanOptions
        from werf_core.cleanup.report import CleanupReport
        from werf_core.cleanup.run import guard_seconds_from_env, run_cleanup
        from werf_core.session.cleanup_target import cleanup_target
        from werf_core.session.project import BuildOptions, open_project

        params = validate_build_parameters(repository=repository, ref=ref, project_dir=project_dir,
                                           stages_storage=stages_storage, synchronization=synchronization,
                                           project_name=project_name, images_repo=images_repo)
        logger = get_run_logger()
        report = CleanupReport(dry_run=dry_run, say=logger.info)
        kube = None if without_kube else KubeScanOptions(context=kube_context,
                                                         context_namespace_only=scan_context_namespace_only)
        with checked_out(params) as source:
            options = BuildOptions(dir=str(source.project_dir), config=params.config,
                                   stages_storage=params.stages_storage, synchronization=params.synchronization,
                                   project_name=params.project_name, insecure_registry=insecure_registry)
            project = open_project(options, warn=logger.warning)
            try:
                rename_flow_run(f"cleanup-{project.project}")
                target = cleanup_target(project, images_repo=params.images_repo, images_repo_mode=images_repo_mode)
                run_cleanup(target, options=ImagesCleanupOptions(
                    git_history_based=git_history_based_cleanup, policies=keep_policies_from_config(project.config)),
                    kube=kube, report=report, now=time.time(), guard_seconds=guard_seconds_from_env())
                if host_cleanup:
                    run_host_cleanup(project.client_factory(), HostCleanupOptions(), report)
            finally:
                project.close()
            create_markdown_artifact(key=artifact_key("werf", project.project, "cleanup"),
                                     markdown=cleanup_summary(report, project=project.project, label=source.label),
                                     description=f"cleanup of {project.project}")
        return report.to_json()
    return guarded(body)
