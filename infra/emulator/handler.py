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
answer that fits the client's read buffer (4 KiB in Go's Transport; the calls seen lost were of 175
to 600 bytes) is whole in that buffer when the headers are parsed, and a close can no longer take it. A
larger answer can still lose its tail to that close; the SDK's retry of the call is then answered
from the first attempt (invocations.py). An answer the app gives without a length gets one
(with_content_length): werkzeug would send it chunked, its last chunk in a late second write.

Import this module only after moto's settings and the patches are in (server.main does).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import MotoRequestHandler

from infra.emulator.invocations import STARTED_KEY, operation

# Held up to this size, an answer leaves in one write; a larger one goes out in writes of about this size.
ANSWER_BUFFER = 256 * 1024


class AnswerWriter:
    """The handler's ``wfile``: holds what is written until a flush sends it in one ``sendall``. A send
    that fails drops what it held, so the failure is seen (and logged) once, not again at each later
    flush or at close."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._held = bytearray()
        self.closed = False

    def write(self, data: bytes) -> int:
        self._held += data
        if len(self._held) >= ANSWER_BUFFER:
            self.flush()
        return len(data)

    def flush(self) -> None:
        if self._held:
            data, self._held = bytes(self._held), bytearray()
            self._sock.sendall(data)

    def close(self) -> None:
        self._held = bytearray()
        self.closed = True


def with_content_length(app: Callable) -> Callable:
    """WSGI middleware: an answer with neither Content-Length nor Transfer-Encoding gets its length.
    werkzeug would send it chunked, and write the last chunk only after its 10 ms drain, a second
    write; moto builds every answer whole in memory, so holding it costs nothing."""

    def answer(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        started: list[Any] = []
        parts: list[bytes] = []

        def hold(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            started[:] = [status, list(headers), exc_info]
            return parts.append  # the WSGI write callable

        chunks = app(environ, hold)
        try:
            parts.extend(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        status, headers, exc_info = started
        body = b"".join(parts)
        framed = {name.lower() for name, _ in headers} & {"content-length", "transfer-encoding"}
        bodiless = environ.get("REQUEST_METHOD") == "HEAD" or status[:1] == "1" or status[:3] in ("204", "304")
        if not framed and not bodiless:
            headers.append(("Content-Length", str(len(body))))
        start_response(status, headers, exc_info)
        return [body]

    return answer


class EmulatorRequestHandler(MotoRequestHandler):
    _continue_sent = False

    def setup(self) -> None:
        super().setup()
        self.wfile = AnswerWriter(self.connection)

    def handle_expect_100(self) -> bool:
        # http.server writes the interim "100 Continue" and then waits for the body: it must go out at
        # once, or the client waits for it.
        super().handle_expect_100()
        self.wfile.flush()
        self._continue_sent = True
        return True

    def run_wsgi(self) -> None:
        # werkzeug writes its own "100 Continue" without a flush (a second one when http.server sent it,
        # which it does only for the exact value): one, at once.
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            if not self._continue_sent:
                self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                self.wfile.flush()
            del self.headers["Expect"]
        super().run_wsgi()

    def connection_dropped(self, error: BaseException, environ: dict | None = None) -> None:
        """Say in the log when an answer could not be written (werkzeug drops that silently)."""
        environ = environ or {}
        started = environ.get(STARTED_KEY)
        took = f" {time.monotonic() - started:.2f} s after the request" if started is not None else ""
        peer = f" from port {self.client_address[1]}" if isinstance(self.client_address, tuple) else ""
        print(f"connection dropped while answering {operation(environ)}{peer}{took}: {error!r}", flush=True)
