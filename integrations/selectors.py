"""Reads of clients and connections, always scoped to what the user may see."""
from django.db.models import QuerySet

from integrations.models import Client

__all__ = ["clients_for_user"]


def clients_for_user(*, user) -> QuerySet[Client]:
    return Client.objects.for_user(user).select_related("odoo_connection", "pleo_connection")
