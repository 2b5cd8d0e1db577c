"""Checks that need the whole config: one meta section, unique names, references that exist, no dependency loops.

Each failure is a ConfigError at the line of the directive at fault (the second definition of a duplicate name, the
`fromImage`/`import`/`dependencies` entry naming a missing image, the first edge of a loop).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werf_core.config.documents import Section
from werf_core.config.schema import Meta
from werf_core.config.schema.imports import is_external_reference
from werf_core.config.source_map import ErrorReporter
from werf_core.config.validation_errors import closest_key


@dataclass
class CheckedSections:
    meta: Meta
    sections: list[Section]          # images, Dockerfile images and artifacts, in config order


def check_sections(sections: list[Section], reporter: ErrorReporter, *,
                   suggested_project: Callable[[], str]) -> CheckedSections:
    """`suggested_project` is asked only when the meta section is missing (it may run git)."""
    meta = _single_meta(sections, reporter, suggested_project)
    others = [section for section in sections if section.kind != "meta"]
    _unique_names(others, reporter)
    _nameless_alone(others, reporter)
    _references_exist(others, reporter)
    _no_loops(others, reporter)
    return CheckedSections(meta=meta, sections=others)


def _line(section: Section, path: tuple[Any, ...] = ()) -> tuple[int, int]:
    span = section.document.span(path)
    return (span.first, span.first) if not path else (span.first, span.last)


def _single_meta(sections: list[Section], reporter: ErrorReporter, suggested_project: Callable[[], str]) -> Meta:
    metas = [section for section in sections if section.kind == "meta"]
    if not metas:
        raise reporter.error(
            "the meta config section is not defined", hint=(
                "add this section at the top of the config, followed by a `---` line:\n"
                f"configVersion: 1\nproject: {suggested_project()}\n"
                "The project name cannot be changed later without rebuilding and redeploying; it must be unique among "
                "projects sharing build hosts and Kubernetes clusters."))
    if len(metas) > 1:
        first, second = metas[0], metas[1]
        raise reporter.error(f"duplicate meta config section (the first one is at {first.model.source})",
                             *_line(second), hint="keep a single section with `configVersion: 1` and `project`")
    return metas[0].meta


def _display(name: str | None) -> str:
    return "~" if name is None else name


def _unique_names(sections: list[Section], reporter: ErrorReporter) -> None:
    images: dict[str | None, Section] = {}
    artifacts: dict[str | None, Section] = {}   # artifact names are never None (the schema requires one)
    for section in sections:
        name = section.image.name
        if section.kind == "artifact":
            if name in artifacts:
                raise reporter.error(f'conflict between artifacts names: artifact "{name}" is already defined at '
                                     f"{artifacts[name].model.source}", *_line(section))
            if name in images:
                raise reporter.error(f'conflict between image and artifact names: "{name}" is already an image at '
                                     f"{images[name].model.source}", *_line(section),
                                     hint="images and artifacts share one namespace; rename one of them")
            artifacts[name] = section
        else:
            if name in images:
                raise reporter.error(f'conflict between images names: image "{_display(name)}" is already defined '
                                     f"at {images[name].model.source}", *_line(section))
            if name in artifacts:
                raise reporter.error(f'conflict between image and artifact names: "{name}" is already an artifact '
                                     f"at {artifacts[name].model.source}", *_line(section),
                                     hint="images and artifacts share one namespace; rename one of them")
            images[name] = section


def _nameless_alone(sections: list[Section], reporter: ErrorReporter) -> None:
    images = [section for section in sections if section.kind != "artifact"]
    nameless = [section for section in images if section.image.name is None]
    if nameless and len(images) > 1:
        raise reporter.error("a nameless image (`image: ~`) cannot be specified in a config with several images",
                             *_line(nameless[0]), hint="give every image a name")


def _references_exist(sections: list[Section], reporter: ErrorReporter) -> None:
    images = {s.image.name: s for s in sections if s.kind != "artifact"}
    artifacts = {s.image.name: s for s in sections if s.kind == "artifact"}
    for section in sections:
        own = section.image.name
        for ref in section.image.source_references():
            first, last = _line(section, ref.path)
            if ref.name == own:
                raise reporter.error(f"cannot use own name as `{ref.directive}` source in {section.label}",
                                     first, last, hint="an image cannot be built from or import itself")
            found_image, found_artifact = ref.name in images, ref.name in artifacts
            if ref.kind == "image" and not found_image:
                hint = "use `fromArtifact` / `artifact:` for an artifact" if found_artifact else \
                    _did_you_mean(ref.name, [n for n in images if n is not None and n != own])
                raise reporter.error(f'no such image "{ref.name}" ({ref.directive} of {section.label})', first, last,
                                     hint=hint)
            if ref.kind == "artifact" and not found_artifact:
                hint = "use `fromImage` / `image:` for an image" if found_image else \
                    _did_you_mean(ref.name, [n for n in artifacts if n is not None and n != own])
                raise reporter.error(f'no such artifact "{ref.name}" ({ref.directive} of {section.label})', first,
                                     last, hint=hint)
            if ref.kind == "image-or-external" and not (found_image or found_artifact) \
                    and not is_external_reference(ref.name):
                raise reporter.error(
                    f'no such image "{ref.name}" ({ref.directive} of {section.label})', first, last,
                    hint="name an image of this config, or an external image with a tag or digest (nginx:1.25, "
                         "repo@sha256:...); " + _did_you_mean(ref.name, [n for n in images if n and n != own]))
            if ref.kind == "image-or-artifact" and not (found_image or found_artifact):
                raise reporter.error(f'no such image "{ref.name}" ({ref.directive} of {section.label})', first, last,
                                     hint=_did_you_mean(ref.name, [n for n in [*images, *artifacts] if n and n != own]))


def _did_you_mean(name: str, candidates: list[str]) -> str:
    if not candidates:
        return "no images or artifacts of that kind are defined in the config"
    suggestion = closest_key(name, candidates)
    listed = ", ".join(sorted(candidates))
    return f'did you mean "{suggestion}"? Defined: {listed}' if suggestion else f"defined: {listed}"


def _no_loops(sections: list[Section], reporter: ErrorReporter) -> None:
    """Depth-first search over source references; the first loop found is reported with its full path."""
    by_name = {(s.kind == "artifact", s.image.name): s for s in sections}

    def targets(section: Section) -> list[tuple[Section, tuple[Any, ...]]]:
        found = []
        for ref in section.image.source_references():
            wants_artifact = ref.kind == "artifact" or (ref.kind == "image-or-artifact"
                                                         and (False, ref.name) not in by_name)
            target = by_name.get((wants_artifact, ref.name))
            if target is not None:
                found.append((target, ref.path))
        return found

    state: dict[int, str] = {}   # id(section) → "active" | "done"

    def visit(section: Section, stack: list[tuple[Section, tuple[Any, ...]]]) -> None:
        state[id(section)] = "active"
        for target, path in targets(section):
            if state.get(id(target)) == "active":
                start = next(i for i, (s, _) in enumerate(stack + [(section, path)]) if s is target)
                loop = [s for s, _ in (stack + [(section, path)])[start:]] + [target]
                names = " -> ".join(_display(s.image.name) for s in loop)
                first, last = _line(section, path)
                raise reporter.error(f"infinite loop detected: {names}", first, last,
                                     hint="images may not depend on each other in a circle (through fromImage, "
                                          "fromArtifact, import or dependencies)")
            if state.get(id(target)) is None:
                visit(target, stack + [(section, path)])
        state[id(section)] = "done"

    for section in sections:
        if state.get(id(section)) is None:
            visit(section, [])
