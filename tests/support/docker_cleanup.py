"""Remove what a test project left in the Docker engine, tolerating other processes working in the same engine."""

from __future__ import annotations


def _project_image_ids(client, project: str) -> set[str]:
    ids = {image["Id"] for image in client.api.images(filters={"label": f"werf={project}"}, all=True)}
    for image in client.api.images():       # raw listing: no per-image inspect that a concurrent rmi could break
        for tag in image.get("RepoTags") or []:
            if (f"/{project}:" in tag or f"/{project}/" in tag or tag.startswith(f"{project}:")
                    or tag.startswith(f"werf-test-{project}:")):
                ids.add(image["Id"])
    return ids


def remove_project_images(client, project: str, rounds: int = 20) -> None:
    """Remove the project's containers and images (labelled `werf=<project>` or named after it).

    Stage images are parents of one another and the engine refuses to remove a parent before its children, so this
    sweeps until nothing is left.
    """
    import docker.errors
    for container in client.api.containers(all=True, filters={"label": f"werf={project}"}):
        try:
            client.api.remove_container(container["Id"], force=True, v=True)
        except docker.errors.APIError:
            pass
    for _ in range(rounds):
        ids = _project_image_ids(client, project)
        if not ids:
            return
        for image_id in ids:
            try:
                client.api.remove_image(image_id, force=True)
            except docker.errors.APIError:
                pass
    raise AssertionError(f"could not remove the images of project {project}")
