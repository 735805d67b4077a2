"""API fuzzing from the service's own OpenAPI schema, over real HTTP, against the real database.

Schemathesis generates requests for every operation from the schema; every
response must be documented, conform to its schema and never be a server error.
The server is the production entry point (`server` in tests/conftest.py), sent
what a deployed client sends; it writes to the test database for real (another
process), so each operation's test empties the tables afterwards.
"""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.servers import RunningServer
from tests.service import openapi_schema

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 50

Operation = schemathesis.APIOperation[Any, Any, Any, Any]


def _operations() -> list[Operation]:
    """Every operation of the schema the service publishes at /openapi.json."""
    schema = schemathesis.openapi.from_dict(openapi_schema())
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            raise result.err()
        operations.append(result.ok())
    return operations


OPERATIONS = _operations()


@pytest.mark.parametrize("operation", OPERATIONS, ids=[operation.label for operation in OPERATIONS])
@pytest.mark.usefixtures("empty_tables")
def test_operation_honours_its_schema(operation: Operation, server: RunningServer) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
    def call(case: schemathesis.Case[Operation]) -> None:
        case.call_and_validate(base_url=server.base_url, headers=dict(server.headers), checks=CHECKS)

    call()
