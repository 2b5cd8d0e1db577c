"""Cleanup of what builds leave behind: images repo tags (git-history keep policies, Kubernetes-aware), stages no kept
image needs, purges, and host cleanup (leftovers, dangling images, LRU of local stage images).

Entry points are in `run.py` (images/stages cleanup and purge) and `host.py`; both are safe to run while builds
run (see werf_core/sync/stage_leases.py).
"""
