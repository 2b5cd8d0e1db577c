"""The `werf-build-and-publish` flow: build the stages (task runs cached by digest), then publish every image.

Publishing is one task run per image (`publish <image>`), so the dashboard shows which images went to the images
repo and under which tags. It is werf's own publication (`werf_core.publish.Publisher`: per tag, under the image
lock, skipping a tag that already names the same content), so it is not cached by Prefect: "up to date" is decided
by the images repo itself.

Tags, as `werf ci-env` would set them for a CI job of the same revision: `tag_git_ref` (default on) tags a build of
a branch with the branch name and a build of a tag with the tag name (slugged into docker tags);
`tag_git_commit` adds the commit; `tag_by_stages_signature` adds the content digest; `tags` are custom tags.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed
from prefect.utilities.annotations import quote

from flows.build import build_run_name, build_settings, guarded, run_build
from flows.params import validate_build_parameters
from flows.source import Source
from werf_core.errors import WerfError

if TYPE_CHECKING:
    from werf_core.conveyor.results import BuildReport, ImageResult
    from werf_core.publish.images_repo import ImagesRepo
    from werf_core.publish.publisher import Publisher
    from werf_core.publish.report import PublishedTag, PublishReport
    from werf_core.publish.tags import TagPlan
    from werf_core.session.session import BuildSession


def publish_task_run_name() -> str:
    from prefect.runtime import task_run
    return f"publish {task_run.parameters['image']}"


@dataclass
class PublishCall:
    publisher: Publisher
    image: ImageResult
    published: list[PublishedTag] = field(default_factory=list)     # the tags, when the body ran
    error: BaseException | None = None


@task(name="werf-publish", cache_policy=NO_CACHE, task_run_name=publish_task_run_name)
def publish_image_task(image: str, call: PublishCall) -> Any:
    try:
        published = call.publisher.publish_image(call.image)
    except WerfError as err:
        call.error = err
        return Failed(message=err.render())
    call.published = published
    return [t.to_summary() for t in published]


def publish_images(session: BuildSession, report: BuildReport, *, images_repo: ImagesRepo,
                   tag_plan: TagPlan) -> PublishReport:
    """One publish task run per non-artifact image; returns werf's publish report."""
    from werf_core.publish.report import PublishReport

    publisher = session.publisher(images_repo=images_repo, tag_plan=tag_plan)
    publish_report = PublishReport()
    for image in report.images:
        if image.is_artifact:
            continue
        call = PublishCall(publisher, image)
        publish_image_task(image=image.display_name, call=quote(call), return_state=True)
        if call.error is not None:
            raise call.error
        publish_report.tags.extend(call.published)
    return publish_report


def tag_plan_for(source: Source, *, tags: list[str] | tuple[str, ...], tag_git_ref: bool, tag_git_commit: bool,
                 tag_by_stages_signature: bool, tags_by_strategy: dict[str, list[str]] | None = None) -> TagPlan:
    """The tags of this build: `tags_by_strategy` as given (`werf build-and-publish --prefect` passes its own
    --tag-* options this way), else derived from the ref built, as `werf ci-env` would."""
    from werf_core.ci_env.slug import docker_tag
    from werf_core.publish.tags import TagPlan
    if tags_by_strategy is not None:
        return TagPlan.from_strategies(tags_by_strategy, by_stages_signature=tag_by_stages_signature)
    return TagPlan.from_options(
        custom=list(tags), git_branch=docker_tag(source.branch) if tag_git_ref and source.branch else None,
        git_tag=docker_tag(source.tag) if tag_git_ref and source.tag else None,
        git_commit=source.commit if tag_git_commit and source.commit else None,
        by_stages_signature=tag_by_stages_signature, env={})


@flow(name="werf-build-and-publish", flow_run_name=build_run_name, validate_parameters=True)
def build_and_publish(repository: str, images_repo: str, ref: str | None = None, commit: str | None = None,
                      project_dir: str = ".", config: str | None = None, images: list[str] | None = None,
                      stages_storage: str | None = ":local", synchronization: str | None = None,
                      project_name: str | None = None, images_repo_mode: str = "auto",
                      tags: list[str] | None = None, tag_git_ref: bool = True, tag_git_commit: bool = False,
                      tag_by_stages_signature: bool = False, parallel: bool = True, parallel_tasks_limit: int = 5,
                      insecure_registry: bool = False, skip_tls_verify_registry: bool = False,
                      allow_git_shallow_clone: bool = False, docker_config: str | None = None,
                      config_templates_dir: str | None = None,
                      tags_by_strategy: dict[str, list[str]] | None = None, trigger: str | None = None,
                      git_credentials_block: str | None = None) -> Any:
    """Build the stages of IMAGES (default: all), then publish the images to IMAGES_REPO with tags.

    Tags: the branch or tag name of REF (tag_git_ref), the commit (tag_git_commit), the content digest
    (tag_by_stages_signature) and TAGS; at least one must apply. `tags_by_strategy` ({"custom": [...],
    "git-branch": [...], "git-tag": [...], "git-commit": [...]}) replaces the ref-derived and custom tags.
    Returns {"build": <build report>, "publish": <werf's publish report plus every tag's status>}.
    """
    def body() -> dict[str, Any]:
        from werf_core.publish.images_repo import ImagesRepo
        params = validate_build_parameters(
            repository=repository, ref=ref, commit=commit, project_dir=project_dir, config=config, images=images,
            stages_storage=stages_storage, synchronization=synchronization, project_name=project_name,
            images_repo=images_repo, tags=tags, trigger=trigger, git_credentials_block=git_credentials_block)
        repo = ImagesRepo.open(params.images_repo, images_repo_mode)    # a bad repo or mode fails before any work

        def prepare_publish(source: Source) -> Callable[[BuildSession, Source, BuildReport], PublishReport]:
            plan = tag_plan_for(source, tags=params.tags, tag_git_ref=tag_git_ref, tag_git_commit=tag_git_commit,
                                tag_by_stages_signature=tag_by_stages_signature, tags_by_strategy=tags_by_strategy)
            return lambda session, _source, report: publish_images(session, report, images_repo=repo,
                                                                   tag_plan=plan)

        settings = build_settings(parallel=parallel, parallel_tasks_limit=parallel_tasks_limit,
                                  insecure_registry=insecure_registry,
                                  skip_tls_verify_registry=skip_tls_verify_registry,
                                  allow_git_shallow_clone=allow_git_shallow_clone, docker_config=docker_config,
                                  config_templates_dir=config_templates_dir)
        report, published = run_build(params, settings, prepare_publish=prepare_publish)
        return {"build": report.to_json(), "publish": published.to_result()}
    return guarded(body)
