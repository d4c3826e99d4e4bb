"""The HTTP side of a connection: uvicorn's httptools parser, with a bound on a request's head.

httptools parses in C (llhttp) what h11 parsed in Python: a join storm's two requests per phone
(the join form and the websocket's upgrade) spent about a tenth of the server's time in h11
(docs/performance.md). h11 refused a head longer than 16 KiB; uvicorn's httptools protocol
bounds nothing, and httptools keeps a header's value in memory until its line ends, so a client
sending one endless header would grow the server's memory for as long as it liked. The bound is
put back here: bytes that arrive while a request's head is incomplete are counted, and past
HEAD_LIMIT the request is answered 400 and the connection closed.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# As h11's default: a browser's head (cookies included) is one or two KiB.
HEAD_LIMIT = 16 * 1024
HEAD_TOO_LARGE = "Request head too large."


class BoundedHttpTools(HttpToolsProtocol):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Bytes received while the current request's head is incomplete (from the connection's
        # first byte, then from each request's first byte on a kept-alive connection).
        self.head_bytes = 0
        self.in_head = True

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.head_bytes, self.in_head = 0, True

    def on_headers_complete(self) -> None:
        self.in_head = False
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # Counted after parsing, so a body that came in the same read as its head is not taken for
        # part of it; a head may overrun the bound by one read before it is refused.
        if self.in_head and not self.transport.is_closing():
            self.head_bytes += len(data)
            if self.head_bytes > HEAD_LIMIT:
                self.logger.warning("HTTP request refused: head over %d bytes", HEAD_LIMIT)
                self.send_400_response(HEAD_TOO_LARGE)
