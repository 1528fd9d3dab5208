"""The emulator's request handler sends every answer in one write (infra/emulator/handler.py says why).

The handler serves one end of a SOCK_SEQPACKET socket pair: such a socket keeps the boundary of every
write, so the other end counts the writes an answer took, deterministically, where TCP would merge or
split them. werkzeug's own handler takes two (the headers, then the body; a chunked answer's last
chunk comes in a third, after a 10 ms drain).
"""

from __future__ import annotations

import socket
import threading
import types
from collections.abc import Callable, Iterator

import pytest

pytestmark = pytest.mark.emulator

PEER = ("127.0.0.1", 40000)
CEILING = 60  # seconds: only a hang reaches it


def sized_answer(environ: dict, start_response: Callable) -> list[bytes]:
    """An answer of as many bytes as the query string says, or the request's own body echoed."""
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"x" * int(environ["QUERY_STRING"])
    start_response("200 OK", [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(body)))])
    return [body]


def unsized_answer(environ: dict, start_response: Callable) -> Iterator[bytes]:
    """Two chunks and no Content-Length: werkzeug would send it chunked."""
    start_response("200 OK", [("Content-Type", "text/xml")])
    yield b"<a>"
    yield b"</a>"


def server_for(app: Callable) -> types.SimpleNamespace:
    return types.SimpleNamespace(app=app, passthrough_errors=False, ssl_context=None, multithread=True,
                                 multiprocess=False, server_address=("127.0.0.1", 0), shutdown_signal=False)


def handler_class() -> type:
    from infra.emulator.handler import EmulatorRequestHandler  # imports moto: not at collection time

    # make_server(threaded=True) sets HTTP/1.1 on the class it is given; a subclass here, not that one.
    return type("Served", (EmulatorRequestHandler,), {"protocol_version": "HTTP/1.1"})


def serve(request: bytes, then: Callable[[socket.socket], None] = lambda _client: None,
          app: Callable = sized_answer) -> list[bytes]:
    """Serve one connection with the emulator's handler: send `request`, run `then` while it is served,
    and return every write of the answer, one item each, until the handler closes the connection."""
    client, served = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    client.settimeout(CEILING)
    with client:
        client.sendall(request)
        handler = threading.Thread(target=handler_class(), args=(served, PEER, server_for(app)), daemon=True)
        handler.start()
        try:
            then(client)
        finally:
            handler.join(CEILING)
            served.close()
        assert not handler.is_alive(), "the handler hung"
        writes = []
        while chunk := client.recv(1 << 20):
            writes.append(chunk)
        return writes


# 60,000 bytes: well past the client's 4 KiB read buffer, and within the size of one SOCK_SEQPACKET
# record on any default socket buffer.
@pytest.mark.parametrize("size", [175, 4000, 60_000])
def test_every_answer_leaves_in_one_write(size):
    (answer,) = serve(f"POST /?{size} HTTP/1.1\r\nHost: kms\r\nContent-Length: 0\r\n\r\n".encode())
    head, body = answer.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200") and f"Content-Length: {size}".encode() in head
    assert body == b"x" * size


def test_an_answer_without_a_length_gets_one_and_leaves_in_one_write():
    from infra.emulator.handler import with_content_length

    (answer,) = serve(b"GET / HTTP/1.1\r\nHost: s3\r\n\r\n", app=with_content_length(unsized_answer))
    head, body = answer.split(b"\r\n\r\n", 1)
    assert b"Content-Length: 7" in head and b"chunked" not in head and body == b"<a></a>"


@pytest.mark.parametrize("expect", ["100-continue", "100-Continue "])
def test_an_expect_100_continue_request_gets_one_interim_answer_before_it_sends_its_body(expect):
    seen = []

    def send_body_after_continue(client: socket.socket) -> None:
        seen.append(client.recv(1 << 20))  # the handler must send this before it reads the body
        client.sendall(b'{"KeyId":"k"}')

    answer = serve(f"POST / HTTP/1.1\r\nHost: kms\r\nExpect: {expect}\r\nContent-Length: 13\r\n\r\n".encode(),
                   send_body_after_continue)
    assert seen == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    assert len(answer) == 1 and answer[0].startswith(b"HTTP/1.1 200") and answer[0].endswith(b'{"KeyId":"k"}')


def test_an_answer_the_client_did_not_wait_for_is_said_in_the_log_once(capsys):
    client, served = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    client.sendall(b"GET /?175 HTTP/1.1\r\nHost: kms\r\n\r\n")
    client.close()  # gone before the answer
    with served:
        handler_class()(served, PEER, server_for(sized_answer))
    logged = [line for line in capsys.readouterr().out.splitlines() if "connection dropped" in line]
    assert len(logged) == 1 and logged[0].startswith("connection dropped while answering GET / from port 40000")
