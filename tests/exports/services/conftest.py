"""Fixtures of the export services' fault tests: the clients' back-off waits, recorded instead of slept."""
import pytest


@pytest.fixture
def sleeps(monkeypatch):
    """The back-off waits of the portal's Odoo and Pleo clients, recorded instead of slept."""
    from integrations import selectors

    waited = []
    for name in ("odoo_client_for", "pleo_client_for"):
        make = getattr(selectors, name)

        def recording(connection, *args, _make=make, **kwargs):
            api = _make(connection, *args, **kwargs)
            api.sleep = waited.append
            return api
        monkeypatch.setattr(selectors, name, recording)
    return waited
