"""The publish tests use the distributed-mode fixtures (a project whose stages live in the session registry)."""

from tests.registry_storage.conftest import (  # noqa: F401
    app_project,
    home_a,
    home_b,
    images_repo,
    stages_repo,
)
