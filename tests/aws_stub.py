"""A stand-in AWS endpoint that answers every call with one JSON error, for the tests that need an
endpoint to refuse deterministically and at once (a denied API, a service the endpoint does not serve)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def failing_aws(status: int, error_type: str, message: str) -> Iterator[str]:
    """An endpoint on a free loopback port answering every GET and POST with HTTP `status` and the
    JSON error `{"__type": error_type, "message": message}`; yields its URL, stopped on exit."""
    body = json.dumps({"__type": error_type, "message": message}).encode()

    class Refuse(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
