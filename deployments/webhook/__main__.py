"""`python -m deployments.webhook`: serve the receiver with uvicorn (settings: deployments/webhook/settings.py)."""

from __future__ import annotations

import logging
import sys


def main() -> int:
    import uvicorn

    from deployments.webhook.app import create_app
    from deployments.webhook.settings import WebhookSettings
    from deployments.webhook.starter import PrefectRunStarter
    from werf_core.errors import WerfError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = WebhookSettings.from_env()
    except WerfError as err:
        print(err.render(), file=sys.stderr)
        return 1
    app = create_app(settings, PrefectRunStarter(settings.deployment))
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info")
    return 0


if __name__ == "__main__":
    sys.exit(main())
