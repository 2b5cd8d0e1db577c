# Loaded by the runtime's Python at start-up (it sits in /.werf/ansible/site-packages).
# bin/python3 sets these variables only so that this interpreter finds its own standard library; programs that tasks
# start (the image's own python, a shell command) must not inherit them, or they would load our library instead of
# theirs. sys.path is already computed, so dropping them here changes nothing for us.
import os

for _name in ("PYTHONHOME", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONNOUSERSITE"):
    os.environ.pop(_name, None)
del _name
