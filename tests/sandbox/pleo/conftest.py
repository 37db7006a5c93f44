"""Fixtures for the Pleo sandbox tests: a seeded company with a token, and a contract-checking caller."""
import json
from pathlib import Path

import pytest

from sandbox.pleo.contract import response_schema_name, schema_errors
from sandbox.pleo.services import sandbox_company_create

REPO_ROOT = Path(__file__).resolve().parents[3]
SHARED_PLEO = REPO_ROOT.parent / "shared" / "pleo-api"
BASE = "/sandbox/pleo"


class PleoCaller:
    """Calls the sandbox in-process and checks every answer against the contract's schema for it."""

    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token
        self.seen: set[tuple[str, str, int]] = set()

    def __call__(self, method: str, spec_path: str, url: str, *, body=None, token="default", expect=None,
                 headers=None):
        token = self.token if token == "default" else token
        extra = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        extra.update(headers or {})
        kwargs = {}
        if body is not None:
            kwargs = {"data": json.dumps(body), "content_type": "application/json;charset=UTF-8"}
        response = getattr(self.client, method.lower())(BASE + url, **kwargs, **extra)
        if expect is not None:
            assert response.status_code == expect, response.content[:500]
        self.check(method, spec_path, response)
        return response

    def check(self, method: str, spec_path: str, response) -> None:
        status = response.status_code
        self.seen.add((method.upper(), spec_path, status))
        schema = response_schema_name(spec_path, method, status)
        if schema is None:
            assert response.content == b"", f"{method} {spec_path} {status} must have no body"
            return
        payload = json.loads(response.content)
        problems = schema_errors(payload, schema, strict=True)
        assert not problems, f"{method} {spec_path} {status} vs {schema}: {problems[:5]}"


@pytest.fixture
def company_and_token(db):
    return sandbox_company_create(name="Sandbox Company A/S", currency="DKK", token="token-company-a")


@pytest.fixture
def company(company_and_token):
    return company_and_token[0]


@pytest.fixture
def pleo(client, company_and_token):
    return PleoCaller(client, company_and_token[1])
