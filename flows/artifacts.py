"""What a build flow run leaves on its dashboard page: one table per image and a markdown summary.

Artifact keys are stable per project and image (`werf-<project>-<image>-stages`, `werf-<project>-build`) and per
project and branch (`werf-<project>-<branch>-latest`: the latest build of that branch), so the Artifacts page also
shows each key's history across runs. Prefect accepts only lowercase letters, digits and dashes
in keys. The table and markdown builders are plain functions; only `publish_build_artifacts` talks to Prefect.
"""

from __future__ import annotations

import re
import socket
from typing import Any

from werf_core.conveyor.progress import human_size
from werf_core.conveyor.results import BUILT, REUSED, BuildReport, ImageResult

_KEY_UNSAFE = re.compile(r"[^a-z0-9-]+")
MAX_KEY_LENGTH = 100


def artifact_key(*parts: str) -> str:
    text = "-".join(_KEY_UNSAFE.sub("-", part.lower().replace("~", "nameless")) for part in parts)
    text = re.sub(r"-{2,}", "-", text).strip("-")
    return text[:MAX_KEY_LENGTH].rstrip("-") or "werf"


def image_table_key(project: str, image: str) -> str:
    return artifact_key("werf", project, image, "stages")


def summary_key(project: str) -> str:
    return artifact_key("werf", project, "build")


def latest_key(project: str, branch: str) -> str:
    return artifact_key("werf", project, branch, "latest")


def layer_sizes(image: ImageResult) -> list[int]:
    """Each stage's own layer: its image size less the previous stage's (the first stage: its whole image)."""
    sizes, previous = [], 0
    for stage in image.stages:
        sizes.append(max(0, stage.size - previous) if previous else stage.size)
        previous = stage.size or previous
    return sizes


def stage_rows(image: ImageResult, host: str = "") -> list[dict[str, Any]]:
    """One row per stage of an image, in build order; times in milliseconds; `host`: the worker that ran it."""
    return [{"stage": stage.name, "digest": stage.digest, "status": stage.status,
             "ms": round(stage.seconds * 1000), "layer": human_size(layer) if stage.size else "-",
             "size": human_size(stage.size) if stage.size else "-",
             "stage image": stage.description.image_name or "-", "host": host}
            for stage, layer in zip(image.stages, layer_sizes(image))]


def image_summary(image: ImageResult) -> dict[str, Any]:
    """Per image: stages built and reused, the bytes of the layers it added, the time its stages took."""
    built = [layer for stage, layer in zip(image.stages, layer_sizes(image)) if stage.status == BUILT]
    return {"image": image.display_name, "built": len(built),
            "reused": sum(1 for stage in image.stages if stage.status == REUSED),
            "new layers": human_size(sum(built)) if built else "-",
            "ms": round(sum(stage.seconds for stage in image.stages) * 1000),
            "final stage image": image.last_stage.description.image_name or "-"}


def summary_markdown(report: BuildReport, *, label: str, commit: str,
                     published: dict[str, list[str]] | None = None) -> str:
    """The run's summary: what was built where, per image, and the published references."""
    counts = report.counts()
    done = ", ".join(f"{counts[k]} {k}" for k in ("built", "reused", "discarded", "planned") if counts.get(k))
    lines = [f"# werf build of `{report.project}` at `{label}`", ""]
    if commit:
        lines.append(f"- commit: `{commit}`")
    lines += [f"- stages storage: `{report.stages_storage}`", f"- stages: {done or 'none'}",
              f"- took: {report.seconds * 1000:.0f} ms", "",
              "| image | built | reused | new layers | time | final stage image | stages |",
              "|---|---|---|---|---|---|---|"]
    for image in report.images:
        row = image_summary(image)
        kind = " (artifact)" if image.is_artifact else ""
        lines.append(f"| `{row['image']}`{kind} | {row['built']} | {row['reused']} | {row['new layers']} | "
                     f"{row['ms']} ms | `{row['final stage image']}` | {len(image.stages)} |")
    if published:
        lines += ["", "## Published images", ""]
        for name, references in published.items():
            lines += [f"- `{name}`: " + ", ".join(f"`{reference}`" for reference in references)]
    return "\n".join(lines) + "\n"


def latest_rows(report: BuildReport, *, commit: str, flow_run: str,
                published: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
    """The "latest build of this branch" table: one row per image."""
    return [{"image": image.display_name, "commit": commit[:12], "flow run": flow_run,
             "final stage image": image.last_stage.description.image_name or "-",
             "published": ", ".join((published or {}).get(image.display_name, [])) or "-"}
            for image in report.images]


def publish_build_artifacts(report: BuildReport, *, label: str, commit: str, branch: str | None = None,
                            flow_run: str = "", published: dict[str, list[str]] | None = None) -> None:
    """Create the artifacts in the current flow run (call from a flow body)."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact
    host = socket.gethostname()
    for image in report.images:
        create_table_artifact(key=image_table_key(report.project, image.display_name), table=stage_rows(image, host),
                              description=f"Stages of {image.display_name} ({report.project} at {label})")
    create_markdown_artifact(key=summary_key(report.project),
                             markdown=summary_markdown(report, label=label, commit=commit, published=published),
                             description=f"werf build of {report.project} at {label}")
    if branch:
        create_table_artifact(key=latest_key(report.project, branch),
                              table=latest_rows(report, commit=commit, flow_run=flow_run, published=published),
                              description=f"Latest build of {report.project} on branch {branch}")


def fan_out_markdown(project: str, *, label: str, commit: str, images: list[dict[str, Any]]) -> str:
    """The parent run's summary of a fanned-out build: every image with its run and the worker that built it."""
    lines = [f"# werf build of `{project}` at `{label}`, one flow run per image", "", f"- commit: `{commit}`", "",
             "| image | built | reused | time | worker | flow run |", "|---|---|---|---|---|---|"]
    for row in images:
        lines.append(f"| `{row['image']}` | {row['built']} | {row['reused']} | {row['ms']} ms | {row['host']} | "
                     f"{row['flow run']} |")
    return "\n".join(lines) + "\n"
