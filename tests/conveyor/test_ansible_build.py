"""`werf build` with ansible stages on a bare busybox base image (no Python in the image)."""

from __future__ import annotations

import pytest

from tests.support.project import build, make_project, statuses

pytestmark = [pytest.mark.docker, pytest.mark.slow]

BUSYBOX = "werf-prefect/busybox:latest"


def test_ansible_stages_build_on_busybox(git_repo, werf_home, docker_client, project_name, busybox_image):
    make_project(git_repo, f"""
    project: {project_name}
    configVersion: 1
    ---
    image: app
    from: {BUSYBOX}
    git:
    - add: /conf
      to: /etc/app
    ansible:
      beforeInstall:
      - name: create the app user
        shell: |
          echo 'app:x:1000:' >> /etc/group
          echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd
          mkdir -p /home/app && chown app:app /home/app
      install:
      - name: the output directory
        file:
          path: /srv
          state: directory
          mode: "0755"
      - name: render a file per item
        copy:
          content: "item={{{{`{{{{ item }}}}`}}}}\\n"
          dest: "/srv/{{{{`{{{{ item }}}}`}}}}.txt"
        loop: [one, two]
      - name: as the app user
        shell: id -un > /home/app/whoami
        become: yes
        become_user: app
      setup:
      - name: edit the config from git
        lineinfile:
          path: /etc/app/app.conf
          line: "tuned=yes"
    """, {"conf/app.conf": "mode=prod\n"})
    _, report = build(git_repo, werf_home)
    assert set(statuses(report, "app").values()) == {"built"}
    image = report["images"]["app"]["stageImage"]
    out = docker_client.containers.run(image, ["sh", "-c", "cat /srv/one.txt /srv/two.txt /home/app/whoami "
                                                           "/etc/app/app.conf; stat -c '%U' /home/app/whoami; "
                                                           "ls /usr/bin/python3 2>&1 || true"],
                                       remove=True, network_disabled=True).decode().splitlines()
    assert out[:5] == ["item=one", "item=two", "app", "mode=prod", "tuned=yes"]
    assert out[5] == "app"
    assert "No such file" in out[6]          # the image still has no Python: the runtime was only mounted


def test_failing_ansible_task_names_it_and_leaves_nothing(git_repo, werf_home, docker_client, project_name,
                                                          busybox_image):
    make_project(git_repo, f"""
    project: {project_name}
    configVersion: 1
    ---
    image: app
    from: {BUSYBOX}
    ansible:
      install:
      - name: fine
        command: "true"
      - name: compile the app
        shell: echo "compiler exploded" >&2; exit 4
    """)
    result, report = build(git_repo, werf_home, check=False)
    assert result.returncode == 1 and report is None
    assert "Traceback" not in result.stderr
    assert 'ansible task 1 "compile the app" (shell) failed' in result.stderr
    assert "compiler exploded" in result.stderr
    assert docker_client.containers.list(all=True, filters={"label": f"werf={project_name}"}) == []
    tags = [t for i in docker_client.images.list(name=f"werf-stages-storage/{project_name}") for t in i.tags]
    assert len(tags) == 1    # only `from`: the failed install stage was never stored
