"""Reads for the mappings: a client's live Odoo and Pleo clients, the pick lists read from them, sync runs."""
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import QuerySet

from integrations.errors import PortalError
from integrations.models import Client, OdooConnection, PleoConnection
from integrations.odoo.client import OdooClient
from integrations.pleo.client import PleoClient
from integrations.services import odoo_client_for, pleo_client_for
from mappings.choices import ODOO_ACCOUNT_TYPE_LABELS
from mappings.models import SyncRun

__all__ = [
    "OdooOption",
    "OdooChoices",
    "ODOO_CHOICES_CACHE_SECONDS",
    "odoo_company_client_get",
    "pleo_company_client_get",
    "odoo_choices_for",
    "odoo_analytic_plans_for",
    "pleo_tag_groups_for",
    "sync_runs_for",
]

# Long enough that a bookkeeper filling in one form does not wait on Odoo each time, short enough that
# an account created in Odoo shows up soon without pressing "refresh".
ODOO_CHOICES_CACHE_SECONDS = 5 * 60


@dataclass(frozen=True)
class OdooOption:
    id: int
    label: str  # "code name", as Odoo shows it
    type: str  # account_type of an account, type of a journal


@dataclass(frozen=True)
class OdooChoices:
    accounts: tuple[OdooOption, ...]
    journals: tuple[OdooOption, ...]

    def account_choices(self) -> list[tuple[int, str]]:
        return [(o.id, f"{o.label} ({ODOO_ACCOUNT_TYPE_LABELS.get(o.type, o.type)})") for o in self.accounts]

    def journal_choices(self) -> list[tuple[int, str]]:
        return [(o.id, f"{o.label} ({o.type})") for o in self.journals]


def odoo_company_client_get(*, client: Client) -> tuple[OdooConnection, OdooClient]:
    """The client's Odoo connection and a client acting in its chosen company, or a PortalError saying what is missing."""
    # Read afresh: a Client instance may hold a connection cached before its company was chosen.
    connection = OdooConnection.objects.filter(client=client).first()
    if connection is None:
        raise PortalError(f"{client} has no Odoo connection yet: set it up and press Verify first.")
    if not connection.company_id:
        raise PortalError(f"Choose the Odoo company of {client} on its Odoo connection first.")
    return connection, odoo_client_for(connection)


def pleo_company_client_get(*, client: Client) -> tuple[PleoConnection, PleoClient]:
    connection = PleoConnection.objects.filter(client=client).first()
    if connection is None:
        raise PortalError(f"{client} has no Pleo connection yet: set it up and press Verify first.")
    if not connection.company_id:
        raise PortalError(f"Enter the Pleo company of {client} on its Pleo connection first.")
    return connection, pleo_client_for(connection)


def _cache_key(connection) -> str:
    # The connection's company and last change are in the key, so choosing another company never
    # shows the previous company's chart.
    return f"mappings:odoo-choices:{connection.pk}:{connection.company_id}:{connection.updated_at.timestamp()}"


def odoo_choices_for(*, client: Client, refresh: bool = False) -> OdooChoices:
    """The active accounts and journals of the client's Odoo company, as "code name", cached a few minutes."""
    connection, odoo = odoo_company_client_get(client=client)
    key = _cache_key(connection)
    if not refresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    company = [("company_id", "=", connection.company_id)]
    accounts = tuple(
        OdooOption(row["id"], f"{row['code']} {row['name']}", row["account_type"])
        for row in odoo.search_read(
            "account.account", company + [("deprecated", "=", False)], ["code", "name", "account_type"],
            order="code",
        )
    )
    journals = tuple(
        OdooOption(row["id"], f"{row['code']} {row['name']}", row["type"])
        for row in odoo.search_read("account.journal", company, ["code", "name", "type"], order="code")
    )
    choices = OdooChoices(accounts=accounts, journals=journals)
    cache.set(key, choices, ODOO_CHOICES_CACHE_SECONDS)
    return choices


def odoo_analytic_plans_for(*, client: Client) -> list[tuple[int, str]]:
    """(id, name) of the Odoo analytic plans. Plans have no company in Odoo 17 (recording 18), so none is asked for."""
    _, odoo = odoo_company_client_get(client=client)
    return [(row["id"], row["name"]) for row in odoo.search_read("account.analytic.plan", [], ["name"])]


def pleo_tag_groups_for(*, client: Client) -> list[dict]:
    """The client's active Pleo tag groups (id, code, name, ...)."""
    connection, pleo = pleo_company_client_get(client=client)
    return pleo.tag_groups(company_id=connection.company_id)


def sync_runs_for(*, user, client: Client | None = None) -> QuerySet[SyncRun]:
    runs = SyncRun.objects.for_user(user).select_related("client")
    return runs.filter(client=client) if client is not None else runs
