"""`werf publish` and `werf build-and-publish`: final images into the images repo, with tags.

`publish` only uses stages that exist (it fails, naming the stage, if one is missing); `build-and-publish` builds
what is missing first. Both take every `werf build` option and environment variable, plus the images repo and
tagging options of werf v1.1.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import click

from werf_cli.build import PREFECT_HELP, build_options_from, print_summary, storage_options, write_report
from werf_cli.options import log_options, project_dir_options
from werf_core.publish.report import PUBLISHED

if TYPE_CHECKING:
    from werf_core.publish.tags import TagPlan
    from werf_core.session.project import BuildOptions


def publish_options(func):
    """--images-repo, --images-repo-mode, --tag-*, --publish-report-path (werf v1.1 names and variables)."""
    decorators = [
        click.option("--images-repo", "-i", envvar="WERF_IMAGES_REPO", default=None,
                     help="Docker repository to publish images to, e.g. registry.example.com/project "
                          "[$WERF_IMAGES_REPO]."),
        click.option("--images-repo-mode", envvar="WERF_IMAGES_REPO_MODE", default="auto", show_default=True,
                     type=click.Choice(["multirepo", "monorepo", "auto"]),
                     help="multirepo: REPO/IMAGE:TAG; monorepo: REPO:IMAGE-TAG [$WERF_IMAGES_REPO_MODE]."),
        click.option("--tag-custom", multiple=True,
                     help="Publish with this tag (repeatable; also every $WERF_TAG_CUSTOM_* variable)."),
        click.option("--tag-git-branch", envvar="WERF_TAG_GIT_BRANCH", default=None,
                     help="Publish with this git branch name as tag [$WERF_TAG_GIT_BRANCH]."),
        click.option("--tag-git-tag", envvar="WERF_TAG_GIT_TAG", default=None,
                     help="Publish with this git tag name as tag [$WERF_TAG_GIT_TAG]."),
        click.option("--tag-git-commit", envvar="WERF_TAG_GIT_COMMIT", default=None,
                     help="Publish with this git commit as tag [$WERF_TAG_GIT_COMMIT]."),
        click.option("--tag-by-stages-signature", envvar="WERF_TAG_BY_STAGES_SIGNATURE", is_flag=True,
                     default=False, help="Publish with the image's content digest as tag "
                                         "[$WERF_TAG_BY_STAGES_SIGNATURE]."),
        click.option("--publish-report-path", envvar="WERF_PUBLISH_REPORT_PATH", default=None,
                     help="Write werf's JSON publish report here [$WERF_PUBLISH_REPORT_PATH]."),
        click.option("--publish-report-format", envvar="WERF_PUBLISH_REPORT_FORMAT", default="json",
                     type=click.Choice(["json"]), show_default=True,
                     help="Publish report format [$WERF_PUBLISH_REPORT_FORMAT]."),
        click.option("--report-path", "--build-report-path", "report_path", envvar="WERF_REPORT_PATH", default=None,
                     help="Also write the JSON build report (stages, digests, statuses) [$WERF_REPORT_PATH]."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def run_publish(options: BuildOptions, *, build: bool, images_repo: str | None, images_repo_mode: str,
                tags: TagPlan, log_format: str, log_quiet: bool, log_verbose: bool,
                report_path: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Build (or, with build=False, only look up) the stages, then publish; returns both reports (JSON forms)."""
    from werf_core.conveyor.progress import make_progress
    from werf_core.publish.images_repo import ImagesRepo
    from werf_core.session.session import BuildSession

    repo = ImagesRepo.open(images_repo, images_repo_mode)   # user mistakes first, before any work
    progress = make_progress(log_format, verbose=log_verbose, quiet=log_quiet)
    with BuildSession.open(options, progress=progress) as session:
        report = session.build(should_be_built=not build)
        write_report(report.to_json(), report_path)
        published = session.publish(report, images_repo=repo, tag_plan=tags).to_result()
    return report.to_json(), published


def _command(build: bool):
    def command(images, images_repo, images_repo_mode, tag_custom, tag_git_branch, tag_git_tag, tag_git_commit,
                tag_by_stages_signature, publish_report_path, publish_report_format, report_path, log_format,
                log_quiet, log_verbose, prefect=None, **kwargs):
        from werf_core.publish.tags import TagPlan
        tags = TagPlan.from_options(custom=tag_custom, git_branch=tag_git_branch, git_tag=tag_git_tag,
                                    git_commit=tag_git_commit, by_stages_signature=tag_by_stages_signature,
                                    env=os.environ)
        options = build_options_from(kwargs, images)
        from werf_cli.prefect_run import prefect_wanted  # cheap: Prefect itself is imported only to run the flow
        if build and prefect_wanted(prefect):
            from werf_cli.prefect_run import run_build_and_publish_via_prefect
            report, published = run_build_and_publish_via_prefect(
                options, images_repo=images_repo, images_repo_mode=images_repo_mode, tags=tags,
                log_format=log_format, log_quiet=log_quiet, log_verbose=log_verbose, report_path=report_path)
        else:
            report, published = run_publish(options, build=build, images_repo=images_repo,
                                            images_repo_mode=images_repo_mode, tags=tags, log_format=log_format,
                                            log_quiet=log_quiet, log_verbose=log_verbose, report_path=report_path)
        write_report({k: v for k, v in published.items() if k != "tags"}, publish_report_path)
        if not log_quiet:
            print_summary(report)
            fresh = sum(1 for t in published["tags"] if t["status"] == PUBLISHED)
            click.echo(f"Published: {fresh} tag(s) written, {len(published['tags']) - fresh} up to date", err=True)
        if build:
            from werf_cli.auto_cleanup import after_build
            after_build(report["project"])
    return command


def _decorate(command, name: str, doc: str, *extra_options):
    command.__doc__ = doc
    for option in extra_options:
        command = option(command)
    command = publish_options(log_options(storage_options(project_dir_options(command))))
    return click.command(name)(click.argument("images", nargs=-1)(command))


publish_command = _decorate(_command(build=False), "publish", """Publish IMAGES (default: every image) to the images repo.

Every stage must already be in the stages storage (run `werf build` first). Artifacts are never published; a tag
that already names the same content is left alone.
""")

build_and_publish_command = _decorate(_command(build=True), "build-and-publish",
                                      """Build the stages of IMAGES (default: every image), then publish them.

Only what changed is built; with a registry stages storage, publishing reuses the stages' layers in place
(no pull, no layer upload).
""", click.option("--prefect/--no-prefect", "prefect", envvar="WERF_PREFECT", default=None, help=PREFECT_HELP))
