"""`app` for production WSGI servers: gunicorn --preload -w 2 bot.wsgi:app.

With SALESBOT_REDIS_URL set the web processes only store and enqueue; `salesbot worker` does the work.
"""

from __future__ import annotations

import logging

from bot.app import create_app
from config.settings import load

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
settings = load()
if not settings.redis_url:
    logging.getLogger(__name__).warning(
        "SALESBOT_REDIS_URL is not set: these web processes store messages but nothing processes them; "
        "set it and run `salesbot worker`, or use `salesbot serve` for the embedded mode"
    )
app = create_app(settings)
