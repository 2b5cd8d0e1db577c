"""`werf cleanup`, `werf purge`, `werf images cleanup|purge`, `werf stages cleanup|purge`, `werf host cleanup|purge`.

Flags and variables are werf v1.1's. Every command takes `--dry-run` (prints exactly what would go, deletes
nothing) and `--report-path` (a JSON report of what went and what was kept on purpose).
"""

from __future__ import annotations

import time
from typing import Any

import click

from werf_cli.build import storage_options
from werf_cli.options import apply_home_and_tmp, project_dir_options


def _compose(*decorators: Any) -> Any:
    def apply(func: Any) -> Any:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func
    return apply


common_options = _compose(
    click.option("--dry-run", envvar="WERF_DRY_RUN", is_flag=True, default=False,
                 help="Print what would be deleted; delete nothing [$WERF_DRY_RUN]."),
    click.option("--report-path", envvar="WERF_CLEANUP_REPORT_PATH", default=None,
                 help="Write a JSON report of what was deleted and kept [$WERF_CLEANUP_REPORT_PATH]."),
    click.option("--log-quiet", envvar="WERF_LOG_QUIET", is_flag=True, default=False,
                 help="Print only errors [$WERF_LOG_QUIET]."),
)

images_repo_options = _compose(
    click.option("--images-repo", "-i", envvar="WERF_IMAGES_REPO", default=None,
                 help="Docker repository the images are published to [$WERF_IMAGES_REPO]."),
    click.option("--images-repo-mode", envvar="WERF_IMAGES_REPO_MODE", default="auto", show_default=True,
                 type=click.Choice(["multirepo", "monorepo", "auto"]),
                 help="multirepo: REPO/IMAGE:TAG; monorepo: REPO:IMAGE-TAG [$WERF_IMAGES_REPO_MODE]."),
)

kube_options = _compose(
    click.option("--without-kube", envvar="WERF_WITHOUT_KUBE", is_flag=True, default=False,
                 help="Do not keep the images Kubernetes workloads use (skip the cluster scan) [$WERF_WITHOUT_KUBE]."),
    click.option("--kube-config", envvar=["WERF_KUBE_CONFIG", "WERF_KUBECONFIG", "KUBECONFIG"], default=None,
                 help="Kubeconfig whose contexts are scanned [$WERF_KUBE_CONFIG, $KUBECONFIG]."),
    click.option("--kube-config-base64", envvar=["WERF_KUBE_CONFIG_BASE64", "WERF_KUBECONFIG_BASE64"], default=None,
                 help="Kubeconfig as base64 [$WERF_KUBE_CONFIG_BASE64]."),
    click.option("--kube-context", envvar="WERF_KUBE_CONTEXT", default=None,
                 help="Scan only this context (default: every context of the kubeconfig) [$WERF_KUBE_CONTEXT]."),
    click.option("--scan-context-namespace-only", envvar="WERF_SCAN_CONTEXT_NAMESPACE_ONLY", is_flag=True,
                 default=False, help="Scan only the namespace of each context [$WERF_SCAN_CONTEXT_NAMESPACE_ONLY]."),
)

policy_options = _compose(
    click.option("--git-history-based-cleanup", envvar="WERF_GIT_HISTORY_BASED_CLEANUP", type=click.BOOL,
                 default=True, show_default=True,
                 help="Keep images by the git history and cleanup.keepPolicies; false: by tagging scheme "
                      "[$WERF_GIT_HISTORY_BASED_CLEANUP]."),
    click.option("--git-tag-strategy-limit", envvar="WERF_GIT_TAG_STRATEGY_LIMIT", type=int, default=10,
                 show_default=True, help="Tagging-scheme mode: git-tag images kept per image (-1: all)."),
    click.option("--git-tag-strategy-expiry-days", envvar="WERF_GIT_TAG_STRATEGY_EXPIRY_DAYS", type=int, default=30,
                 show_default=True, help="Tagging-scheme mode: git-tag images older than this go (-1: never)."),
    click.option("--git-commit-strategy-limit", envvar="WERF_GIT_COMMIT_STRATEGY_LIMIT", type=int, default=50,
                 show_default=True, help="Tagging-scheme mode: git-commit images kept per image (-1: all)."),
    click.option("--git-commit-strategy-expiry-days", envvar="WERF_GIT_COMMIT_STRATEGY_EXPIRY_DAYS", type=int,
                 default=30, show_default=True,
                 help="Tagging-scheme mode: git-commit images older than this go (-1: never)."),
    click.option("--stages-signature-strategy-limit", envvar="WERF_STAGES_SIGNATURE_STRATEGY_LIMIT", type=int,
                 default=-1, show_default=True,
                 help="Tagging-scheme mode: stages-signature images kept per image (-1: all)."),
    click.option("--stages-signature-strategy-expiry-days", envvar="WERF_STAGES_SIGNATURE_STRATEGY_EXPIRY_DAYS",
                 type=int, default=-1, show_default=True,
                 help="Tagging-scheme mode: stages-signature images older than this go (-1: never)."),
)

host_options = _compose(
    click.option("--allowed-docker-storage-volume-usage", envvar="WERF_ALLOWED_DOCKER_STORAGE_VOLUME_USAGE",
                 type=click.FloatRange(0, 100), default=70.0, show_default=True,
                 help="Above this % of the Docker storage volume, least recently used stage images are removed "
                      "[$WERF_ALLOWED_DOCKER_STORAGE_VOLUME_USAGE]."),
    click.option("--allowed-docker-storage-volume-usage-margin",
                 envvar="WERF_ALLOWED_DOCKER_STORAGE_VOLUME_USAGE_MARGIN", type=click.FloatRange(0, 100),
                 default=5.0, show_default=True,
                 help="...down to the allowed usage minus this margin [$WERF_ALLOWED_DOCKER_STORAGE_VOLUME_USAGE_MARGIN]."),
)


# ---------------------------------------------------------------- wiring

def _report(dry_run: bool, quiet: bool) -> Any:
    from werf_core.cleanup.report import CleanupReport
    say = (lambda message: None) if quiet else (lambda message: click.echo(message, err=True))
    return CleanupReport(dry_run=dry_run, say=say)


def _finish(report: Any, report_path: str | None, quiet: bool) -> None:
    if report_path:
        report.write(report_path)
    if not quiet:
        click.echo(report.summary(), err=True)


def open_cleanup_target(kwargs: dict[str, Any], *, images_repo: str | None, images_repo_mode: str,
                        need_git: bool) -> tuple[Any, Any]:
    """(CleanupTarget, BuildProject) for the project in --dir; close the project when done."""
    from werf_cli.build import build_options_from
    from werf_core.publish.images_repo import ImagesRepo
    from werf_core.session.cleanup_target import cleanup_target
    from werf_core.session.project import open_project

    if images_repo:
        ImagesRepo.open(images_repo, images_repo_mode)      # user mistakes first, before opening anything
    options = build_options_from(kwargs, ())
    project = open_project(options, warn=lambda message: click.echo(f"Warning: {message}", err=True))
    try:
        target = cleanup_target(project, images_repo=images_repo, images_repo_mode=images_repo_mode,
                                need_git=need_git)
    except BaseException:
        project.close()
        raise
    return target, project


def _kube(without_kube: bool, kwargs: dict[str, Any]) -> Any:
    if without_kube:
        return None
    from werf_core.cleanup.kube_scan import KubeScanOptions
    return KubeScanOptions(config_path=kwargs.pop("kube_config", None),
                           config_data_base64=kwargs.pop("kube_config_base64", None),
                           context=kwargs.pop("kube_context", None),
                           context_namespace_only=kwargs.pop("scan_context_namespace_only", False))


def _images_options(kwargs: dict[str, Any], policies: Any) -> Any:
    from werf_core.cleanup.images import ImagesCleanupOptions
    from werf_core.cleanup.tag_strategy import TagStrategyLimits
    return ImagesCleanupOptions(
        git_history_based=kwargs.pop("git_history_based_cleanup"),
        tag_strategy=TagStrategyLimits(
            git_tag_limit=kwargs.pop("git_tag_strategy_limit"),
            git_tag_expiry_days=kwargs.pop("git_tag_strategy_expiry_days"),
            git_commit_limit=kwargs.pop("git_commit_strategy_limit"),
            git_commit_expiry_days=kwargs.pop("git_commit_strategy_expiry_days"),
            stages_signature_limit=kwargs.pop("stages_signature_strategy_limit"),
            stages_signature_expiry_days=kwargs.pop("stages_signature_strategy_expiry_days")),
        policies=policies)


def run_cleanup_command(kind: str, kwargs: dict[str, Any]) -> None:
    """kind: cleanup | images-cleanup | stages-cleanup."""
    from werf_core.cleanup.config_policies import keep_policies_from_config
    from werf_core.cleanup.run import (
        guard_seconds_from_env,
        run_cleanup,
        run_images_cleanup,
        run_stages_cleanup,
    )
    dry_run, report_path, quiet = kwargs.pop("dry_run"), kwargs.pop("report_path"), kwargs.pop("log_quiet")
    kube = _kube(kwargs.pop("without_kube", True), kwargs) if kind != "stages-cleanup" else None
    report = _report(dry_run, quiet)
    target, project = open_cleanup_target(kwargs, images_repo=kwargs.pop("images_repo"),
                                          images_repo_mode=kwargs.pop("images_repo_mode"),
                                          need_git=kind != "stages-cleanup")
    try:
        now = time.time()
        if kind == "stages-cleanup":
            run_stages_cleanup(target, report=report, now=now, guard_seconds=guard_seconds_from_env())
        else:
            options = _images_options(kwargs, keep_policies_from_config(project.config))
            if kind == "images-cleanup":
                run_images_cleanup(target, options=options, kube=kube, report=report, now=now)
            else:
                run_cleanup(target, options=options, kube=kube, report=report, now=now,
                            guard_seconds=guard_seconds_from_env())
    finally:
        project.close()
    _finish(report, report_path, quiet)


def run_purge_command(kind: str, kwargs: dict[str, Any]) -> None:
    """kind: purge | images-purge | stages-purge."""
    from werf_core.cleanup.run import run_images_purge, run_purge, run_stages_purge
    dry_run, report_path, quiet = kwargs.pop("dry_run"), kwargs.pop("report_path"), kwargs.pop("log_quiet")
    force = kwargs.pop("force", False)
    report = _report(dry_run, quiet)
    target, project = open_cleanup_target(kwargs, images_repo=kwargs.pop("images_repo", None),
                                          images_repo_mode=kwargs.pop("images_repo_mode", "auto"), need_git=False)
    try:
        if kind == "images-purge":
            run_images_purge(target, report=report)
        elif kind == "stages-purge":
            run_stages_purge(target, report=report, force=force)
        else:
            run_purge(target, report=report, force=force)
    finally:
        project.close()
    _finish(report, report_path, quiet)


# ---------------------------------------------------------------- commands

@click.command("cleanup")
@project_dir_options
@storage_options
@images_repo_options
@kube_options
@policy_options
@common_options
def cleanup_command(**kwargs: Any) -> None:
    """Delete images repo tags the git history no longer needs, then the stages no kept image needs.

    Images used by Kubernetes workloads are kept; stages younger than 2 hours and stages a running build uses are
    never deleted. Safe to run while builds run.
    """
    run_cleanup_command("cleanup", kwargs)


force_option = click.option("--force", envvar="WERF_FORCE", is_flag=True, default=False,
                            help="Also remove containers that use local stage images [$WERF_FORCE].")


@click.command("purge")
@project_dir_options
@storage_options
@images_repo_options
@force_option
@common_options
def purge_command(**kwargs: Any) -> None:
    """Delete every published image (with --images-repo), stage and record of the project."""
    run_purge_command("purge", kwargs)


@click.group("images")
def images_group() -> None:
    """Images repo commands."""


@images_group.command("cleanup")
@project_dir_options
@storage_options
@images_repo_options
@kube_options
@policy_options
@common_options
def images_cleanup_command(**kwargs: Any) -> None:
    """Delete the images repo tags the keep policies (or tagging scheme) no longer need."""
    run_cleanup_command("images-cleanup", kwargs)


@images_group.command("purge")
@project_dir_options
@storage_options
@images_repo_options
@common_options
def images_purge_command(**kwargs: Any) -> None:
    """Delete every werf-published image of the project from the images repo."""
    run_purge_command("images-purge", kwargs)


@click.command("cleanup")
@project_dir_options
@storage_options
@images_repo_options
@common_options
def stages_cleanup_command(**kwargs: Any) -> None:
    """Delete the stages no image in the images repo needs (older than 2 hours, not in use by a build)."""
    run_cleanup_command("stages-cleanup", kwargs)


@click.command("purge")
@project_dir_options
@storage_options
@force_option
@common_options
def stages_purge_command(**kwargs: Any) -> None:
    """Delete every stage and record of the project from the stages storage."""
    run_purge_command("stages-purge", kwargs)


@click.group("host")
def host_group() -> None:
    """This host's werf leftovers and local stage images."""


@host_group.command("cleanup")
@click.option("--home-dir", envvar="WERF_HOME", default=None, help="werf home directory [$WERF_HOME].")
@click.option("--tmp-dir", envvar="WERF_TMP_DIR", default=None, help="Directory for temporary files [$WERF_TMP_DIR].")
@click.option("--project-name", "-N", envvar="WERF_PROJECT_NAME", default=None,
              help="Only this project's leftovers and stage images (default: every project) [$WERF_PROJECT_NAME].")
@host_options
@common_options
def host_cleanup_command(home_dir: str | None, tmp_dir: str | None, project_name: str | None,
                         allowed_docker_storage_volume_usage: float, allowed_docker_storage_volume_usage_margin: float,
                         dry_run: bool, report_path: str | None, log_quiet: bool) -> None:
    """Remove leftover build containers and temp dirs, dangling werf images, and — above the allowed Docker storage
    volume usage — least recently used stage images. Never what a running build uses."""
    from werf_core.cleanup.host import HostCleanupOptions, host_cleanup
    from werf_core.session.project import docker_client
    apply_home_and_tmp(home_dir, tmp_dir)
    report = _report(dry_run, log_quiet)
    host_cleanup(docker_client(), HostCleanupOptions(allowed_usage=allowed_docker_storage_volume_usage,
                                                     margin=allowed_docker_storage_volume_usage_margin,
                                                     project=project_name, lru_project=project_name), report)
    _finish(report, report_path, log_quiet)


@host_group.command("purge")
@click.option("--home-dir", envvar="WERF_HOME", default=None, help="werf home directory [$WERF_HOME].")
@click.option("--project-name", "-N", envvar="WERF_PROJECT_NAME", default=None,
              help="Only this project's images and containers [$WERF_PROJECT_NAME].")
@force_option
@common_options
def host_purge_command(home_dir: str | None, project_name: str | None, force: bool, dry_run: bool,
                       report_path: str | None, log_quiet: bool) -> None:
    """Remove every werf image and container on this host (or one project's) and werf's host caches."""
    from werf_core.cleanup.host import host_purge
    from werf_core.session.project import docker_client
    apply_home_and_tmp(home_dir, None)
    report = _report(dry_run, log_quiet)
    host_purge(docker_client(), report, force=force, project=project_name)
    _finish(report, report_path, log_quiet)


def run_auto_host_cleanup(project: str) -> None:
    """The automatic host cleanup itself (in the child `after_build` starts): bounded, a problem is one warning."""
    import os

    from werf_cli.auto_cleanup import allowed_usage
    from werf_core.cleanup.host import auto_host_cleanup
    from werf_core.cleanup.report import CleanupReport
    from werf_core.errors import WerfError
    from werf_core.session.project import docker_client
    try:
        allowed = allowed_usage()
        margin = float(os.environ.get("WERF_ALLOWED_DOCKER_STORAGE_VOLUME_USAGE_MARGIN") or 5.0)
        report = CleanupReport(say=lambda message: click.echo(message, err=True))
        auto_host_cleanup(docker_client(), project, report, allowed_usage=allowed, margin=margin)
    except (WerfError, ValueError, OSError) as err:
        click.echo(f"Warning: automatic host cleanup skipped: {err}", err=True)
