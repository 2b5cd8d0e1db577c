#!/.werf/ansible/bin/sh
# The runtime's CPython, started through the runtime's own glibc loader so that nothing from the image (its libc, its
# Python, its PYTHON* variables) is used. sitecustomize.py removes these variables again once Python runs, so the
# commands that tasks start see the image's environment, not ours.
R=/.werf/ansible
export PYTHONHOME="$R" PYTHONPATH="$R/site-packages" PYTHONDONTWRITEBYTECODE=1 PYTHONNOUSERSITE=1
exec "$R/lib/ld-linux-x86-64.so.2" --library-path "$R/lib" --argv0 "$R/bin/python3" "$R/libexec/python3.11" "$@"
