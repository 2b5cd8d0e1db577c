"""The CI webhook receiver: signed GitHub/GitLab deliveries → runs of the `ci-build` deployment.

Run it with `python -m deployments.webhook` (uvicorn); see deployments/README.md for the settings.
"""
