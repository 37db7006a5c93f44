"""Doubles for the Odoo client tests: a strict `responses` mock and a sleep that records its waits."""
from pathlib import Path

import pytest
import responses

from integrations.odoo.client import OdooClient, OdooCredentials

__all__ = ["ODOO_URL", "ENDPOINT", "API_KEY", "CONTRACT_DIR", "make_client"]

# The shared contract sits beside the repository (/work/shared here, shared/ beside CI's clone).
CONTRACT_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "odoo-contract"
ODOO_URL = "https://acme.odoo.example"
ENDPOINT = f"{ODOO_URL}/jsonrpc"
# Distinctive enough that finding it in any message, repr or log line can only be a leak.
API_KEY = "s3cr3t-4p1-k3y-0f-th3-1nt3gr4t10n-us3r"


class RecordingSleep:
    def __init__(self):
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def make_client(sleep=None, **kwargs) -> OdooClient:
    credentials = OdooCredentials(url=ODOO_URL + "/", database="pleo17", login="pleo@example.com", api_key=API_KEY)
    kwargs.setdefault("uid", 6)
    return OdooClient(credentials, sleep=sleep or RecordingSleep(), **kwargs)


@pytest.fixture
def rsps():
    """Every registered answer must be used, and any request nobody registered fails."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def sleep():
    return RecordingSleep()
