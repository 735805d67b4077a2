"""The items API over HTTP: contract, errors and pagination, against the real database."""

from typing import Any

from httpx import AsyncClient

ITEMS = "/api/v1/items"
PROBLEM_JSON = "application/problem+json"


async def create(client: AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post(ITEMS, json={"name": "widget", **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_create_returns_the_item_and_its_location(client: AsyncClient) -> None:
    response = await client.post(ITEMS, json={"name": "  widget  ", "description": "blue", "quantity": 3})

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "widget"
    assert body["description"] == "blue"
    assert body["quantity"] == 3
    assert body["created_at"].endswith(("Z", "+00:00"))
    assert response.headers["location"].endswith(f"{ITEMS}/{body['id']}")


async def test_created_item_can_be_read_back(client: AsyncClient) -> None:
    created = await create(client, quantity=7)

    response = await client.get(f"{ITEMS}/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created


async def test_duplicate_name_is_a_conflict_problem(client: AsyncClient) -> None:
    await create(client)

    response = await client.post(ITEMS, json={"name": "widget"})

    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["code"] == "item_name_taken"
    assert problem["status"] == 409
    assert problem["instance"] == ITEMS


async def test_invalid_input_is_a_validation_problem(client: AsyncClient) -> None:
    response = await client.post(ITEMS, json={"name": "", "quantity": -1, "colour": "red"})

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["code"] == "validation_error"
    failed = {tuple(error["loc"]) for error in problem["errors"]}
    assert failed == {("body", "name"), ("body", "quantity"), ("body", "colour")}
    assert "input" not in problem["errors"][0]


async def test_text_the_database_cannot_store_is_refused(client: AsyncClient) -> None:
    response = await client.post(ITEMS, json={"name": "nul\u0000byte"})

    assert response.status_code == 422


async def test_malformed_json_is_a_validation_problem(client: AsyncClient) -> None:
    response = await client.post(ITEMS, content=b"{not json", headers={"content-type": "application/json"})

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON


async def test_missing_item_is_a_not_found_problem(client: AsyncClient) -> None:
    response = await client.get(f"{ITEMS}/424242")

    assert response.status_code == 404
    problem = response.json()
    assert problem["code"] == "item_not_found"
    assert problem["item_id"] == 424242
    assert problem["request_id"] == response.headers["x-request-id"]


async def test_id_beyond_the_key_range_is_refused_not_a_server_error(client: AsyncClient) -> None:
    response = await client.get(f"{ITEMS}/{2**64}")

    assert response.status_code == 422


async def test_list_pages_with_a_cursor(client: AsyncClient) -> None:
    ids = [(await create(client, name=f"item-{n}"))["id"] for n in range(5)]

    first = (await client.get(ITEMS, params={"limit": 2})).json()
    second = (await client.get(ITEMS, params={"limit": 2, "after": first["next_after"]})).json()
    last = (await client.get(ITEMS, params={"limit": 2, "after": second["next_after"]})).json()

    assert [item["id"] for item in first["items"]] == ids[:2]
    assert [item["id"] for item in second["items"]] == ids[2:4]
    assert [item["id"] for item in last["items"]] == ids[4:]
    assert last["next_after"] is None


async def test_list_refuses_a_page_size_over_the_maximum(client: AsyncClient) -> None:
    response = await client.get(ITEMS, params={"limit": 101})

    assert response.status_code == 422


async def test_patch_changes_only_the_fields_sent(client: AsyncClient) -> None:
    created = await create(client, description="keep me", quantity=1)

    response = await client.patch(f"{ITEMS}/{created['id']}", json={"quantity": 9})

    assert response.status_code == 200
    body = response.json()
    assert body["quantity"] == 9
    assert body["description"] == "keep me"
    assert body["updated_at"] >= created["updated_at"]


async def test_patch_refuses_null_for_a_required_field(client: AsyncClient) -> None:
    created = await create(client)

    response = await client.patch(f"{ITEMS}/{created['id']}", json={"name": None})

    assert response.status_code == 422


async def test_patch_to_a_taken_name_is_a_conflict(client: AsyncClient) -> None:
    await create(client, name="first")
    second = await create(client, name="second")

    response = await client.patch(f"{ITEMS}/{second['id']}", json={"name": "first"})

    assert response.status_code == 409


async def test_delete_removes_the_item(client: AsyncClient) -> None:
    created = await create(client)

    deleted = await client.delete(f"{ITEMS}/{created['id']}")
    again = await client.get(f"{ITEMS}/{created['id']}")

    assert deleted.status_code == 204
    assert again.status_code == 404


async def test_unknown_route_is_a_not_found_problem(client: AsyncClient) -> None:
    response = await client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON


async def test_error_responses_are_documented_as_problem_json(client: AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()

    responses = schema["paths"]["/api/v1/items/{item_id}"]["get"]["responses"]
    assert set(responses["404"]["content"]) == {PROBLEM_JSON}
    assert set(responses["422"]["content"]) == {PROBLEM_JSON}
