"""The OpenAPI schema and the docs page, served by the service itself."""

from django.test import Client


def test_openapi_schema_lists_the_versioned_api_and_the_probes(client: Client) -> None:
    schema = client.get("/openapi.json").json()

    assert "/api/v1/items" in schema["paths"]
    assert "/health/ready" in schema["paths"]
    assert "ProblemDetails" in schema["components"]["schemas"]


def test_readiness_503_is_documented_as_plain_json(client: Client) -> None:
    schema = client.get("/openapi.json").json()

    assert set(schema["paths"]["/health/ready"]["get"]["responses"]["503"]["content"]) == {"application/json"}


def test_docs_page_loads_its_assets_from_the_service(client: Client) -> None:
    page = client.get("/docs").content.decode()
    script = client.get("/static/ninja/swagger-ui-bundle.js")
    script.close()

    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert "https://" not in page
    assert script.status_code == 200
