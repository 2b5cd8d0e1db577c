"""A fanned-out `werf-build` run: check out once, submit one `werf-image` run per image, aggregate their reports.

The scheduling itself is `flows.fan_out.schedule`; this module supplies what the parent knows (the commit it
resolved, the dependency graph from werf.yaml, the parameters every child shares) and collects what the children
left: each child leaves the stages table of its image (with the worker's hostname), which the parent turns into its
own report and a summary listing every image with the worker that built it.
"""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING, Any
from uuid import UUID

from flows.artifacts import artifact_key, fan_out_markdown, image_table_key
from flows.build import build_options, current_flow_run_id
from flows.fan_out import ChildRuns, FanOutError, check_fan_out_possible, image_dependencies, schedule
from flows.progress import PrefectProgress
from flows.source import checked_out

if TYPE_CHECKING:
    from flows.build import BuildSettings
    from flows.params import BuildParameters


def run_fan_out(params: BuildParameters, settings: BuildSettings, *, image_deployment: str) -> dict[str, Any]:
    from werf_core.session.project import requested_images
    from werf_core.session.session import BuildSession

    check_fan_out_possible(params.stages_storage, params.synchronization or os.environ.get("WERF_SYNCHRONIZATION"))
    if settings.dry_run:
        raise FanOutError("a dry run is not fanned out", hint="plan with fan_out off: planning builds nothing")
    started = time.monotonic()
    with checked_out(params, shared=True) as source:     # kept for image runs on this host
        options = build_options(params, settings, source)
        # opening the project checks werf.yaml, the stages storage and the synchronization before any child starts
        with BuildSession.open(options, progress=PrefectProgress()) as session:
            graph = image_dependencies(session.project.config, requested_images(options))
            project = session.project.project
    shared = child_parameters(params, settings, commit=source.commit)
    runs = ChildRuns(image_deployment)

    def start(image: str, attempt: int) -> str:
        name = f"image-{project}-{image.replace('~', 'nameless')}-{source.commit[:7]}"
        return runs.submit(image, {**shared, "image": image}, name if attempt == 1 else f"{name}-try{attempt}")

    try:
        result = schedule(graph, start=start, state=runs.state, cancel=runs.cancel)
    finally:
        runs.close()
    images = collect_reports(project, {image: child.flow_run_id for image, child in result.runs.items()})
    publish_fan_out_artifacts(project, label=source.label, commit=source.commit, images=images)
    counts: dict[str, int] = {}
    for report in images.values():
        for stage in report["stages"]:
            counts[stage["status"]] = counts.get(stage["status"], 0) + 1
    return {"project": project, "stagesStorage": params.stages_storage, "seconds": round(time.monotonic() - started, 3),
            "counts": counts, "images": images}


def child_parameters(params: BuildParameters, settings: BuildSettings, *, commit: str) -> dict[str, Any]:
    """What every child gets: the parent's parameters, pinned to the commit the parent resolved."""
    return {"repository": params.repository, "commit": commit, "project_dir": params.project_dir,
            "config": params.config, "stages_storage": params.stages_storage,
            "synchronization": params.synchronization, "project_name": params.project_name,
            "insecure_registry": settings.insecure_registry,
            "skip_tls_verify_registry": settings.skip_tls_verify_registry,
            "allow_git_shallow_clone": settings.allow_git_shallow_clone, "docker_config": settings.docker_config,
            "config_templates_dir": settings.config_templates_dir,
            # the name of the Secret block, never the token: each child loads it on its own worker
            "git_credentials_block": params.git_credentials_block}


def collect_reports(project: str, flow_runs: dict[str, str]) -> dict[str, dict[str, Any]]:
    """image → {"flowRun", "worker", "stages": [...]} from the stages table each child left for its image."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    found: dict[str, dict[str, Any]] = {}
    with get_client(sync_client=True) as client:
        for image, flow_run_id in flow_runs.items():
            key = image_table_key(project, image)
            artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
                flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(flow_run_id)]), key=ArtifactFilterKey(any_=[key])))
            rows = json.loads(artifacts[0].data) if artifacts and isinstance(artifacts[0].data, str) else []
            found[image] = {"flowRun": flow_run_id, "worker": next((r.get("host") for r in rows), ""),
                            "stages": [{"name": r["stage"], "digest": r["digest"], "status": r["status"],
                                        "seconds": r["ms"] / 1000, "image": r["stage image"]} for r in rows]}
    return found


def publish_fan_out_artifacts(project: str, *, label: str, commit: str, images: dict[str, dict[str, Any]]) -> None:
    from prefect.artifacts import create_markdown_artifact
    rows = [{"image": image, "built": sum(1 for s in report["stages"] if s["status"] == "built"),
             "reused": sum(1 for s in report["stages"] if s["status"] == "reused"),
             "ms": round(sum(s["seconds"] for s in report["stages"]) * 1000), "host": report["worker"] or "-",
             "flow run": report["flowRun"]} for image, report in images.items()]
    create_markdown_artifact(key=artifact_key("werf", project, "fan-out"),
                             markdown=fan_out_markdown(project, label=label, commit=commit, images=rows),
                             description=f"werf build of {project} at {label} (run {current_flow_run_id()})")
