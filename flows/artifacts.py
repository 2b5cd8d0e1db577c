"""What a build flow run leaves on its dashboard page: one table per image and a markdown summary.

Artifact keys are stable per project and image (`werf-<project>-<image>-stages`, `werf-<project>-build`), so the
Artifacts page also shows each key's history across runs. Prefect accepts only lowercase letters, digits and dashes
in keys. The table and markdown builders are plain functions; only `publish_build_artifacts` talks to Prefect.
"""

from __future__ import annotations

import re

from werf_core.conveyor.progress import human_size

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


def stage_rows(image) -> list[dict]:
    """One row per stage of an `ImageResult`, in build order."""
    return [{"stage": stage.name, "digest": stage.digest, "status": stage.status,
             "seconds": round(stage.seconds, 2), "size": human_size(stage.size) if stage.size else "-",
             "stage image": stage.description.image_name or "-"} for stage in image.stages]


def summary_markdown(report, *, label: str, commit: str, published: dict[str, list[str]] | None = None) -> str:
    """The run's summary: what was built where, and the final image name of every image."""
    counts = report.counts()
    done = ", ".join(f"{counts[k]} {k}" for k in ("built", "reused", "discarded", "planned") if counts.get(k))
    lines = [f"# werf build of `{report.project}` at `{label}`", ""]
    if commit:
        lines.append(f"- commit: `{commit}`")
    lines += [f"- stages storage: `{report.stages_storage}`", f"- stages: {done or 'none'}",
              f"- took: {report.seconds:.1f}s", "", "| image | final stage image | stages |", "|---|---|---|"]
    for image in report.images:
        kind = " (artifact)" if image.is_artifact else ""
        lines.append(f"| `{image.display_name}`{kind} | `{image.last_stage.description.image_name or '-'}` | "
                     f"{len(image.stages)} |")
    if published:
        lines += ["", "## Published images", ""]
        for image, names in published.items():
            lines += [f"- `{image}`: " + ", ".join(f"`{name}`" for name in names)]
    return "\n".join(lines) + "\n"


def publish_build_artifacts(report, *, label: str, commit: str,
                            published: dict[str, list[str]] | None = None) -> None:
    """Create the artifacts in the current flow run (call from a flow body)."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact
    for image in report.images:
        create_table_artifact(key=image_table_key(report.project, image.display_name), table=stage_rows(image),
                              description=f"Stages of {image.display_name} ({report.project} at {label})")
    create_markdown_artifact(key=summary_key(report.project),
                             markdown=summary_markdown(report, label=label, commit=commit, published=published),
                             description=f"werf build of {report.project} at {label}")
