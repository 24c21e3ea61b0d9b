"""The app as gunicorn serves it for the load test, plus one bare route as the server's baseline.

    gunicorn --workers 4 "bench.wsgi:app"

/bench-bare returns a short text without touching the session, the database or a template: what the same
gunicorn workers can serve at best. It exists only here, never in the product (portal.create_app).
"""
from __future__ import annotations

from portal import create_app
from portal.core.access import public

app = create_app()


@public
def bench_bare():
    return "ok", 200, {"Content-Type": "text/plain"}


app.add_url_rule("/bench-bare", "bench_bare", bench_bare)
