"""Count the SQL statements the app's engine runs, e.g. during one request (tests/test_query_counts.py).

    with count_queries(app) as queries:
        client.get("/referrals")
    assert len(queries) <= 12, queries.report()
"""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event


class Queries(list):
    def report(self) -> str:
        return f"{len(self)} statements:\n" + "\n".join(f"  {' '.join(s.split())[:160]}" for s in self)


@contextmanager
def count_queries(app):
    """Every statement the app's engine executes inside the block (SAVEPOINTs and the like included)."""
    engine = app.extensions["homefinder.engine"]
    seen = Queries()

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def request_count(app, client, path: str) -> Queries:
    """The statements one GET runs (asserting it answered 200)."""
    with count_queries(app) as queries:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return queries
