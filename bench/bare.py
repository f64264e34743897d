"""The ingest benchmark's WSGI app: salesbot's own app, with a bare Flask endpoint beside it.

`POST /bare/ping` reads the body and answers an empty 200, nothing else; every other path goes to
`bot.wsgi:app`. Served as `gunicorn --preload -w 2 bench.bare:app`, so both run in the same workers.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from bot.wsgi import app as salesbot

bare = Flask("bare")


@bare.route("/ping", methods=["GET", "POST"])
def ping() -> tuple[str, int]:
    request.get_data()
    return "", 200


app = DispatcherMiddleware(salesbot, {"/bare": bare})
