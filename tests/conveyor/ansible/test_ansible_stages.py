"""Ansible stages on the real Docker engine: tasks run on images without Python, results land in the commit."""

from __future__ import annotations

import io
import tarfile

import pytest

from tests.conftest import remove_project_images
from tests.conveyor.ansible.runner import ImageFiles, run_stage
from werf_core.builders.ansible import describe_ansible_failure, validate_ansible_tasks

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def build(client, builder, base, tasks, workdir, project, stage="install"):
    validate_ansible_tasks(tasks, image="app", stage=stage)
    return run_stage(client, base, builder.instructions(stage, tasks, workdir), project=project)


def test_common_modules_on_busybox_without_python(docker_client, busybox_image, ansible_builder, stage_workdir,
                                                  project_name):
    tasks = [
        {"name": "app dir", "file": {"path": "/app/conf.d", "state": "directory", "mode": "0750"}},
        {"name": "main config", "copy": {"content": "listen=80\nworkers=2\n", "dest": "/app/app.conf"}},
        {"name": "tune workers", "lineinfile": {"path": "/app/app.conf", "regexp": "^workers=", "line": "workers=8"}},
        {"name": "add debug flag", "lineinfile": {"path": "/app/app.conf", "line": "debug=false"}},
        {"name": "record kernel", "command": "uname -s", "register": "kernel"},
        {"name": "one file per item", "copy": {"content": "{{ item }}\n", "dest": "/app/conf.d/{{ item }}.conf"},
         "loop": ["db", "cache"]},
        {"name": "legacy loop", "shell": "echo {{ item.name }}={{ item.port }} >> /app/ports",
         "with_items": [{"name": "http", "port": 80}, {"name": "https", "port": 443}]},
        {"name": "compute", "set_fact": {"greeting": "hello {{ who }} on {{ kernel.stdout }}"},
         "vars": {"who": "werf"}},
        {"name": "show", "debug": {"msg": "{{ greeting }}"}},
        {"name": "keep greeting", "shell": "printf '%s\\n' '{{ greeting }}' > /app/greeting; env > /app/env"},
        {"name": "skipped", "shell": "touch /app/should-not-exist", "when": "greeting is not defined"},
    ]
    result = build(docker_client, ansible_builder, busybox_image, tasks, stage_workdir, project_name)
    assert result.exit_code == 0, result.output
    with ImageFiles(docker_client, result.image_id, project=project_name) as files:
        assert files.text("/app/app.conf") == "listen=80\nworkers=8\ndebug=false\n"
        assert files.text("/app/conf.d/db.conf") == "db\n" and files.text("/app/conf.d/cache.conf") == "cache\n"
        assert files.text("/app/ports") == "http=80\nhttps=443\n"
        assert files.text("/app/greeting") == "hello werf on Linux\n"
        assert files.get("/app/should-not-exist") is None
        conf_dir = files.get("/app/conf.d")
        assert conf_dir.is_dir and conf_dir.mode & 0o777 == 0o750
        env_text = files.text("/app/env")

    # tasks start with the image's environment, not the runtime's Python settings
    env = dict(line.split("=", 1) for line in env_text.splitlines() if "=" in line)
    assert not {"PYTHONHOME", "PYTHONPATH"} & set(env)
    assert env["PATH"].startswith("/usr/bin:/bin")  # the image's PATH first, the runtime's tools after it

    # one line per task, with its werf.yaml index and name, and the output of command-like and debug tasks
    lines = result.output.splitlines()
    assert '[ansible] task 0 "app dir" (file)' in lines
    assert '[ansible] task 8 "show" (debug)' in lines
    assert "[ansible]   | hello werf on Linux" in lines
    assert "[ansible]   | Linux" in lines

    # nothing of Ansible's own (temp files, ~/.ansible) is committed: only the tasks' changes and mount points
    own = [p for p in result.changed_paths if not p.startswith(("/app", "/.werf"))]
    assert own == [], own
    assert sorted(p for p in result.changed_paths if p.startswith("/.werf")) == [
        "/.werf", "/.werf/ansible", "/.werf/ansible-tmpdir", "/.werf/ansible-workdir"]


def test_become_user_writes_files_owned_by_that_user(docker_client, busybox_image, ansible_builder, stage_workdir,
                                                     project_name):
    tasks = [
        {"name": "user app", "lineinfile": {"path": "/etc/passwd", "line": "app:x:1234:1235:app:/home/app:/bin/false"}},
        {"name": "group app", "lineinfile": {"path": "/etc/group", "line": "app:x:1235:"}},
        {"name": "home", "file": {"path": "/home/app", "state": "directory", "owner": "app", "group": "app"}},
        {"name": "as app", "shell": "id -un > /home/app/whoami; touch /home/app/made-by-shell",
         "become": True, "become_user": "app"},
        {"name": "copy as app", "copy": {"content": "secret\n", "dest": "/home/app/copied", "mode": "0600"},
         "become_user": "app"},  # werf turns become on for every task: become_user alone switches
        {"name": "back to root", "shell": "id -u > /root-id"},
    ]
    result = build(docker_client, ansible_builder, busybox_image, tasks, stage_workdir, project_name)
    assert result.exit_code == 0, result.output
    with ImageFiles(docker_client, result.image_id, project=project_name) as files:
        for path in ("/home/app/whoami", "/home/app/made-by-shell", "/home/app/copied"):
            entry = files.get(path)
            assert (entry.uid, entry.gid) == (1234, 1235), path
        assert files.text("/home/app/whoami") == "app\n"
        assert files.get("/home/app/copied").mode & 0o777 == 0o600
        root_file = files.get("/root-id")
        assert root_file.uid == 0 and root_file.content == b"0\n"


def test_failing_task_is_named_with_the_module_message(docker_client, busybox_image, ansible_builder, stage_workdir,
                                                       project_name):
    tasks = [
        {"name": "fine", "file": {"path": "/ok", "state": "touch"}},
        {"debug": {"msg": "still fine"}},
        {"name": "Compile the app", "shell": "echo compiling; echo 'cc: no input files' >&2; exit 3"},
        {"name": "never runs", "file": {"path": "/never", "state": "touch"}},
    ]
    result = build(docker_client, ansible_builder, busybox_image, tasks, stage_workdir, project_name)
    assert result.exit_code != 0 and result.image_id is None
    message = describe_ansible_failure(result.output)
    assert message.startswith('ansible task 2 "Compile the app" (shell) failed: non-zero return code (exit code 3)')
    assert "cc: no input files" in message and "compiling" in message
    assert '[ansible] task 3 "never runs" (file)' not in result.output


def test_failing_loop_item_and_module_message(docker_client, busybox_image, ansible_builder, stage_workdir,
                                              project_name):
    tasks = [{"name": "edit configs", "lineinfile": {"path": "{{ item }}", "line": "x=1"},
              "with_items": ["/etc/passwd", "/etc/missing.conf"]}]
    result = build(docker_client, ansible_builder, busybox_image, tasks, stage_workdir, project_name)
    assert result.exit_code != 0
    message = describe_ansible_failure(result.output)
    assert message == ('ansible task 0 "edit configs" (lineinfile) failed for item /etc/missing.conf: '
                       'Destination /etc/missing.conf does not exist !')


def test_block_rescue_always_and_ignored_errors(docker_client, busybox_image, ansible_builder, stage_workdir,
                                                project_name):
    tasks = [
        {"name": "guarded", "block": [
            {"name": "try", "command": "false"},
            {"name": "not reached", "file": {"path": "/not-reached", "state": "touch"}},
        ], "rescue": [
            {"name": "recover", "copy": {"content": "rescued\n", "dest": "/rescued"}},
        ], "always": [
            {"name": "cleanup", "file": {"path": "/always", "state": "touch"}},
        ]},
        {"name": "tolerated", "shell": "exit 1", "ignore_errors": True},
        {"name": "after", "file": {"path": "/after", "state": "touch"}},
    ]
    result = build(docker_client, ansible_builder, busybox_image, tasks, stage_workdir, project_name)
    assert result.exit_code == 0, result.output
    with ImageFiles(docker_client, result.image_id, project=project_name) as files:
        assert files.text("/rescued") == "rescued\n"
        for path, present in (("/always", True), ("/after", True), ("/not-reached", False)):
            assert (files.get(path) is not None) == present, path
    assert '[ansible] task 1 "tolerated" (shell) failed, ignored: non-zero return code' in result.output
    # block members report the werf.yaml index of their block
    assert '[ansible] task 0 "recover" (copy)' in result.output


@pytest.fixture
def empty_image(docker_client, project_name):
    """An image with no files but /tmp: no shell, no libc, no /etc/passwd."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("tmp")
        info.type, info.mode = tarfile.DIRTYPE, 0o1777
        tar.addfile(info)
    repository = f"werf-stages-storage/{project_name}"
    docker_client.api.import_image_from_data(buf.getvalue(), repository=repository, tag="empty",
                                             changes=["CMD [\"/nothing\"]", f"LABEL werf={project_name}"])
    yield f"{repository}:empty"
    # stage images built on it go first: an image with children cannot be removed
    remove_project_images(docker_client, project_name)
    remove_project_images(docker_client, project_name)


def test_image_with_nothing_at_all(docker_client, empty_image, ansible_builder, stage_workdir, project_name):
    tasks = [
        {"name": "dir", "file": {"path": "/srv/www", "state": "directory"}},
        {"name": "page", "copy": {"content": "<h1>hi</h1>\n", "dest": "/srv/www/index.html"}},
        {"name": "shell with runtime tools", "shell": "cat /srv/www/index.html | wc -l > /srv/www/lines"},
        {"name": "as root explicitly", "command": "mkdir /srv/data", "become": True, "become_user": "root"},
    ]
    result = build(docker_client, ansible_builder, empty_image, tasks, stage_workdir, project_name)
    assert result.exit_code == 0, result.output
    with ImageFiles(docker_client, result.image_id, project=project_name) as files:
        assert files.text("/srv/www/index.html") == "<h1>hi</h1>\n"
        assert files.text("/srv/www/lines").strip() == "1"
        assert files.get("/srv/data").is_dir


def test_through_the_project_build_runner(docker_client, busybox_image, ansible_builder, tmp_path, project_name):
    """The contract with werf_core.builders.container: its runner takes our instructions as they are."""
    from werf_core.builders.container import ContainerRunner
    from werf_core.builders.toolchain import ensure_toolchain
    from werf_core.errors import BuildError

    runner = ContainerRunner(docker_client, project=project_name, toolchain_container=ensure_toolchain(docker_client))
    tasks = [{"name": "marker", "copy": {"content": "built by ansible\n", "dest": "/built"}}]
    image = runner.build(busybox_image, ansible_builder.instructions("install", tasks, tmp_path / "ok"),
                         stage="install")
    try:
        with ImageFiles(docker_client, image, project=project_name) as files:
            assert files.text("/built") == "built by ansible\n"
        # the build-time environment (ANSIBLE_CONFIG) is not baked into the image's config
        env = docker_client.api.inspect_image(image)["Config"].get("Env") or []
        assert not [e for e in env if e.startswith("ANSIBLE_")]
    finally:
        docker_client.api.remove_image(image)

    failing = [*tasks, {"name": "boom", "shell": "echo 'no space left' >&2; exit 4"}]
    with pytest.raises(BuildError) as info:
        runner.build(busybox_image, ansible_builder.instructions("install", failing, tmp_path / "fail"),
                     stage="install")
    message = describe_ansible_failure(info.value.message)
    assert message.startswith('ansible task 1 "boom" (shell) failed: non-zero return code (exit code 4)')
    assert "no space left" in message
