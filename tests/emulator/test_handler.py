"""The emulator's request handler sends every answer in one write (infra/emulator/handler.py says why).

The handler serves one end of a SOCK_SEQPACKET socket pair: such a socket keeps the boundary of every
write, so the other end counts the writes an answer took, deterministically, where TCP would merge or
split them. werkzeug's own handler takes two (the headers, then the body).
"""

from __future__ import annotations

import socket
import threading
import types
from collections.abc import Callable

import pytest

pytestmark = pytest.mark.emulator


def sized_answer(environ: dict, start_response: Callable) -> list[bytes]:
    """An answer of as many bytes as the query string says, or the request's own body echoed."""
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"x" * int(environ["QUERY_STRING"])
    start_response("200 OK", [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(body)))])
    return [body]


def handler_class() -> type:
    from infra.emulator.handler import EmulatorRequestHandler  # imports moto: not at collection time

    # make_server(threaded=True) sets HTTP/1.1 on the class it is given; a subclass here, not that one.
    return type("Served", (EmulatorRequestHandler,), {"protocol_version": "HTTP/1.1"})


SERVER = types.SimpleNamespace(app=sized_answer, passthrough_errors=False, ssl_context=None, multithread=True,
                               multiprocess=False, server_address=("127.0.0.1", 0), shutdown_signal=False)
PEER = ("127.0.0.1", 40000)


def serve(request: bytes, then: Callable[[socket.socket], None] = lambda _client: None) -> list[bytes]:
    """Serve one connection with the emulator's handler: send `request`, run `then` while it is served,
    and return every write of the answer, one item each, until the handler closes the connection."""
    client, served = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with client:
        client.sendall(request)
        handler = threading.Thread(target=handler_class(), args=(served, PEER, SERVER))
        handler.start()
        try:
            then(client)
        finally:
            handler.join()
            served.close()
        writes = []
        while chunk := client.recv(1 << 20):
            writes.append(chunk)
        return writes


@pytest.mark.parametrize("size", [0, 175, 4000, 200_000])
def test_every_answer_leaves_in_one_write(size):
    (answer,) = serve(f"POST /?{size} HTTP/1.1\r\nHost: kms\r\nContent-Length: 0\r\n\r\n".encode())
    head, body = answer.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200") and f"Content-Length: {size}".encode() in head
    assert body == b"x" * size


def test_an_expect_100_continue_request_gets_the_interim_answer_before_it_sends_its_body():
    seen = []

    def send_body_after_continue(client: socket.socket) -> None:
        seen.append(client.recv(1 << 20))  # the handler must send this before it reads the body
        client.sendall(b'{"KeyId":"k"}')

    answer = serve(b"POST / HTTP/1.1\r\nHost: kms\r\nExpect: 100-continue\r\nContent-Length: 13\r\n\r\n",
                   send_body_after_continue)
    assert seen == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    assert len(answer) == 1 and answer[0].startswith(b"HTTP/1.1 200") and answer[0].endswith(b'{"KeyId":"k"}')


def test_an_answer_the_client_did_not_wait_for_is_said_in_the_log(capsys):
    client, served = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    client.sendall(b"GET /?175 HTTP/1.1\r\nHost: kms\r\n\r\n")
    client.close()  # gone before the answer
    with served:
        handler_class()(served, PEER, SERVER)
    assert "connection dropped while answering GET / from port 40000" in capsys.readouterr().out
