"""werf_core — the domain layer of werf-prefect.

Everything a build needs (config, git, stages, storage, synchronization, the builder and the conveyor) lives here.
This package never imports Prefect: the plain CLI path must stay fast (an idle build in about a second), and
`import prefect` alone costs ~2 s. The orchestration layer (`tasks/`, `flows/`) wraps what is here.
"""

__version__ = "0.1.0"

# The cache version mixed into every stage digest. werf v1.1 uses "1.1"; ours is distinct so that a werf runner and a
# werf-prefect runner sharing one stages storage never mistake each other's stages for their own.
BUILD_CACHE_VERSION = "wp1"
