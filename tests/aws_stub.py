"""Stand-in HTTP endpoints for the tests: `serving` runs any handler on a free loopback port, and
`failing_aws` answers every AWS call with one JSON error, for the tests that need an endpoint to
refuse deterministically and at once (a denied API, a service the endpoint does not serve)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler], **attributes: object) -> Iterator[str]:
    """`handler` served on a free loopback port (`attributes` set on the server, for the handler to
    read as self.server.<name>); yields the URL, and stops the server on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    for name, value in attributes.items():
        setattr(server, name, value)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


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

    with serving(Refuse) as url:
        yield url
