"""Clients that keep writing through a real server while a drill breaks something.

Each client has a connection of its own and writes items until it is stopped; what
every request got (a status, or no answer at all) and which writes the service
acknowledged are kept for the drill to check.
"""

import threading
from collections import Counter
from types import TracebackType
from typing import Self

import httpx

from tests.servers import RunningServer

ITEMS = "/api/v1/items"


class WritingClients:
    def __init__(self, server: RunningServer, count: int) -> None:
        self.server = server
        self.outcomes: Counter[str] = Counter()
        self.acknowledged: list[int] = []
        self.closing_answers = 0  # answers that told the client to close its connection
        self._running = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._write, args=(n,)) for n in range(count)]

    def __enter__(self) -> Self:
        self._running.set()
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        self._running.clear()
        for thread in self._threads:
            thread.join()

    def missing_writes(self, server: RunningServer) -> list[int]:
        """The acknowledged writes `server` cannot find."""
        with server.client() as client:
            return [item for item in self.acknowledged if client.get(f"{ITEMS}/{item}").status_code != 200]

    def _write(self, number: int) -> None:
        with self.server.client() as client:
            sent = 0
            while self._running.is_set():
                sent += 1
                try:
                    response = client.post(ITEMS, json={"name": f"client {number}, write {sent}"})
                except httpx.TransportError as error:  # sent, and never answered
                    with self._lock:
                        self.outcomes[f"no answer ({type(error).__name__})"] += 1
                    continue
                with self._lock:
                    self.outcomes[str(response.status_code)] += 1
                    if response.status_code == 201:
                        self.acknowledged.append(response.json()["id"])
                    self.closing_answers += response.headers.get("connection") == "close"
