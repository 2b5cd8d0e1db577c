#!/.werf/ansible/bin/sh
# ansible-playbook from the runtime. Ansible insists on a UTF-8 locale: glibc's C.utf8 ships in the runtime (LOCPATH).
# Its local connection runs everything with ANSIBLE_EXECUTABLE, so point it at the runtime's shell (images may have
# no /bin/sh). The runtime's tools come after the image's own on PATH: the image's programs win when it has them.
R=/.werf/ansible
export LOCPATH="$R/locale" LC_ALL=C.UTF-8 LANG=C.UTF-8 PYTHONIOENCODING=utf-8
export ANSIBLE_EXECUTABLE="$R/bin/sh"
export PATH="${PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}:$R/tools"
exec "$R/bin/python3" -m ansible.cli.playbook "$@"
