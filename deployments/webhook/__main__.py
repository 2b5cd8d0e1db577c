"""`python -m deployments.webhook`: serve the receiver with uvicorn's h11 protocol under the limits of
deployments/webhook/server.py (settings: deployments/webhook/settings.py)."""

from __future__ import annotations

import logging
import sys


def main() -> int:
    from deployments.webhook.app import create_app
    from deployments.webhook.server import ServerLimits, serve
    from deployments.webhook.settings import WebhookSettings
    from deployments.webhook.starter import PrefectRunStarter
    from werf_core.errors import WerfError
    from werf_core.redaction import install_log_redaction, register_secret

    install_log_redaction()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = WebhookSettings.from_env()
    except WerfError as err:
        print(err.render(), file=sys.stderr)
        return 1
    register_secret(settings.secret)
    app = create_app(settings, PrefectRunStarter(settings.deployment))
    serve(app, host=settings.host, port=settings.port,
          limits=ServerLimits(header_timeout=settings.header_timeout, body_timeout=settings.body_timeout,
                              max_connections=settings.max_connections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
