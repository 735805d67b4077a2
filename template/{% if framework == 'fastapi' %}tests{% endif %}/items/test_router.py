"""The items router in process, where coverage sees it: the contract drives it over real
HTTP, in a server process that coverage does not measure."""

from httpx import AsyncClient


async def test_a_created_item_is_found_at_its_location(client: AsyncClient) -> None:
    created = await client.post("/api/v1/items", json={"name": "in process"})
    assert created.status_code == 201, created.text

    found = await client.get(created.headers["location"])

    assert found.status_code == 200, found.text
    assert found.json() == created.json()
