"""Fixtures of the delivery suites: a real PostgreSQL server, and a fresh database per test."""

from __future__ import annotations

import itertools

import pg_server  # tests/pg_server.py (tests/ is on sys.path: pytest's prepend import mode)
import psycopg
import pytest

_names = itertools.count(1)


@pytest.fixture(scope="session")
def postgres() -> pg_server.Server:
    """One PostgreSQL server for the session (Debian's binaries, a free port, scram passwords)."""
    with pg_server.running() as server:
        yield server


@pytest.fixture
def database_url(postgres) -> str:
    """A new, empty database on the session's server; its URL."""
    name = f"t{next(_names)}"
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return postgres.url(name)



class StandIn:
    """A local HTTP server standing in for the service behind its load balancer.

    GET /health answers `status` at once (a test sets it from what ECS runs, between steps, never while
    a probe waits); `hits` counts probes.
    """

    def __init__(self):
        import http.server
        import threading

        stand_in = self
        self.status, self.hits = 200, 0

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                stand_in.hits += 1
                code = stand_in.status
                body = b"ok" if code == 200 else b"unhealthy"
                self.send_response(code if self.path == "/health" else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/health"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stand_in():
    server = StandIn()
    yield server
    server.close()
