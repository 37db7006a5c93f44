"""Reads of clients and connections, always scoped to what the user may see."""
from django.db.models import QuerySet

from integrations.errors import PortalError
from integrations.models import Client

__all__ = ["clients_for_user", "client_by_name_or_id"]


def clients_for_user(*, user) -> QuerySet[Client]:
    return Client.objects.for_user(user).select_related("odoo_connection", "pleo_connection")


def client_by_name_or_id(identifier: str) -> Client:
    """The client an operator names on the command line, by id or by name (case-insensitive)."""
    client = Client.objects.filter(pk=int(identifier)).first() if identifier.isdigit() else None
    client = client or Client.objects.filter(name__iexact=identifier).first()
    if client is None:
        raise PortalError(f"No client named or numbered “{identifier}”.")
    return client
