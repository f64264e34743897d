"""The ingest benchmark's WSGI app: salesbot's own app, with two bare Flask endpoints beside it.

- `POST /bare/ping` reads the body and answers an empty 200: the HTTP floor.
- `POST /bare/store` reads the body, inserts one inbound_events row with one raw psycopg statement in
  autocommit mode (durable when it returns), pushes the new id onto a Redis list, and answers 200: the
  floor for "store, enqueue, ack" on the same PostgreSQL and Redis, without signature checks, decryption,
  parsing or SQLAlchemy; the same two round trips as the real ack path minus its pool's pre-ping.

Every other path goes to `bot.wsgi:app`. Served as `gunicorn --preload -w 2 bench.bare:app`, so all of
them run in the same workers.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from typing import Any

from flask import Flask, request
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from bot.wsgi import app as salesbot
from bot.wsgi import settings

bare = Flask("bare")
_connections: dict[int, Any] = {}  # per process: opened after gunicorn forks


def _stores() -> Any:
    pid = os.getpid()
    if pid not in _connections:
        import psycopg
        import redis

        url = settings.database_url.replace("postgresql+psycopg://", "postgresql://", 1)
        _connections[pid] = (
            psycopg.connect(url, autocommit=True),
            redis.Redis.from_url(settings.redis_url or "redis://127.0.0.1"),
        )
    return _connections[pid]


@bare.route("/ping", methods=["GET", "POST"])
def ping() -> tuple[str, int]:
    request.get_data()
    return "", 200


@bare.post("/store")
def store() -> tuple[str, int]:
    body = request.get_data()
    db, queue = _stores()
    with db.cursor() as cur:
        cur.execute(
            "INSERT INTO inbound_events (platform, dedup_key, kind, sender, payload, status, attempts, received_at)"
            " VALUES ('bare', %s, 'text', 'bare:bench', '{}', 'pending', 0, %s) ON CONFLICT DO NOTHING RETURNING id",
            (hashlib.sha1(body).hexdigest(), datetime.now(UTC).replace(tzinfo=None)),
        )
        row = cur.fetchone()
    queue.lpush("bench:bare-store", row[0] if row else 0)
    return "", 200


app = DispatcherMiddleware(salesbot, {"/bare": bare})
