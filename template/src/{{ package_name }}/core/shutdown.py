"""Graceful shutdown: on SIGTERM the service drains before it stops (both frameworks).

Draining (`core/server.py` starts it) means: readiness answers 503 at once, so the
platform stops sending new requests here; requests keep being served for the drain
period, each answered with `Connection: close`, so clients open their next connection
to another instance instead of reusing one that is about to close; then the server
stops accepting and finishes the requests in flight. Without it, a request a client
sends on a kept-alive connection just as the server closes it gets no answer at all.
"""

import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]

_draining = threading.Event()


def draining() -> bool:
    return _draining.is_set()


def start_draining() -> None:
    _draining.set()


class CloseConnectionsWhileDraining:
    """Pure ASGI: while draining, every response tells the client to close the connection."""

    # `app` is any ASGI callable: frameworks type the scope more narrowly (a dict).
    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http" or not _draining.is_set():
            await self.app(scope, receive, send)  # the usual case: nothing added to the request
            return

        async def send_closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (b"connection", b"close")]
            await send(message)

        await self.app(scope, receive, send_closing)
