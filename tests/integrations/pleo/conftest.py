"""Fixtures for the Pleo client tests: the contract's examples and schemas, a `responses` mock that fails
on any unregistered or unused URL, and a client whose sleeps are recorded instead of waited."""
import importlib.util
import json

import pytest
import responses

from integrations.pleo.client import PleoClient, PleoCredentials
from tests.integrations.pleo.support import BASE_URL, CONTRACT_DIR, TOKEN

__all__ = []


def _load_validate_module():
    # The contract's own checker: reuse its strict schema pass (no undeclared properties, enums enforced).
    spec = importlib.util.spec_from_file_location("pleo_contract_validate", CONTRACT_DIR / "validate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def contract_validate():
    return _load_validate_module()


@pytest.fixture(scope="session")
def assert_matches_schema(contract_validate):
    """assert_matches_schema(instance, "SchemaName") or "[]SchemaName" for an array of it."""
    strict = contract_validate.strict_components(contract_validate.SPEC["components"])

    def check(instance, target):
        errors = contract_validate.check(instance, target, strict)
        assert not errors, [f"/{'/'.join(map(str, e.path))}: {e.message}" for e in errors]

    return check


@pytest.fixture(scope="session")
def example():
    def load(name: str):
        return json.loads((CONTRACT_DIR / "examples" / name).read_text())

    return load


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


class RecordedSleep:
    def __init__(self):
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps():
    return RecordedSleep()


@pytest.fixture
def make_client(sleeps):
    def make(**kwargs) -> PleoClient:
        credentials = PleoCredentials(
            base_url=kwargs.pop("base_url", BASE_URL),
            token=kwargs.pop("token", TOKEN),
            auth_scheme=kwargs.pop("auth_scheme", "bearer"),
        )
        kwargs.setdefault("sleep", sleeps)
        return PleoClient(credentials, **kwargs)

    return make


@pytest.fixture
def client(make_client):
    return make_client()


