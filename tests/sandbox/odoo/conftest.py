"""Fixtures for the Odoo sandbox tests: seeded 16-19 databases pinned to the recording day."""
__all__ = []

import datetime
import json

import pytest

from sandbox.odoo.services import emulated_database_create

RECORDING_DAY = datetime.date(2026, 11, 28)  # the recording machine's date: where locked entries landed
# 18 and 19 were recorded on 2026-12-01: the entry posted into the locked October landed on 2026-11-30 (v18/72).
RECORDING_DAYS = {16: RECORDING_DAY, 17: RECORDING_DAY, 18: datetime.date(2026, 12, 1), 19: datetime.date(2026, 12, 1)}


@pytest.fixture
def odoo17(db):
    return emulated_database_create(name="pleo17", version=17, today=RECORDING_DAY)


@pytest.fixture
def odoo16(db):
    return emulated_database_create(name="pleo16", version=16, today=RECORDING_DAY)


@pytest.fixture
def odoo18(db):
    return emulated_database_create(name="pleo18", version=18, today=RECORDING_DAYS[18])


@pytest.fixture
def odoo19(db):
    return emulated_database_create(name="pleo19", version=19, today=RECORDING_DAYS[19])


@pytest.fixture(params=[16, 17], ids=["odoo16", "odoo17"])
def odoo(request, db):
    return emulated_database_create(name=f"pleo{request.param}", version=request.param, today=RECORDING_DAY)


@pytest.fixture
def rpc(client):
    """POSTs one JSON-RPC call to the emulator and returns the decoded body."""

    def call(service, method, *args, rpc_id=1):
        body = {"jsonrpc": "2.0", "method": "call",
                "params": {"service": service, "method": method, "args": list(args)}, "id": rpc_id}
        response = client.post("/sandbox/odoo/jsonrpc", data=json.dumps(body), content_type="application/json")
        assert response.status_code == 200
        return response.json()

    return call
