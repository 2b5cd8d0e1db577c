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

from dataclasses import dataclass, field

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed
from prefect.utilities.annotations import quote

from flows.build import BuildSettings, build_run_name, guarded, run_build
from flows.console import CONSOLE
from flows.params import validate_build_parameters
from werf_core.errors import WerfError


def publish_task_run_name() -> str:
    from prefect.runtime import task_run
    return f"publish {task_run.parameters['image']}"


@dataclass
class PublishCall:
    publisher: object
    image: object          # ImageResult
    published: list = field(default_factory=list)     # the PublishedTags, when the body ran
    error: BaseException | None = None


@task(name="werf-publish", cache_policy=NO_CACHE, task_run_name=publish_task_run_name)
def publish_image_task(image: str, call: PublishCall) -> list[dict]:
    try:
        published = call.publisher.publish_image(call.image)
    except WerfError as err:
        call.error = err
        return Failed(message=err.render())
    call.published = published
    return [{"tag": t.reference, "status": t.status, "digest": t.digest, "strategy": t.strategy} for t in published]


def publish_images(project, report, *, images_repo, tag_plan, progress,
                   insecure_registry: bool) -> dict[str, list[str]]:
    """One publish task run per non-artifact image; returns image → published references (for the summary)."""
    from werf_core.publish.publisher import Publisher
    from werf_core.publish.report import PublishReport
    from werf_core.storage.records import records_for

    options = project.options
    registry = getattr(project.storage, "registry", None)
    if registry is None:     # a :local stages storage: the images repo still needs a registry client
        from werf_core.registry.client import RegistryClient
        registry = RegistryClient.from_werf_options(insecure_registry=insecure_registry,
                                                    skip_tls_verify_registry=options.skip_tls_verify_registry,
                                                    docker_config=options.docker_config)
    publisher = Publisher(project=project.project, storage=project.storage, sync=project.sync,
                          images_repo=images_repo, tag_plan=tag_plan, registry=registry,
                          records=records_for(project.storage), progress=progress,
                          project_commit=project.project_commit, docker_client_factory=project.client_factory,
                          docker_config=options.docker_config)
    published: dict[str, list[str]] = {}
    publish_report = PublishReport()
    for image in report.images:
        if image.is_artifact:
            continue
        call = PublishCall(publisher, image)
        state = publish_image_task(image=image.display_name, call=quote(call), return_state=True)
        if call.error is not None:
            raise call.error
        published[image.display_name] = [t["tag"] for t in state.result()]
        publish_report.tags.extend(call.published)
    bridge = CONSOLE.get()
    if bridge is not None:
        bridge.published = publish_report
    return published


def tag_plan_for(source, *, tags: list[str] | tuple[str, ...], tag_git_ref: bool, tag_git_commit: bool,
                 tag_by_stages_signature: bool):
    from werf_core.ci_env.slug import docker_tag
    from werf_core.publish.tags import TagPlan
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
                      insecure_registry: bool = False, git_credentials_block: str | None = None):
    """Build the stages of IMAGES (default: all), then publish the images to IMAGES_REPO with tags.

    Tags: the branch or tag name of REF (tag_git_ref), the commit (tag_git_commit), the content digest
    (tag_by_stages_signature) and TAGS; at least one must apply.
    """
    def body():
        from werf_core.publish.images_repo import ImagesRepo
        params = validate_build_parameters(
            repository=repository, ref=ref, commit=commit, project_dir=project_dir, config=config, images=images,
            stages_storage=stages_storage, synchronization=synchronization, project_name=project_name,
            images_repo=images_repo, tags=tags, git_credentials_block=git_credentials_block)
        repo = ImagesRepo.open(params.images_repo, images_repo_mode)    # a bad repo or mode fails before any work

        def publisher(project, source, progress):
            bridge = CONSOLE.get()
            plan = bridge.tag_plan if bridge is not None and bridge.tag_plan is not None else tag_plan_for(
                source, tags=params.tags, tag_git_ref=tag_git_ref, tag_git_commit=tag_git_commit,
                tag_by_stages_signature=tag_by_stages_signature)
            return lambda report: publish_images(project, report, images_repo=repo, tag_plan=plan,
                                                 progress=progress, insecure_registry=insecure_registry)

        settings = BuildSettings(parallel=parallel, parallel_tasks_limit=parallel_tasks_limit,
                                 insecure_registry=insecure_registry)
        return run_build(params, settings, publisher=publisher).to_json()
    return guarded(body)
