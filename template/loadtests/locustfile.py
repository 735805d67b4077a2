"""Load test of the items API: `make load` (headless), or `uv run locust -f loadtests/locustfile.py`.

Each simulated user browses pages of items, reads one, and now and then creates
one, in proportions set by the task weights. Extend it with your own features'
journeys; keep the weights close to what production traffic looks like.
"""

from itertools import count
from uuid import uuid4

from locust import FastHttpUser, between, task

ITEMS = "/api/v1/items"
_sequence = count()


class ItemsUser(FastHttpUser):
    wait_time = between(0.1, 0.5)

    def on_start(self) -> None:
        self.known_ids: list[int] = []

    @task(6)
    def list_items(self) -> None:
        page = self.client.get(f"{ITEMS}?limit=20", name="list items").json()
        self.known_ids = [item["id"] for item in page["items"]] or self.known_ids
        if page["next_after"] is not None:
            self.client.get(f"{ITEMS}?limit=20&after={page['next_after']}", name="list items (next page)")

    @task(3)
    def read_item(self) -> None:
        if self.known_ids:
            item_id = self.known_ids[next(_sequence) % len(self.known_ids)]
            self.client.get(f"{ITEMS}/{item_id}", name="read item")

    @task(1)
    def create_item(self) -> None:
        self.client.post(ITEMS, json={"name": f"load-{uuid4().hex}", "quantity": 1}, name="create item")
