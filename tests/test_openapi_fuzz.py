"""The OpenAPI document is valid, and the API keeps it: schemathesis generates requests from it
for every operation, as each role, and checks there is never a server error and every answer
conforms to the documented response schema. Examples per operation are bounded (FUZZ_EXAMPLES)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.factories import token_for

OPENAPI = "/api/openapi.json"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
# Operations that end the session under test (its token, or all of its user's).
SKIPPED = {("POST", "/api/v1/auth/logout")}


def test_the_openapi_document_is_valid(client):
    r = client.get(OPENAPI)
    assert r.status_code == 200
    validate(r.json)


ROLES = ["rep_a1", "manager_a", "clerk_a1", "hq", "admin"]


@pytest.mark.parametrize("role", ROLES)
def test_no_server_error_and_every_answer_as_documented(app, world, role):
    fuzz_every_operation(app, world, role, [not_a_server_error, response_schema_conformance])


def fuzz_every_operation(app, world, role: str, checks: list) -> None:
    schema = schemathesis.openapi.from_wsgi(OPENAPI, app)
    # identity: schemathesis's WSGI calls send requests' default Accept-Encoding (gzip, br, zstd)
    # but read the body as it comes, so a compressed answer would not parse (tests/test_compression.py
    # covers compression).
    headers = {"Authorization": f"Bearer {token_for(world.users[role])}", "Accept-Encoding": "identity"}
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED or "password" in operation.path:
            continue

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def fuzz(case):
            case.call_and_validate(headers=headers, checks=checks)

        try:
            fuzz()
        except Exception as exc:  # collect them all: one run shows every operation at fault
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)
