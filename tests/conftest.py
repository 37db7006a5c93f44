"""Shared fixtures: users, clients, connections, and the sandboxes that stand in for Pleo and Odoo."""
import pytest

from tests.factories import (
    ClientFactory,
    OdooConnectionFactory,
    PleoConnectionFactory,
    UserFactory,
)


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip = pytest.mark.skip(reason="needs PostgreSQL (the suite's second run, make test-postgres)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip)


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_superuser=True)


@pytest.fixture
def staff_user(db):
    """A staff member with the model permissions of the portal, assigned to no client yet."""
    from django.contrib.auth.models import Permission

    user = UserFactory(username="bookkeeper")
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["integrations", "mappings", "exports"])
    )
    return user


@pytest.fixture
def client_company(db):
    return ClientFactory(name="Client A BV")


@pytest.fixture
def odoo_connection(client_company):
    return OdooConnectionFactory(client=client_company)


@pytest.fixture
def pleo_connection(client_company):
    return PleoConnectionFactory(client=client_company)
