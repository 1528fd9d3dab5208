"""A retried SDK call that already succeeded is answered from the record, not executed twice.

Every AWS SDK names each operation call with an ``amz-sdk-invocation-id`` header, the same on each
of its attempts, and counts the attempts in ``amz-sdk-request: attempt=N; max=M``. When an attempt's
answer never reaches the SDK (the connection fails after the request went out), the SDK sends the
call again. For a call that creates something, the emulator must not create it twice: the
Terraform provider retried a CreateRole whose first attempt the loaded emulator had executed, and
the apply failed with EntityAlreadyExists (a live-lane flake under load). AWS answers such a retry
as a new call too, but on AWS a lost answer is rare; on a loaded 2-core machine it was not.

So the server keeps the answers of the last calls that succeeded, keyed by invocation id, and a
later attempt of the same call, with the same request, gets that answer again. An answer that was
an error is never replayed: the attempt runs again, as the SDK meant it to.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

INVOCATION_HEADER = "HTTP_AMZ_SDK_INVOCATION_ID"
STARTED_KEY = "infra.started"  # when the request reached the app (time.monotonic), for the log
ATTEMPT_HEADER = "HTTP_AMZ_SDK_REQUEST"
_ATTEMPT = re.compile(r"(?:^|;)\s*attempt=(\d+)")

# Enough for every call in flight from a parallel apply and its retries; oldest forgotten first.
KEEP_ANSWERS = 1024
# An answer larger than this (an S3 object read back) is not kept: such reads are safe to repeat.
KEEP_BODY_BYTES = 4 * 1024 * 1024

Answer = tuple[str, list[tuple[str, str]], bytes]


def attempt_number(header: str) -> int:
    """The attempt ``amz-sdk-request`` names (1 when it names none)."""
    match = _ATTEMPT.search(header)
    return int(match.group(1)) if match else 1


class ReplayRetriedInvocations:
    """WSGI middleware: see the module docstring."""

    def __init__(self, app: Callable[..., Iterable[bytes]], keep: int = KEEP_ANSWERS) -> None:
        self.app = app
        self.keep = keep
        self._lock = threading.Lock()
        self._answers: OrderedDict[str, tuple[str, Answer]] = OrderedDict()
        self._running: dict[str, threading.Event] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ[STARTED_KEY] = time.monotonic()
        invocation = environ.get(INVOCATION_HEADER, "").strip()
        if not invocation:
            return self.app(environ, start_response)
        request = _request_digest(environ)  # reads the body, and puts it back for the app
        attempt = attempt_number(environ.get(ATTEMPT_HEADER, ""))
        if attempt > 1:
            answer = self._answer_of_earlier_attempt(invocation, request)
            # In the log: a retry means an answer was lost on the way (or the call failed), which the
            # log's status lines alone never show; the operation says which call.
            print(f"retry: attempt {attempt} of {operation(environ)} ({invocation}): "
                  f"{'answered again from attempt 1' if answer is not None else 'run again'}", flush=True)
            if answer is not None:
                status, headers, body = answer
                start_response(status, headers)
                return [body]
        return self._run_and_keep(invocation, request, environ, start_response)

    def _answer_of_earlier_attempt(self, invocation: str, request: str) -> Answer | None:
        with self._lock:
            running = self._running.get(invocation)
        if running is not None:
            running.wait()  # the first attempt is still running: its outcome decides
        with self._lock:
            kept = self._answers.get(invocation)
            if kept is None or kept[0] != request:
                return None
            return kept[1]

    def _run_and_keep(self, invocation: str, request: str, environ: dict[str, Any],
                      start_response: Callable[..., Any]) -> Iterable[bytes]:
        started: list[Any] = []

        def record_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
            started[:] = [status, list(headers)]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        done = threading.Event()
        with self._lock:
            self._running[invocation] = done
        try:
            chunks = self.app(environ, record_start)
            try:
                body = b"".join(chunks)
            finally:
                if hasattr(chunks, "close"):
                    chunks.close()
            if started and started[0][:1] in ("2", "3") and len(body) <= KEEP_BODY_BYTES:
                with self._lock:
                    self._answers[invocation] = (request, (started[0], started[1], body))
                    self._answers.move_to_end(invocation)
                    while len(self._answers) > self.keep:
                        self._answers.popitem(last=False)
            return [body]
        finally:
            with self._lock:
                self._running.pop(invocation, None)
            done.set()


def operation(environ: dict[str, Any]) -> str:
    """The call's operation as far as the headers say it (JSON protocols name it in X-Amz-Target;
    query protocols in the body, which this does not read): the target, or the method and path."""
    return environ.get("HTTP_X_AMZ_TARGET") or f"{environ.get('REQUEST_METHOD', '')} {environ.get('PATH_INFO', '')}"


def _request_digest(environ: dict[str, Any]) -> str:
    """What identifies the request besides its invocation id (method, path, query and body), so that
    an id sent again with another request is never answered with the first one's answer."""
    stream = environ.get("wsgi.input")
    length = environ.get("CONTENT_LENGTH") or ""
    if stream is None:
        body = b""
    elif length.isdigit():
        body = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""  # no length and not terminated: WSGI says there is no body to read
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    digest = hashlib.sha256()
    for part in (environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(body)
    return digest.hexdigest()
