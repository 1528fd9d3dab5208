"""The emulator's HTTP request handler: moto's werkzeug handler, with every answer sent in one write.

Why one write: the Terraform provider's SDK (aws-sdk-go-v2 on smithy-go) closes a request's body as
soon as the response headers arrive. Go's net/http may not have finished with that body: after the
Content-Length bytes it probes it for more, and smithy's closed body answers that probe (through
WriterTo) with io.EOF as an error, so net/http takes the request write as failed and closes the
connection while the SDK reads the response body, which then fails with "use of closed network
connection" (the provider's "decomposing response" error; aws-sdk-go-v2 issues 1825 and 2737). It
takes an answer that arrives before the SDK's writer goroutine gets back to the CPU: rare against AWS,
common against a local emulator on a loaded machine, where the provider lost the answer to
ListResourceTags or DescribeKey (traced with strace: the close came while the body read waited).
werkzeug sends the status line and headers in one write and the body in a second one, a few
milliseconds later when forty threads share the interpreter; the SDK parses the headers, closes the
request body, and reads the body from a connection its writer has just closed. Sent in one write, an
answer that fits the client's read buffer (4 KiB in Go's Transport, more than almost every answer
here) is whole in that buffer when the headers are parsed, and a close can no longer take it. A
larger answer can still lose its tail to that close; the SDK's retry of the call is then answered
from the first attempt (invocations.py).

Import this module only after moto's settings and the patches are in (server.main does).
"""

from __future__ import annotations

import time

from moto.moto_server.werkzeug_app import MotoRequestHandler

from infra.emulator.invocations import STARTED_KEY, operation

# Buffered up to this size, an answer leaves in one write (werkzeug flushes after each chunk the app
# yields, and moto's answers are one chunk); a larger one goes out as it comes.
ANSWER_BUFFER = 256 * 1024


class EmulatorRequestHandler(MotoRequestHandler):
    wbufsize = ANSWER_BUFFER

    def handle_expect_100(self) -> bool:
        # http.server writes the interim "100 Continue" and then waits for the body: with a buffered
        # writer it must go out at once, or the client waits for it.
        super().handle_expect_100()
        self.wfile.flush()
        return True

    def run_wsgi(self) -> None:
        # werkzeug would write a second "100 Continue" (http.server sent one already).
        del self.headers["Expect"]
        super().run_wsgi()

    def finish(self) -> None:
        # A client that has gone leaves the unsent answer in the buffer, and closing the writer tries it
        # once more; connection_dropped has said so already.
        try:
            super().finish()
        except ConnectionError:
            self.rfile.close()

    def connection_dropped(self, error: BaseException, environ: dict | None = None) -> None:
        """Say in the log when an answer could not be written (werkzeug drops that silently)."""
        environ = environ or {}
        started = environ.get(STARTED_KEY)
        took = f" {time.monotonic() - started:.2f} s after the request" if started is not None else ""
        peer = f" from port {self.client_address[1]}" if isinstance(self.client_address, tuple) else ""
        print(f"connection dropped while answering {operation(environ)}{peer}{took}: {error!r}", flush=True)
