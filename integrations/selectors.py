"""Reads of clients and connections, always scoped to what the user may see; a connection's Odoo and Pleo
clients and the client company's Odoo books, for the apps above."""
from django.conf import settings
from django.db.models import QuerySet

from integrations import transport
from integrations.errors import PortalError
from integrations.models import Client, OdooConnection, PleoConnection
from integrations.odoo.books import OdooBooks
from integrations.odoo.client import OdooClient, OdooCredentials
from integrations.pleo.client import PleoClient, PleoCredentials

__all__ = ["clients_for_user", "client_by_name_or_id", "odoo_client_for", "pleo_client_for", "odoo_books_for",
           "odoo_company_books_get", "pleo_company_client_get"]


def clients_for_user(*, user) -> QuerySet[Client]:
    return Client.objects.for_user(user).select_related("odoo_connection", "pleo_connection")


def client_by_name_or_id(identifier: str) -> Client:
    """The client an operator names on the command line, by id or by name (case-insensitive)."""
    client = Client.objects.filter(pk=int(identifier)).first() if identifier.isdigit() else None
    client = client or Client.objects.filter(name__iexact=identifier).first()
    if client is None:
        raise PortalError(f"No client named or numbered “{identifier}”.")
    return client


def odoo_client_for(connection: OdooConnection, *, company: bool = True) -> OdooClient:
    return OdooClient(
        OdooCredentials(
            url=connection.url.rstrip("/"),
            database=connection.database,
            login=connection.login,
            api_key=connection.api_key,
        ),
        company_id=connection.company_id if company else None,
        uid=connection.user_id,
        protocol=connection.protocol,
        session=transport.http_session(),  # looked up per call: tests swap it
        timeout=settings.ODOO_TIMEOUT_SECONDS,
        max_retries=settings.ODOO_MAX_RETRIES,
    )


def pleo_client_for(connection: PleoConnection) -> PleoClient:
    return PleoClient(
        PleoCredentials(base_url=connection.api_base_url.rstrip("/"), token=connection.api_token),
        session=transport.http_session(),  # looked up per call: tests swap it
        timeout=settings.PLEO_TIMEOUT_SECONDS,
        max_retries=settings.PLEO_MAX_RETRIES,
    )


def odoo_books_for(connection: OdooConnection, *, company: bool = True) -> OdooBooks:
    """The connection's books in its server's dialect. A connection verified before its version was kept
    (or never verified) learns it with one `version` call, stored for next time."""
    client = odoo_client_for(connection, company=company)
    if not connection.server_version:
        connection.server_version = str(client.version().get("server_version") or "")
        OdooConnection.objects.filter(pk=connection.pk).update(server_version=connection.server_version)
    try:
        return OdooBooks(client, version=connection.server_version,
                         company_id=connection.company_id if company else None)
    except ValueError as exc:
        raise PortalError(f"{exc} Press Verify on the Odoo connection of {connection.client}.") from None


def odoo_company_books_get(*, client: Client) -> tuple[OdooConnection, OdooBooks]:
    """The client's Odoo connection and its books in the chosen company, or a PortalError saying what is missing."""
    # Read afresh: a Client instance may hold a connection cached before its company was chosen.
    connection = OdooConnection.objects.filter(client=client).first()
    if connection is None:
        raise PortalError(f"{client} has no Odoo connection yet: set it up and press Verify first.")
    if not connection.company_id:
        raise PortalError(f"Choose the Odoo company of {client} on its Odoo connection first.")
    return connection, odoo_books_for(connection)


def pleo_company_client_get(*, client: Client) -> tuple[PleoConnection, PleoClient]:
    connection = PleoConnection.objects.filter(client=client).first()
    if connection is None:
        raise PortalError(f"{client} has no Pleo connection yet: set it up and press Verify first.")
    if not connection.company_id:
        raise PortalError(f"Enter the Pleo company of {client} on its Pleo connection first.")
    return connection, pleo_client_for(connection)
