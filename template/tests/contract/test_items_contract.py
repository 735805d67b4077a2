"""The items API's contract: what a client may rely on, whichever framework serves it.

Every test talks real HTTP to the production entry point (`server` in tests/conftest.py)
on the real database, so it checks what a deployed client sees: status codes,
problem+json bodies (RFC 9457), headers, pagination, strict JSON types and null
handling. This file is the same in every project the template renders; a change to
the API's behaviour is made here first, and the service follows.
"""

import json
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.servers import RunningServer, Serve
from tests.service import RACING_WRITES_INTERLEAVE

ITEMS = "/api/v1/items"
# One item's path as the OpenAPI schema names it.
ITEM_PATH = "/api/v1/items/{item_id}"
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
# The members every problem has: RFC 9457's five, the machine-readable code, the request id.
PROBLEM_MEMBERS = {"type", "title", "status", "detail", "instance", "code", "request_id"}
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
MAX_QUANTITY = 2**31 - 1
CONCURRENT_DELETES = 16
# Races of concurrent creates of one name, run until one create reaches the unique key.
RACES = 20
# MAX_BODY_BYTES's default (core/environment.py).
MAX_BODY_BYTES = 1_048_576
# Short for the test; BODY_TIMEOUT_SECONDS is 30 by default.
BODY_TIMEOUT_SECONDS = 1.0


@pytest.fixture
def api(server: RunningServer, empty_tables: None) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def create(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = api.post(ITEMS, json={"name": "widget", **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response's problem details, once checked for what every problem carries."""
    assert response.status_code == status, response.text
    assert media_type(response) == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_MEMBERS, body
    assert body["type"] == "about:blank"
    assert body["status"] == status
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["instance"] == response.request.url.path
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def failed_fields(body: dict[str, Any]) -> list[list[str | int]]:
    """Where a validation problem says the request went wrong (never what was sent)."""
    assert body["code"] == "validation_error"
    assert all(error.keys() == {"loc", "msg", "type"} for error in body["errors"]), body["errors"]
    return [error["loc"] for error in body["errors"]]


# Create and read


def test_create_returns_the_item_and_its_location(api: httpx.Client) -> None:
    response = api.post(ITEMS, json={"name": "  widget  ", "description": "blue", "quantity": 3})

    assert response.status_code == 201
    assert media_type(response) == JSON
    body = response.json()
    assert body.keys() == {"id", "name", "description", "quantity", "created_at", "updated_at"}
    assert body["name"] == "widget"
    assert body["description"] == "blue"
    assert body["quantity"] == 3
    assert body["created_at"].endswith(("Z", "+00:00"))
    location = httpx.URL(response.headers["location"])
    assert location.path == f"{ITEMS}/{body['id']}"
    assert api.get(location.path).json() == body


def test_create_defaults_the_optional_fields(api: httpx.Client) -> None:
    body = create(api, name="bare")

    assert body["description"] is None
    assert body["quantity"] == 0


def test_created_item_can_be_read_back(api: httpx.Client) -> None:
    created = create(api, quantity=7)

    response = api.get(f"{ITEMS}/{created['id']}")

    assert response.status_code == 200
    assert media_type(response) == JSON
    assert response.json() == created


def test_duplicate_name_is_a_conflict_problem(api: httpx.Client) -> None:
    create(api)

    response = api.post(ITEMS, json={"name": "widget"})

    body = problem(response, 409)
    assert body["code"] == "item_name_taken"
    assert body["instance"] == ITEMS


def test_missing_item_is_a_not_found_problem(api: httpx.Client) -> None:
    response = api.get(f"{ITEMS}/424242")

    body = problem(response, 404)
    assert body["code"] == "item_not_found"
    assert body["item_id"] == 424242


def test_id_beyond_the_key_range_is_refused_not_a_server_error(api: httpx.Client) -> None:
    response = api.get(f"{ITEMS}/{2**64}")

    assert failed_fields(problem(response, 422)) == [["path", "item_id"]]


@pytest.mark.parametrize("item_id", ["0", "-1", "abc", "1.5"])
def test_an_id_that_cannot_be_a_key_is_refused(api: httpx.Client, item_id: str) -> None:
    response = api.get(f"{ITEMS}/{item_id}")

    assert failed_fields(problem(response, 422)) == [["path", "item_id"]]


# Validation: strict JSON types, unknown fields, text the database cannot store


def test_invalid_input_is_a_validation_problem(api: httpx.Client) -> None:
    response = api.post(ITEMS, json={"name": "", "quantity": -1, "colour": "red"})

    failed = failed_fields(problem(response, 422))
    assert sorted(map(tuple, failed)) == [("body", "colour"), ("body", "name"), ("body", "quantity")]


@pytest.mark.parametrize(
    "quantity",
    [True, "3", 3.5, None, MAX_QUANTITY + 1],
    ids=["true", "string", "fraction", "null", "too-big"],
)
def test_quantity_must_be_a_json_integer(api: httpx.Client, quantity: object) -> None:
    response = api.post(ITEMS, json={"name": "refused", "quantity": quantity})

    assert failed_fields(problem(response, 422)) == [["body", "quantity"]]
    assert api.get(ITEMS).json()["items"] == []


def test_a_whole_number_written_with_a_fraction_is_an_integer(api: httpx.Client) -> None:
    # JSON Schema's "integer" is a number with no fractional part: 3.0 is one.
    assert create(api, quantity=3.0)["quantity"] == 3
    assert create(api, name="largest", quantity=MAX_QUANTITY)["quantity"] == MAX_QUANTITY


@pytest.mark.parametrize(
    "name", [123, True, ["widget"], "x" * 201, "   "], ids=["number", "true", "array", "too-long", "blank"]
)
def test_name_must_be_text_of_one_to_200_characters(api: httpx.Client, name: object) -> None:
    response = api.post(ITEMS, json={"name": name})

    assert failed_fields(problem(response, 422)) == [["body", "name"]]


def test_text_the_database_cannot_store_is_refused(api: httpx.Client) -> None:
    response = api.post(ITEMS, json={"name": "nul\u0000byte"})

    assert failed_fields(problem(response, 422)) == [["body", "name"]]


@pytest.mark.parametrize(
    "content", [b"{not json", b'{"name": "cut', b"\xff\xfe"], ids=["malformed", "truncated", "not-utf-8"]
)
def test_malformed_json_is_a_validation_problem(api: httpx.Client, content: bytes) -> None:
    response = api.post(ITEMS, content=content, headers={"content-type": JSON})

    body = problem(response, 422)
    assert failed_fields(body) == [["body"]]
    assert body["errors"][0]["type"] == "json_invalid"


@pytest.mark.parametrize("document", [[], "widget", 3, None], ids=["array", "string", "number", "null"])
def test_a_body_that_is_not_an_object_is_a_validation_problem(api: httpx.Client, document: object) -> None:
    response = api.post(ITEMS, json=document)

    assert failed_fields(problem(response, 422)) == [["body"]]


def test_missing_body_is_a_validation_problem(api: httpx.Client) -> None:
    response = api.post(ITEMS, headers={"content-type": JSON})

    body = problem(response, 422)
    assert failed_fields(body) == [["body"]]
    assert body["errors"][0]["type"] == "missing"


# Pagination: `limit` and an `after` cursor, oldest first


def test_list_pages_with_a_cursor(api: httpx.Client) -> None:
    ids = [create(api, name=f"item-{n}")["id"] for n in range(5)]

    first = api.get(ITEMS, params={"limit": 2}).json()
    second = api.get(ITEMS, params={"limit": 2, "after": first["next_after"]}).json()
    last = api.get(ITEMS, params={"limit": 2, "after": second["next_after"]}).json()

    assert [item["id"] for item in first["items"]] == ids[:2]
    assert [item["id"] for item in second["items"]] == ids[2:4]
    assert [item["id"] for item in last["items"]] == ids[4:]
    assert last["next_after"] is None


def test_list_of_nothing_is_an_empty_last_page(api: httpx.Client) -> None:
    response = api.get(ITEMS)

    assert response.status_code == 200
    assert media_type(response) == JSON
    assert response.json() == {"items": [], "next_after": None}


def test_list_default_page_size(api: httpx.Client) -> None:
    for n in range(DEFAULT_PAGE_SIZE + 1):
        create(api, name=f"item-{n}")

    page = api.get(ITEMS).json()

    assert len(page["items"]) == DEFAULT_PAGE_SIZE
    assert page["next_after"] == page["items"][-1]["id"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"after": -1}, "after"),
        ({"after": "abc"}, "after"),
        ({"after": 2**64}, "after"),
    ],
    ids=["zero", "not-a-number", "negative-cursor", "text-cursor", "cursor-beyond-keys"],
)
def test_list_refuses_page_parameters_out_of_range(
    api: httpx.Client, params: dict[str, str | int], field: str
) -> None:
    response = api.get(ITEMS, params=params)

    assert failed_fields(problem(response, 422)) == [["query", field]]


def test_list_refuses_a_page_size_over_the_maximum(api: httpx.Client) -> None:
    response = api.get(ITEMS, params={"limit": MAX_PAGE_SIZE + 1})

    assert failed_fields(problem(response, 422)) == [["query", "limit"]]


# Partial update: omitted keeps, null clears only what may be null


def test_patch_changes_only_the_fields_sent(api: httpx.Client) -> None:
    created = create(api, description="keep me", quantity=1)

    response = api.patch(f"{ITEMS}/{created['id']}", json={"quantity": 9})

    assert response.status_code == 200
    assert media_type(response) == JSON
    body = response.json()
    assert body["quantity"] == 9
    assert body["description"] == "keep me"
    assert body["name"] == created["name"]
    assert body["updated_at"] >= created["updated_at"]


def test_patch_can_clear_the_description(api: httpx.Client) -> None:
    created = create(api, description="remove me")

    response = api.patch(f"{ITEMS}/{created['id']}", json={"description": None})

    assert response.status_code == 200
    assert response.json()["description"] is None


@pytest.mark.parametrize("field", ["name", "quantity"])
def test_patch_refuses_null_for_a_required_field(api: httpx.Client, field: str) -> None:
    created = create(api)

    response = api.patch(f"{ITEMS}/{created['id']}", json={field: None})

    assert failed_fields(problem(response, 422)) == [["body", field]]
    assert api.get(f"{ITEMS}/{created['id']}").json() == created


@pytest.mark.parametrize("quantity", [True, "3", 3.5], ids=["true", "string", "fraction"])
def test_patch_quantity_must_be_a_json_integer(api: httpx.Client, quantity: object) -> None:
    created = create(api)

    response = api.patch(f"{ITEMS}/{created['id']}", json={"quantity": quantity})

    assert failed_fields(problem(response, 422)) == [["body", "quantity"]]


def test_patch_refuses_unknown_fields(api: httpx.Client) -> None:
    created = create(api)

    response = api.patch(f"{ITEMS}/{created['id']}", json={"colour": "red"})

    assert failed_fields(problem(response, 422)) == [["body", "colour"]]


def test_patch_to_a_taken_name_is_a_conflict(api: httpx.Client) -> None:
    create(api, name="first")
    second = create(api, name="second")

    response = api.patch(f"{ITEMS}/{second['id']}", json={"name": "first"})

    assert problem(response, 409)["code"] == "item_name_taken"


def test_patch_of_a_missing_item_is_a_not_found_problem(api: httpx.Client) -> None:
    response = api.patch(f"{ITEMS}/424242", json={"quantity": 1})

    assert problem(response, 404)["code"] == "item_not_found"


# Delete


def test_delete_removes_the_item(api: httpx.Client) -> None:
    created = create(api)

    deleted = api.delete(f"{ITEMS}/{created['id']}")
    again = api.get(f"{ITEMS}/{created['id']}")

    assert deleted.status_code == 204
    assert deleted.content == b""
    problem(again, 404)


def test_delete_of_a_missing_item_is_a_not_found_problem(api: httpx.Client) -> None:
    response = api.delete(f"{ITEMS}/424242")

    assert problem(response, 404)["code"] == "item_not_found"


def test_concurrent_deletes_of_one_item_remove_it_once(server: RunningServer, api: httpx.Client) -> None:
    created = create(api)
    start = threading.Barrier(CONCURRENT_DELETES)

    def delete() -> int:
        with server.client() as client:  # a connection of its own, as separate clients have
            client.get(f"{ITEMS}/{created['id']}")  # connected before the race starts
            start.wait()
            return client.delete(f"{ITEMS}/{created['id']}").status_code

    with ThreadPoolExecutor(CONCURRENT_DELETES) as pool:
        statuses = sorted(pool.map(lambda _: delete(), range(CONCURRENT_DELETES)))

    # Exactly one request removed the row; the others found nothing to remove.
    assert statuses == [204] + [404] * (CONCURRENT_DELETES - 1)


def race_to_create(server: RunningServer, name: str) -> list[str]:
    """Create `name` from many clients at once: the codes of their answers, sorted."""
    start = threading.Barrier(CONCURRENT_DELETES)

    def create_it() -> str:
        with server.client() as client:
            start.wait()
            response = client.post(ITEMS, json={"name": name})
            return "created" if response.status_code == 201 else str(response.json()["code"])

    with ThreadPoolExecutor(CONCURRENT_DELETES) as pool:
        return sorted(pool.map(lambda _: create_it(), range(CONCURRENT_DELETES)))


def test_what_a_client_sends_never_reaches_the_log(server: RunningServer, api: httpx.Client) -> None:
    # Through every path a value can take to a log line: a write the database refuses (a
    # create that loses the race reaches the unique key, whose error message quotes the
    # value; the race is run until that happens, where writes interleave), a validation
    # error (which carries the input), malformed JSON, a refused media type.
    marker = f"marker-{time.monotonic_ns()}"
    refused_by_the_database = False
    for attempt in range(RACES if RACING_WRITES_INTERLEAVE else 1):
        codes = race_to_create(server, f"{marker}-{attempt}")
        assert codes.count("created") == 1, codes
        refused_by_the_database = "conflict" in codes  # not the service's own check
        if refused_by_the_database:
            break
    unterminated = json.dumps({"name": marker})[:-1]
    others = [
        api.post(ITEMS, json={"name": "widget", "quantity": marker}).status_code,
        api.post(ITEMS, content=unterminated, headers={"content-type": JSON}).status_code,
        api.post(ITEMS, content=marker.encode(), headers={"content-type": "text/plain"}).status_code,
    ]

    assert refused_by_the_database or not RACING_WRITES_INTERLEAVE, f"no create reached it in {RACES} races"
    assert others == [422, 422, 415]
    assert marker not in server.output()


# Request limits: checked before the framework reads the body (core/limits.py)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_not_declared_as_json_is_unsupported(api: httpx.Client, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}

    response = api.post(ITEMS, content=b'{"name": "sent as text"}', headers=headers)

    assert problem(response, 415)["code"] == "unsupported_media_type"
    assert api.get(ITEMS).json()["items"] == []


def test_a_change_not_declared_as_json_is_unsupported(api: httpx.Client) -> None:
    created = create(api)

    response = api.patch(
        f"{ITEMS}/{created['id']}", content=b'{"name": "renamed"}', headers={"content-type": "text/plain"}
    )

    assert problem(response, 415)["code"] == "unsupported_media_type"
    assert api.get(f"{ITEMS}/{created['id']}").json()["name"] == created["name"]


def test_json_with_a_charset_parameter_is_json(api: httpx.Client) -> None:
    content_type = "application/json; charset=utf-8"

    response = api.post(ITEMS, content=b'{"name": "with charset"}', headers={"content-type": content_type})

    assert response.status_code == 201, response.text


def _exchange(
    server: RunningServer, head: dict[str, str], body: Iterable[bytes]
) -> tuple[int, dict[str, Any]]:
    """POST to the items over a raw socket: the body is sent only as far as `body` goes."""
    address = urlsplit(server.base_url)
    lines = [f"POST {ITEMS} HTTP/1.1", f"Host: {address.netloc}", *(f"{k}: {v}" for k, v in head.items())]
    lines += [f"{name}: {value}" for name, value in server.headers.items()]
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        for part in body:
            connection.sendall(part)
        answer = b""
        while chunk := connection.recv(65536):  # the service closes the connection after a refusal
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    document: dict[str, Any] = json.loads(rest.partition(b"\r\n\r\n")[2])
    return int(status_line.split()[1]), document


def test_a_body_declared_too_large_is_refused_before_it_is_sent(
    server: RunningServer, api: httpx.Client
) -> None:
    head = {"Content-Type": JSON, "Content-Length": str(MAX_BODY_BYTES + 1)}

    status, body = _exchange(server, head, body=[])  # nothing of the body is sent

    assert status == 413
    assert body["code"] == "content_too_large"
    assert api.get(ITEMS).json()["items"] == []


def test_a_streamed_body_is_refused_once_it_crosses_the_limit(
    server: RunningServer, api: httpx.Client
) -> None:
    chunk = b"x" * 65536
    chunks = [b"%x\r\n%s\r\n" % (len(chunk), chunk)] * (MAX_BODY_BYTES // len(chunk))
    head = {"Content-Type": JSON, "Transfer-Encoding": "chunked"}

    # One byte over the limit, and never the chunk that would end the body.
    status, body = _exchange(server, head, body=[*chunks, b"1\r\nx\r\n"])

    assert status == 413
    assert body["code"] == "content_too_large"
    assert api.get(ITEMS).json()["items"] == []


def test_a_body_that_stops_arriving_is_a_timeout(serve: Serve, served_database_url: str) -> None:
    head = {"Content-Type": JSON, "Content-Length": "100"}
    with serve(served_database_url, BODY_TIMEOUT_SECONDS=str(BODY_TIMEOUT_SECONDS)) as server:
        started = time.monotonic()
        status, body = _exchange(server, head, body=[b'{"name": "slow'])  # and then nothing
        waited = time.monotonic() - started

    assert status == 408
    assert body["code"] == "request_timeout"
    assert BODY_TIMEOUT_SECONDS <= waited < BODY_TIMEOUT_SECONDS + 5  # bounded, not held open


# Routes and methods


def test_unknown_route_is_a_not_found_problem(api: httpx.Client) -> None:
    response = api.get("/api/v1/nothing-here")

    assert problem(response, 404)["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", f"{ITEMS}/1", {"GET", "PATCH", "DELETE"}),
        ("DELETE", ITEMS, {"GET", "POST"}),
    ],
    ids=["put-an-item", "delete-the-collection"],
)
def test_wrong_method_is_a_method_not_allowed_problem(
    api: httpx.Client, method: str, path: str, allowed: set[str]
) -> None:
    response = api.request(method, path, json={"name": "widget"})

    assert problem(response, 405)["code"] == "method_not_allowed"
    assert {name.strip() for name in response.headers["allow"].split(",")} >= allowed


# Request ids


def test_a_well_formed_request_id_is_echoed(api: httpx.Client) -> None:
    response = api.get(ITEMS, headers={"X-Request-ID": "contract-1.2_3"})

    assert response.headers["x-request-id"] == "contract-1.2_3"


@pytest.mark.parametrize(
    "request_id",
    [None, "", "x" * 129, "has space", 'quote"d'],
    ids=["absent", "empty", "too-long", "space", "quote"],
)
def test_a_missing_or_malformed_request_id_is_replaced(api: httpx.Client, request_id: str | None) -> None:
    headers = {} if request_id is None else {"X-Request-ID": request_id}

    first = api.get(f"{ITEMS}/424242", headers=headers)
    second = api.get(f"{ITEMS}/424242", headers=headers)

    assert first.headers["x-request-id"] not in {"", request_id}
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    assert problem(first, 404)["request_id"] == first.headers["x-request-id"]


# What the OpenAPI schema promises


@pytest.fixture
def openapi(api: httpx.Client) -> dict[str, Any]:
    response = api.get("/openapi.json")
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    return schema


def _body_schema(openapi: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    reference = openapi["paths"][path][method]["requestBody"]["content"][JSON]["schema"]["$ref"]
    schema: dict[str, Any] = openapi["components"]["schemas"][reference.rsplit("/", 1)[1]]
    return schema


def test_error_responses_are_documented_as_problem_json(openapi: dict[str, Any]) -> None:
    responses = openapi["paths"][ITEM_PATH]["get"]["responses"]

    assert set(responses["404"]["content"]) == {PROBLEM_JSON}
    assert set(responses["422"]["content"]) == {PROBLEM_JSON}
    assert set(responses["200"]["content"]) == {JSON}


def test_quantity_is_documented_as_a_bounded_integer(openapi: dict[str, Any]) -> None:
    for path, method in [(ITEMS, "post"), (ITEM_PATH, "patch")]:
        quantity = _body_schema(openapi, path, method)["properties"]["quantity"]

        assert quantity["type"] == "integer"
        assert quantity["minimum"] == 0
        assert quantity["maximum"] == MAX_QUANTITY
        assert "anyOf" not in quantity


def test_patch_schema_allows_omitting_but_not_null(openapi: dict[str, Any]) -> None:
    schema = _body_schema(openapi, ITEM_PATH, "patch")
    properties = schema["properties"]

    assert not schema.get("required")
    assert schema["additionalProperties"] is False
    for field in ("name", "quantity"):
        assert "anyOf" not in properties[field]
        assert "default" not in properties[field]
    assert properties["name"]["type"] == "string"
    assert properties["quantity"]["type"] == "integer"
    assert {"type": "null"} in properties["description"]["anyOf"]


def test_create_schema_requires_a_name(openapi: dict[str, Any]) -> None:
    schema = _body_schema(openapi, ITEMS, "post")

    assert schema["required"] == ["name"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["name"]["minLength"] == 1
