"""The items API over HTTP: contract, errors and pagination, against the real database."""

from typing import Any

from django.test import Client

ITEMS = "/api/v1/items"
PROBLEM_JSON = "application/problem+json"


def create(client: Client, **fields: Any) -> dict[str, Any]:
    response = client.post(ITEMS, {"name": "widget", **fields}, content_type="application/json")
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def test_create_returns_the_item_and_its_location(client: Client) -> None:
    response = client.post(
        ITEMS, {"name": "  widget  ", "description": "blue", "quantity": 3}, content_type="application/json"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "widget"
    assert body["description"] == "blue"
    assert body["quantity"] == 3
    assert body["created_at"].endswith(("Z", "+00:00"))
    assert response.headers["location"].endswith(f"{ITEMS}/{body['id']}")


def test_created_item_can_be_read_back(client: Client) -> None:
    created = create(client, quantity=7)

    response = client.get(f"{ITEMS}/{created['id']}")

    assert response.status_code == 200
    assert response.json() == created


def test_duplicate_name_is_a_conflict_problem(client: Client) -> None:
    create(client)

    response = client.post(ITEMS, {"name": "widget"}, content_type="application/json")

    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["code"] == "item_name_taken"
    assert problem["status"] == 409
    assert problem["instance"] == ITEMS


def test_invalid_input_is_a_validation_problem(client: Client) -> None:
    response = client.post(
        ITEMS, {"name": "", "quantity": -1, "colour": "red"}, content_type="application/json"
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["code"] == "validation_error"
    failed = {tuple(error["loc"]) for error in problem["errors"]}
    assert failed == {("body", "name"), ("body", "quantity"), ("body", "colour")}
    assert "input" not in problem["errors"][0]


def test_text_the_database_cannot_store_is_refused(client: Client) -> None:
    response = client.post(ITEMS, {"name": "nul\u0000byte"}, content_type="application/json")

    assert response.status_code == 422


def test_quantity_must_be_a_json_integer(client: Client) -> None:
    refused = [
        client.post(ITEMS, {"name": f"n{n}", "quantity": value}, content_type="application/json")
        for n, value in enumerate([True, "3", 3.5])
    ]
    accepted = client.post(ITEMS, {"name": "whole", "quantity": 3.0}, content_type="application/json")

    assert [response.status_code for response in refused] == [422, 422, 422]
    assert accepted.status_code == 201
    assert accepted.json()["quantity"] == 3


def test_patch_schema_allows_omitting_but_not_null(client: Client) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]["ItemUpdate"]

    assert schema["properties"]["name"]["type"] == "string"
    assert schema["properties"]["quantity"]["type"] == "integer"
    assert "null" in str(schema["properties"]["description"])


def test_malformed_json_is_a_validation_problem(client: Client) -> None:
    response = client.post(ITEMS, b"{not json", content_type="application/json")

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["errors"] == [
        {"loc": ["body"], "msg": "JSON decode error", "type": "json_invalid"}
    ]


def test_missing_body_is_a_validation_problem(client: Client) -> None:
    response = client.post(ITEMS, content_type="application/json")

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON


def test_missing_item_is_a_not_found_problem(client: Client) -> None:
    response = client.get(f"{ITEMS}/424242")

    assert response.status_code == 404
    problem = response.json()
    assert problem["code"] == "item_not_found"
    assert problem["item_id"] == 424242
    assert problem["request_id"] == response.headers["x-request-id"]


def test_id_beyond_the_key_range_is_refused_not_a_server_error(client: Client) -> None:
    response = client.get(f"{ITEMS}/{2**64}")

    assert response.status_code == 422


def test_list_pages_with_a_cursor(client: Client) -> None:
    ids = [create(client, name=f"item-{n}")["id"] for n in range(5)]

    first = client.get(ITEMS, {"limit": 2}).json()
    second = client.get(ITEMS, {"limit": 2, "after": first["next_after"]}).json()
    last = client.get(ITEMS, {"limit": 2, "after": second["next_after"]}).json()

    assert [item["id"] for item in first["items"]] == ids[:2]
    assert [item["id"] for item in second["items"]] == ids[2:4]
    assert [item["id"] for item in last["items"]] == ids[4:]
    assert last["next_after"] is None


def test_list_refuses_a_page_size_over_the_maximum(client: Client) -> None:
    response = client.get(ITEMS, {"limit": 101})

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["errors"]] == [["query", "limit"]]


def test_patch_changes_only_the_fields_sent(client: Client) -> None:
    created = create(client, description="keep me", quantity=1)

    response = client.patch(f"{ITEMS}/{created['id']}", {"quantity": 9}, content_type="application/json")

    assert response.status_code == 200
    body = response.json()
    assert body["quantity"] == 9
    assert body["description"] == "keep me"
    assert body["updated_at"] >= created["updated_at"]


def test_patch_can_clear_the_description(client: Client) -> None:
    created = create(client, description="remove me")

    response = client.patch(
        f"{ITEMS}/{created['id']}", {"description": None}, content_type="application/json"
    )

    assert response.status_code == 200
    assert response.json()["description"] is None


def test_patch_refuses_null_for_a_required_field(client: Client) -> None:
    created = create(client)

    response = client.patch(f"{ITEMS}/{created['id']}", {"name": None}, content_type="application/json")

    assert response.status_code == 422


def test_patch_to_a_taken_name_is_a_conflict(client: Client) -> None:
    create(client, name="first")
    second = create(client, name="second")

    response = client.patch(f"{ITEMS}/{second['id']}", {"name": "first"}, content_type="application/json")

    assert response.status_code == 409


def test_delete_removes_the_item(client: Client) -> None:
    created = create(client)

    deleted = client.delete(f"{ITEMS}/{created['id']}")
    again = client.get(f"{ITEMS}/{created['id']}")

    assert deleted.status_code == 204
    assert again.status_code == 404


def test_unknown_route_is_a_not_found_problem(client: Client) -> None:
    response = client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON


def test_error_responses_are_documented_as_problem_json(client: Client) -> None:
    schema = client.get("/openapi.json").json()

    responses = schema["paths"]["/api/v1/items/{item_id}"]["get"]["responses"]
    assert set(responses["404"]["content"]) == {PROBLEM_JSON}
    assert set(responses["422"]["content"]) == {PROBLEM_JSON}
    assert set(responses["200"]["content"]) == {"application/json"}
